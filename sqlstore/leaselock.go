package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// LockTableSuffix is appended to the token table's name to name the lock
// table of Store.Lock (oauthtoken_locks for Zoho's table).
const LockTableSuffix = "_locks"

// Bounds of the back-off between two attempts of a waiting Lock.
const (
	minLockPoll = 10 * time.Millisecond
	maxLockPoll = 50 * time.Millisecond
)

// maxLockNameLen is the longest lock name stored as it is; longer names (and
// names that are not UTF-8) are stored as their SHA-256.
const maxLockNameLen = 128

// lockStmts are the prepared statements of the lock table.
type lockStmts struct {
	acquire, owner, extend, alive, release *sql.Stmt
}

// nowMS returns the SQL expression of the database's clock in epoch
// milliseconds: leases are measured on the database's clock, the one clock
// all the machines sharing the database agree on.
func (d Dialect) nowMS() string {
	switch d {
	case MySQL:
		// UTC_TIMESTAMP does not depend on the session's time zone.
		return "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)"
	case Postgres:
		// clock_timestamp, not now(): the time of the statement, not of
		// the transaction.
		return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
	}
	return "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
}

// createLockTable returns the statement that creates the lock table q.
func (d Dialect) createLockTable(q string) string {
	switch d {
	case MySQL:
		return "CREATE TABLE IF NOT EXISTS " + q + " (name varchar(191) NOT NULL, owner char(32) NOT NULL, expires BIGINT NOT NULL, PRIMARY KEY (name))" +
			" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
	case Postgres:
		// UNLOGGED: a lock's commit waits for no WAL flush (a Lock and
		// Unlock take 0.4 ms rather than 5 ms on the test server). The
		// server empties the table after a crash, and standbys do not
		// have its rows: after either, every lock is free, and a holder
		// learns it at its next Extend (ErrLockLost); SwapToken guards
		// its write in the meantime.
		return "CREATE UNLOGGED TABLE IF NOT EXISTS " + q + " (name text NOT NULL PRIMARY KEY, owner text NOT NULL, expires bigint NOT NULL)"
	}
	return "CREATE TABLE IF NOT EXISTS " + q + " (name TEXT NOT NULL PRIMARY KEY, owner TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID"
}

// lockStatements returns the prepared statements of the lock table, which
// it creates on first use (under the table's write lock, so that processes
// starting at once do not race on the DDL). A store that never locks needs
// no right to create it.
func (s *Store) lockStatements(ctx context.Context) (*lockStmts, error) {
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if s.lockSt != nil {
		return s.lockSt, nil
	}
	q := s.d.quote(s.table + LockTableSuffix)
	err := s.withWriteLock(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.createLockTable(q))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create lock table: %w", err)
	}
	now := s.d.nowMS()
	var acquire string
	if s.d == MySQL {
		// Assignments run left to right: expires sees the new owner, so it
		// changes only when the lease ran out and owner was taken over.
		acquire = "INSERT INTO " + q + " (name, owner, expires) VALUES (?, ?, " + now + " + ?) ON DUPLICATE KEY UPDATE" +
			" owner = IF(expires <= " + now + ", VALUES(owner), owner), expires = IF(owner = VALUES(owner), VALUES(expires), expires)"
	} else {
		acquire = "INSERT INTO " + q + " (name, owner, expires) VALUES (?, ?, " + now + " + ?) ON CONFLICT (name) DO UPDATE" +
			" SET owner = excluded.owner, expires = excluded.expires WHERE " + q + ".expires <= " + now
	}
	queries := []string{
		acquire,
		"SELECT owner FROM " + q + " WHERE name = ?",
		"UPDATE " + q + " SET expires = " + now + " + ? WHERE name = ? AND owner = ? AND expires > " + now,
		"SELECT COUNT(*) FROM " + q + " WHERE name = ? AND owner = ? AND expires > " + now,
		"DELETE FROM " + q + " WHERE name = ? AND owner = ?",
	}
	if s.d == Postgres {
		// The release notifies the waiters of other processes (LISTEN
		// on notifyChannel), at its commit, with the lock's row key.
		queries[4] = "WITH d AS (DELETE FROM " + q + " WHERE name = ? AND owner = ? RETURNING name)" +
			" SELECT pg_notify(" + quoteString(notifyChannel(s.table)) + ", name) FROM d"
	}
	st := make([]*sql.Stmt, len(queries))
	for i, query := range queries {
		db := s.db
		if i == 0 && s.tries != nil {
			db = s.tries // the attempts (WithLockTries)
		}
		if st[i], err = db.PrepareContext(ctx, s.d.rebind(query)); err != nil {
			for _, p := range st[:i] {
				_ = p.Close()
			}
			return nil, fmt.Errorf("prepare lock statements: %w", err)
		}
	}
	s.stmts = append(s.stmts, st...)
	s.lockSt = &lockStmts{acquire: st[0], owner: st[1], extend: st[2], alive: st[3], release: st[4]}
	return s.lockSt, nil
}

