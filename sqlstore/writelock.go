package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	mrand "math/rand/v2"
	"time"

	"github.com/mattn/go-sqlite3"
)

// maxLockWait bounds how long a writer waits for the MySQL named lock when
// its context has no deadline.
const maxLockWait = 60 * time.Second

// withWriteLock runs fn in a transaction that holds the table's write lock,
// and commits when fn returns nil (rolls back otherwise). The lock
// serialises the writers of every process that uses the same table:
//
//   - SQLite: the transaction is BEGIN IMMEDIATE (the DSN's _txlock), and
//     waits out other writers with busy_timeout;
//   - PostgreSQL: pg_advisory_xact_lock on a key derived from the table
//     name, released by the commit or rollback;
//   - MySQL/MariaDB: GET_LOCK on a name derived from the database and the
//     table, taken on the connection before the transaction begins and
//     released after it ends (or by the server when the connection dies).
//
// Reads inside fn see every write committed before the lock was granted, so
// a read-modify-write in fn loses no update and inserts no duplicate.
//
// The writers of one Store first queue in the process (writeSem), so that
// only one of them at a time waits on the database's lock.
func (s *Store) withWriteLock(ctx context.Context, fn func(tx *sql.Tx) error) error {
	select {
	case s.writeSem <- struct{}{}:
		defer func() { <-s.writeSem }()
	case <-ctx.Done():
		return fmt.Errorf("lock table: %w", context.Cause(ctx))
	}
	if s.d != MySQL {
		tx, err := s.begin(ctx)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		if s.d == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", s.lockKey); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("lock table: %w", err)
			}
		}
		return runTx(tx, fn)
	}

	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	wait := maxLockWait
	if dl, ok := ctx.Deadline(); ok {
		wait = max(time.Until(dl), time.Second)
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", s.lockName, int(wait.Seconds()+0.5)).Scan(&got); err != nil {
		return fmt.Errorf("lock table: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return fmt.Errorf("lock table: %w", ErrLockTimeout)
	}
	defer func() {
		// Released even when ctx is done; a connection that cannot release
		// is discarded, which releases the lock on the server.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(rctx, "DO RELEASE_LOCK(?)", s.lockName); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	return runTx(tx, fn)
}

// begin begins a transaction. On SQLite it retries, for up to busyTimeout,
// a BEGIN that SQLite refused with SQLITE_BUSY without waiting on its busy
// handler: SQLite does so when waiting could deadlock, and when another
// connection is switching a new database to WAL mode, which happens when
// several processes open a new database at once.
func (s *Store) begin(ctx context.Context) (*sql.Tx, error) {
	if s.d != SQLite {
		return s.db.BeginTx(ctx, nil)
	}
	deadline := time.Now().Add(busyTimeout)
	pause := time.Millisecond
	for {
		tx, err := s.db.BeginTx(ctx, nil)
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || time.Now().After(deadline) {
			return tx, err
		}
		t := time.NewTimer(pause/2 + mrand.N(pause))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, context.Cause(ctx)
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

func runTx(tx *sql.Tx, fn func(tx *sql.Tx) error) error {
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// advisoryKey returns the PostgreSQL advisory lock key of a table.
func advisoryKey(table string) int64 {
	h := fnv.New64a()
	h.Write([]byte("zohoauth/sqlstore:" + table))
	return int64(h.Sum64())
}
