package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"time"
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
// The writers of one Store first queue in the process (queueWriter), so
// that only one of them at a time waits on the database's lock.
func (s *Store) withWriteLock(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := s.queueWriter(ctx); err != nil {
		return err
	}
	defer func() {
		s.prepareUpdates(ctx)
		<-s.writeSem
	}()
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

// begin begins a transaction through the driver (Driver.Begin).
func (s *Store) begin(ctx context.Context) (*sql.Tx, error) { return s.drv.Begin(ctx, s.db) }

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

// queueWriter waits for the Store's turn to write (writeSem: one writer of
// this Store at a time) or for ctx's end. The writer releases the turn
// with <-s.writeSem.
func (s *Store) queueWriter(ctx context.Context) error {
	select {
	case s.writeSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("lock table: %w", context.Cause(ctx))
	}
}