// lockRowKey returns the key a lock name is stored under: the name itself, or
// its SHA-256 when it is long or not UTF-8 (or could be taken for a hash).
func lockRowKey(name string) string {
	if len(name) <= maxLockNameLen && utf8.ValidString(name) && !strings.HasPrefix(name, "sha256:") {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// leaseMS returns a lease in whole milliseconds, at least 1.
func leaseMS(lease time.Duration) int64 { return max(lease.Milliseconds(), 1) }

// Lock acquires the lock named name with the given lease, waiting while
// another owner holds a live lease; it implements zohoauth.Locker. The lock
// is a row of the lock table (the token table's name + LockTableSuffix):
// name, owner (128 random bits) and the lease's end on the database's
// clock. Taking it is one statement (an upsert that takes the row over only
// when its lease ran out), so a holder that crashed or hangs loses the lock
// when its lease runs out, on whatever machine it ran. A waiter polls every
// 10 to 50 ms (jittered); the goroutines of one Store are woken at once
// when the Store releases a lock. On PostgreSQL (through a Notifier
// driver) a waiter that met a held lock also listens, on a connection the
// Store's waiters share (kept 30 s after the last one, for the next
// expiry; Close ends it), for the NOTIFY of a release from
// any process, and tries again at once; it then polls every 250 ms at
// most, which only catches a lost notification (a holder killed before
// it released, a dropped listener) or a lease that ran out: a
// notification is a hint to try again, never the lock. A waiter that
// cannot listen polls as above (see WithoutLockWake, WithLockListen). A
// SQLite file opened by sqlstore/sqlite is watched instead (inotify on
// Linux): any write to the database wakes its waiters, who try again; their
// attempts do not wait for a busy database (WithLockTries), and a refused
// attempt is made again a millisecond later, up to 10 ms.
// MySQL and MariaDB notify nothing, but wake a session blocked in GET_LOCK
// when the named lock it waits for is released: the holder holds a named
// lock of its own lock, on a connection of its own, until Unlock (or until
// its session ends, when it is killed), and a waiter waits for it in
// GET_LOCK (a second at a time, on its own connection), releases it at
// once and tries again; a holder that hangs keeps it, and its waiters
// catch the end of its lease with the fallback poll.
// Waiting ends with ctx, with an error wrapping ctx.Err().
func (s *Store) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	return s.LockUnless(ctx, name, lease, nil)
}

// LockUnless is Lock, but after each wait it calls done, and returns an
// error matching storekit.ErrLockUnneeded when done reports true
// (storekit.LockChecker).
func (s *Store) LockUnless(ctx context.Context, name string, lease time.Duration, done func(context.Context) (bool, error)) (zohoauth.Lock, error) {
	fail := func(err error) (zohoauth.Lock, error) {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, storekit.StoreError("cannot lock", fmt.Errorf("lock %.80q: %w", name, err))
	}
	st, err := s.lockStatements(ctx)
	if err != nil {
		return fail(err)
	}
	var owner [16]byte
	_, _ = rand.Read(owner[:]) // never fails (crypto/rand)
	lk := &sqlLock{s: s, st: st, name: name, key: lockRowKey(name), owner: hex.EncodeToString(owner[:]), lease: lease}
	wait := storekit.LockWait{MinPoll: minLockPoll, MaxPoll: maxLockPoll, Waker: &s.lockWake, Listen: s.lockListen(), ListenPoll: listenPoll, Done: done}
	if s.mysqlWake() {
		wait.Listen = s.mysqlListen(lk.key)
	}
	if s.polls.max > 0 {
		wait.MinPoll, wait.MaxPoll, wait.ListenPoll = s.polls.min, s.polls.max, s.polls.listen
	}
	busy := time.Duration(0) // the pause after an attempt the database refused for now
	err = wait.Wait(ctx, func(ctx context.Context) (bool, time.Duration, error) {
		ok, err := lk.try(ctx)
		if err != nil && s.drv.Retryable(err) {
			// Busy (another connection writing) or a deadlock: try again
			// soon, after the check of LockUnless, a millisecond at
			// first, then twice as long each time up to minLockPoll.
			busy = min(max(2*busy, time.Millisecond), minLockPoll)
			return false, busy, nil
		}
		busy = 0
		return ok, 0, err
	})
	if err != nil {
		return fail(err)
	}
	if s.mysqlWake() {
		s.holdWake(lk)
	}
	return lk, nil
}

// sqlLock is a lock held by Store.Lock.
type sqlLock struct {
	s     *Store
	st    *lockStmts
	name  string
	key   string
	owner string
	lease time.Duration // of Lock; Extend takes its own
	wake  func()        // MySQL: releases the lock's named lock (lockwake_mysql.go)
}

// try makes one attempt to take the lock.
func (k *sqlLock) try(ctx context.Context) (bool, error) {
	res, err := k.st.acquire.ExecContext(ctx, k.key, k.owner, leaseMS(k.lease))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return false, err
	}
	if k.s.d != MySQL {
		return true, nil // the upsert changed a row only if the lock is ours
	}
	// MySQL reports a found but unchanged row as changed when the client
	// asked for found rows: read the owner back.
	var owner string
	if err := k.st.owner.QueryRowContext(ctx, k.key).Scan(&owner); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return false, err
	}
	return owner == k.owner, nil
}

