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

// holdWake takes the named lock of k on a connection that k keeps until
// Unlock (releaseWake). A waiter that holds it for a moment (between its
// GET_LOCK and its RELEASE_LOCK) is waited for a few times; when it cannot
// be taken, k's waiters fall back to their poll.
func (s *Store) holdWake(ctx context.Context, k *sqlLock) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return
	}
	name := s.wakeName(k.key)
	for range 5 {
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got); err != nil {
			break
		}
		if got.Valid && got.Int64 == 1 {
			k.wake = conn
			return
		}
		time.Sleep(time.Millisecond)
	}
	discard(conn)
}

// releaseWake releases k's named lock, waking its waiters.
func (s *Store) releaseWake(ctx context.Context, k *sqlLock) {
	if k.wake == nil {
		return
	}
	conn := k.wake
	k.wake = nil
	if _, err := conn.ExecContext(ctx, "DO RELEASE_LOCK(?)", s.wakeName(k.key)); err != nil {
		discard(conn) // closing the session releases it
		return
	}
	_ = conn.Close()
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
				var got sql.NullInt64
				if err := conn.QueryRowContext(lctx, "SELECT GET_LOCK(?, "+strconv.Itoa(wakeWaitSeconds)+")", name).Scan(&got); err != nil {
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
