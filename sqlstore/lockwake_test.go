package sqlstore_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storetest"
)

// wakeEngines are the engines whose waiters hear the releases of other
// processes: PostgreSQL (LISTEN/NOTIFY), MySQL/MariaDB (GET_LOCK on the
// holder's named lock) and SQLite files (the database's files watched, on
// Linux).
func wakeEngines(t *testing.T) []engine {
	var es []engine
	for _, e := range engines() {
		if e.name == "postgres" || e.name == "mysql" || e.name == "sqlite-file" {
			es = append(es, e)
		}
	}
	return es
}

// twoStores opens two Stores (two pools: two processes, as far as the
// database can tell) on one new table of e. waiter's polls are an hour
// apart unless it listens and loses its subscription, then every 5 ms.
func twoStores(t *testing.T, e engine) (holder, waiter *sqlstore.Store) {
	t.Helper()
	d, dsn, table := sharedTable(t, e)
	open := func(opts ...sqlstore.Option) *sqlstore.Store {
		s, err := openDialect(t.Context(), d, dsn, append(opts, sqlstore.WithTable(table))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	holder, waiter = open(), open()
	sqlstore.SetLockPolls(waiter, time.Hour, time.Hour, time.Hour)
	return holder, waiter
}

// A release in another process wakes the waiter, whose polls are an hour
// apart: only the wake-up can end its wait before the test's deadline.
func TestLockWakeAcrossStores(t *testing.T) {
	for _, e := range wakeEngines(t) {
		t.Run(e.name, func(t *testing.T) {
			holder, waiter := twoStores(t, e)
			storetest.LockWake(t, holder, waiter)
		})
	}
}

// A release of another lock wakes the waiter too (one channel per table),
// but it tries again and waits on: a wake-up is never the lock.
func TestLockWakeOtherNameRechecks(t *testing.T) {
	for _, e := range wakeEngines(t) {
		t.Run(e.name, func(t *testing.T) {
			holder, waiter := twoStores(t, e)
			storetest.LockWakeOtherName(t, holder, waiter)
		})
	}
}

// A holder that dies without releasing sends no wake-up: the waiters take
// the lock over when its lease runs out, by their fallback poll.
func TestLockWakeLostNotification(t *testing.T) {
	for _, e := range wakeEngines(t) {
		t.Run(e.name, func(t *testing.T) {
			holder, waiter := twoStores(t, e)
			sqlstore.SetLockPolls(waiter, time.Millisecond, time.Hour, 20*time.Millisecond)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if _, err := holder.Lock(ctx, "dead", 300*time.Millisecond); err != nil {
				t.Fatal(err) // never released: the holder "died"
			}
			if err := <-storetest.LockAsync(ctx, waiter, "dead"); err != nil {
				t.Fatalf("the lease ran out but the waiter did not take the lock: %v", err)
			}
		})
	}
}

// TestLockWakeListenerDropped cuts the connection the waiter listens on
// (PostgreSQL's LISTEN, MySQL's GET_LOCK), in the middle of its wait: it
// polls again (every 5 ms), and takes the lock when the holder's lease
// runs out, though its fallback poll while listening is an hour.
func TestLockWakeListenerDropped(t *testing.T) {
	for _, e := range engines() {
		if e.name != "postgres" && e.name != "mysql" {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			holder, waiter := twoStores(t, e)
			sqlstore.SetLockPolls(waiter, 5*time.Millisecond, 5*time.Millisecond, time.Hour)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if _, err := holder.Lock(ctx, "dropped", time.Second); err != nil {
				t.Fatal(err)
			}
			// MySQL: the sessions in GET_LOCK before the waiter's (the
			// holders of other tests' locks taken over from a holder that
			// never released, waiting for its named lock) are not its.
			var before []string
			if holder.Dialect() == sqlstore.MySQL {
				before = mysqlIDs(t, holder, "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT GET_LOCK(?, 1)'")
			}
			got := storetest.LockAsync(ctx, waiter, "dropped")
			var killed int
			for killed == 0 && ctx.Err() == nil {
				var err error
				if holder.Dialect() == sqlstore.Postgres {
					err = holder.DB().QueryRowContext(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND query LIKE $1",
						`%"zohoauth:`+holder.Table()+sqlstore.LockTableSuffix+`"%`).Scan(&killed)
				} else {
					// The waiter's GET_LOCK (a prepared statement: the name
					// is not in the text; the table's write lock waits in
					// "SELECT GET_LOCK(?, ?)"), once the holder has the
					// named lock (it takes it in the background, with the
					// same statement).
					q := "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT GET_LOCK(?, 1)'" +
						" AND IS_USED_LOCK(?) IS NOT NULL AND ID <> IS_USED_LOCK(?)"
					if len(before) > 0 {
						q += " AND ID NOT IN (" + strings.Join(before, ",") + ")"
					}
					killed, err = killMySQL(ctx, holder, q, sqlstore.WakeName(holder, "dropped"), sqlstore.WakeName(holder, "dropped"))
				}
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if err := <-got; err != nil {
				t.Fatalf("waiter whose listener was dropped: %v", err)
			}
		})
	}
}

// mysqlIDs returns the session ids that query lists.
func mysqlIDs(t *testing.T, s *sqlstore.Store, query string) []string {
	t.Helper()
	rows, err := s.DB().QueryContext(t.Context(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	return ids
}

// killMySQL kills the MySQL sessions that query lists.
func killMySQL(ctx context.Context, s *sqlstore.Store, query string, args ...any) (int, error) {
	rows, err := s.DB().QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if _, err := s.DB().ExecContext(ctx, "KILL "+strconv.FormatInt(id, 10)); err != nil {
			return 0, err
		}
	}
	return len(ids), rows.Err()
}

// TestLockWakeMySQLHolderKilled ends the session that holds the holder's
// named lock, as the server does when the holder is killed (SIGKILL): its
// waiter, whose fallback poll is an hour, is woken, finds the lease still
// running, and keeps trying, at most every 10 ms, until the lease runs out
// and it takes the lock. No hang, no lock taken early.
func TestLockWakeMySQLHolderKilled(t *testing.T) {
	for _, e := range engines() {
		if e.name != "mysql" {
			continue
		}
		holder, waiter := twoStores(t, e)
		// The kill frees the holder's named lock at once, so the waiter is
		// woken while the lease still runs; as documented, its fallback
		// poll catches the lease's end. With hour-long polls the take-over
		// hung on the timing of the GET_LOCK loop (a CI run waited 30 s).
		sqlstore.SetLockPolls(waiter, 50*time.Millisecond, 50*time.Millisecond, 50*time.Millisecond)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		const lease = 500 * time.Millisecond
		if _, err := holder.Lock(ctx, "killed", lease); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		got := storetest.LockAsync(ctx, waiter, "killed")
		// The holder takes its named lock in the background: once it has
		// it, end its session.
		n := 0
		for n == 0 && ctx.Err() == nil {
			var err error
			n, err = killMySQL(ctx, holder, "SELECT IS_USED_LOCK(?) FROM DUAL WHERE IS_USED_LOCK(?) IS NOT NULL",
				sqlstore.WakeName(holder, "killed"), sqlstore.WakeName(holder, "killed"))
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
		if err := <-got; err != nil {
			t.Fatalf("waiter of a killed holder: %v", err)
		}
		if d := time.Since(start); d < lease/2 {
			t.Fatalf("the waiter took the lock %v after the kill, before the lease (%v) could run out", d, lease)
		}
	}
}

// TestLockWakeDisabled: WithoutLockWake leaves a waiter polling, and it
// still gets the lock.
func TestLockWakeDisabled(t *testing.T) {
	for _, e := range wakeEngines(t) {
		t.Run(e.name, func(t *testing.T) {
			d, dsn, table := sharedTable(t, e)
			s, err := openDialect(t.Context(), d, dsn, sqlstore.WithTable(table), sqlstore.WithoutLockWake())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			h, err := openDialect(t.Context(), d, dsn, sqlstore.WithTable(table))
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			ctx := t.Context()
			lk, err := h.Lock(ctx, "x", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			sqlstore.SetLockPolls(s, time.Hour, time.Hour, time.Hour)
			c, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			got := storetest.LockAsync(c, s, "x")
			time.Sleep(50 * time.Millisecond)
			_ = lk.Unlock(ctx)
			err = <-got
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("a waiter that does not listen, polling hourly, got %v; want the deadline (no wake-up)", err)
			}
			if _, err := s.Lock(ctx, "x", time.Minute); err != nil {
				t.Fatal(err)
			}
		})
	}
}