// Extend extends the lease to lease from now (on the database's clock). It
// fails with an error matching zohoauth.ErrLockLost when the lease ran out,
// even if no one took the lock over.
func (k *sqlLock) Extend(ctx context.Context, lease time.Duration) error {
	res, err := k.st.extend.ExecContext(ctx, leaseMS(lease), k.key, k.owner)
	if err != nil {
		return storekit.StoreError("cannot extend lock", fmt.Errorf("lock %.80q: %w", k.name, err))
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 && k.s.d == MySQL {
		// MySQL counts a row set to the value it had as unchanged.
		err = k.st.alive.QueryRowContext(ctx, k.key, k.owner).Scan(&n)
	}
	if err != nil {
		return storekit.StoreError("cannot extend lock", fmt.Errorf("lock %.80q: %w", k.name, err))
	}
	if n == 0 {
		return storekit.StoreError("cannot extend lock", fmt.Errorf("lock %.80q: %w", k.name, zohoauth.ErrLockLost))
	}
	return nil
}

// Unlock releases the lock if this owner still holds it (even with a lease
// that ran out, as long as no one took it over); otherwise it returns an
// error matching zohoauth.ErrLockLost and releases nothing.
func (k *sqlLock) Unlock(ctx context.Context) error {
	res, err := k.st.release.ExecContext(ctx, k.key, k.owner)
	k.s.releaseWake(ctx, k) // after the row: a woken waiter finds it free
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err != nil {
		return storekit.StoreError("cannot unlock", fmt.Errorf("lock %.80q: %w", k.name, err))
	}
	if n == 0 {
		return storekit.StoreError("cannot unlock", fmt.Errorf("lock %.80q: %w", k.name, zohoauth.ErrLockLost))
	}
	k.s.lockWake.Wake()
	return nil
}
