package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"hash/fnv"
	"strconv"
	"time"
)

// MySQL and MariaDB have no notification, but a session waiting in
// GET_LOCK for a named lock that another session holds is woken by the
// server the moment that lock is released, or the session holding it
// ends (a holder killed: the server sees its connection close). So the
// holder of a lock of the lock table also holds, on a connection of its
// own, a named lock (wakeName) until Unlock; a waiter blocks in GET_LOCK
// on it, at most wakeWaitSeconds at a time, and when it gets it it
// releases it at once and tries the lock table again. The named lock is
// only a wake-up: the lock table's lease decides who holds the lock, and
// a holder that hangs while its lease runs out keeps the named lock, so
// its waiters catch the end of the lease with their fallback poll.

// wakeWaitSeconds bounds each GET_LOCK of a waiter (whole seconds, for
// MySQL): a waiter whose context ends cannot interrupt it, and leaves it
// to the server for this long at most.
const wakeWaitSeconds = 1

// wakeAnswer is how long past a GET_LOCK's own time-out a waiter waits for
// the server's answer before it takes its connection for dead.
const wakeAnswer = 2 * time.Second

// wakePause is the least time between two GET_LOCKs of one waiter that
// got the named lock: when no one holds it (a holder killed, whose lease
// still runs), the waiter would otherwise try the lock table without
// pause.
const wakePause = minLockPoll

// wakeName returns the MySQL named lock of the lock whose row key is key:
// at most 64 characters, MySQL's limit.
func (s *Store) wakeName(key string) string {
	h := fnv.New64a()
	h.Write([]byte(s.lockName + "\x00" + key))
	return "zohoauth-wake:" + strconv.FormatUint(h.Sum64(), 16)
}

// mysqlWake reports whether s's lock waiters are woken through named
// locks.
func (s *Store) mysqlWake() bool {
	if s.d != MySQL || s.noWake || s.listen != nil {
		return false
	}
	m := s.db.Stats().MaxOpenConnections
	return m <= 0 || m >= 4 // a waiter's and a holder's connections, besides the lock's own
}

// holdWake has k hold its named lock until Unlock (releaseWake), from a
// goroutine on a connection of its own: it waits for it in GET_LOCK, for
// as long as k is held, since a waiter may hold it for a moment (between
// its GET_LOCK and its RELEASE_LOCK), and a holder whose lease ran out
// while it hung may hold it until its session ends. Lock does not wait for
// it; until it is held, k's waiters see it free and try the lock table at
// most every wakePause.
func (s *Store) holdWake(k *sqlLock) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	k.wake = func() {
		cancel()
		<-done
	}
	name := s.wakeName(k.key)
	go func() {
		defer close(done)
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return
		}
		for ctx.Err() == nil {
			qctx, qcancel := context.WithTimeout(ctx, wakeWaitSeconds*time.Second+wakeAnswer)
			var got sql.NullInt64
			err := conn.QueryRowContext(qctx, "SELECT GET_LOCK(?, "+strconv.Itoa(wakeWaitSeconds)+")", name).Scan(&got)
			qcancel()
			if err != nil {
				discard(conn) // cut by the cancel, or broken
				return
			}
			if got.Valid && got.Int64 == 1 {
				break
			}
		}
		<-ctx.Done() // Unlock
		rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer rcancel()
		if _, err := conn.ExecContext(rctx, "DO RELEASE_LOCK(?)", name); err != nil {
			discard(conn) // closing the session releases it
			return
		}
		_ = conn.Close()
	}()
}

// releaseWake releases k's named lock, waking its waiters, and waits for
// its goroutine to end.
func (s *Store) releaseWake(_ context.Context, k *sqlLock) {
	if k.wake != nil {
		k.wake()
		k.wake = nil
	}
}

// discard closes conn and keeps it out of the pool (the server then
// releases its named locks).
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

// mysqlListen returns the LockWait.Listen of a waiter for the lock whose
// row key is key: a goroutine that waits in GET_LOCK, on a connection of
// its own, for the holder's named lock.
func (s *Store) mysqlListen(key string) func(context.Context) (<-chan struct{}, func(), error) {
	name := s.wakeName(key)
	return func(ctx context.Context) (<-chan struct{}, func(), error) {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return nil, nil, err
		}
		lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		ch := make(chan struct{}, 1)
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer close(ch) // the subscription is lost, or stopped
			for lctx.Err() == nil {
				// A server that does not answer when the GET_LOCK is due
				// (a connection dead without a word) ends the listening:
				// the waiter polls.
				qctx, qcancel := context.WithTimeout(lctx, wakeWaitSeconds*time.Second+wakeAnswer)
				var got sql.NullInt64
				err := conn.QueryRowContext(qctx, "SELECT GET_LOCK(?, "+strconv.Itoa(wakeWaitSeconds)+")", name).Scan(&got)
				qcancel()
				if err != nil {
					return
				}
				if !got.Valid || got.Int64 != 1 {
					continue // timed out: the holder still holds it
				}
				if _, err := conn.ExecContext(lctx, "DO RELEASE_LOCK(?)", name); err != nil {
					return
				}
				select {
				case ch <- struct{}{}:
				default:
				}
				select { // no holder to wait for: not faster than a poll
				case <-time.After(wakePause):
				case <-lctx.Done():
				}
			}
		}()
		stop := func() {
			cancel()
			<-done
			discard(conn) // a GET_LOCK cut by the cancel leaves it unusable
		}
		return ch, stop, nil
	}
}
