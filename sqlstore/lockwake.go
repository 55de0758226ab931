package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"
)

// Notifier is a Driver whose database can tell the waiters of Store.Lock in
// other processes that a lock was released: PostgreSQL's LISTEN/NOTIFY
// (sqlstore/postgres). A Driver that is not one leaves them polling.
type Notifier interface {
	// Listen subscribes conn, a connection set aside for it (and
	// discarded afterwards), to channel; calls ready once the
	// subscription is in place; then calls heard with the payload of each
	// notification, until ctx is done (it returns nil then) or the
	// connection fails (its error).
	Listen(ctx context.Context, conn *sql.Conn, channel string, ready func(), heard func(payload string)) error
}

// listenPoll is the fallback poll of a waiter that listens for releases: it
// only catches a wake-up that was lost (a holder killed before it
// notified, a listener connection dropped) or a lease that ran out.
const listenPoll = 250 * time.Millisecond

// listenLinger keeps the listener's connection this long after its last
// waiter left, for the next expiry of a fleet's token.
const listenLinger = 30 * time.Second

// listenConnTimeout bounds the wait for the listener's connection.
const listenConnTimeout = 5 * time.Second

// WithoutLockWake makes the waiters of Store.Lock poll (every 10 to 50
// ms) instead of listening for the releases of other processes: for a
// PostgreSQL reached through a pooler in transaction mode (PgBouncer), where
// LISTEN does not work, or to spare the connection a listener holds while
// someone waits.
func WithoutLockWake() Option { return func(c *config) { c.noWake = true } }

// WithLockListen sets how the waiters of Store.Lock hear of the releases of
// other processes (a storekit.LockWait.Listen); the package sqlstore/sqlite
// uses it to watch the database's files.
func WithLockListen(listen func(ctx context.Context) (<-chan struct{}, func(), error)) Option {
	return func(c *config) { c.listen = listen }
}

// notifyChannel is the PostgreSQL channel of the releases of the locks of
// the lock table of table.
func notifyChannel(table string) string { return "zohoauth:" + table + LockTableSuffix }

// lockListen returns how the waiters of s hear of releases in other
// processes, or nil when they poll.
func (s *Store) lockListen() func(ctx context.Context) (<-chan struct{}, func(), error) {
	switch {
	case s.noWake:
		return nil
	case s.listen != nil:
		return s.listen
	}
	n, ok := s.drv.(Notifier)
	if !ok || s.d != Postgres {
		return nil
	}
	if m := s.db.Stats().MaxOpenConnections; m > 0 && m < 3 {
		return nil // the listener would starve the lock's own statements
	}
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if s.listener.Run == nil {
		s.listener.Waker, s.listener.Linger = &s.lockWake, listenLinger
		s.listener.Run = func(ctx context.Context, ready, heard func()) error {
			cctx, cancel := context.WithTimeout(ctx, listenConnTimeout)
			conn, err := s.db.Conn(cctx)
			cancel()
			if err != nil {
				return fmt.Errorf("listener connection: %w", err)
			}
			defer func() {
				// The connection holds a LISTEN and may have been cut in
				// the middle of a read: never back to the pool.
				_ = conn.Raw(func(any) error { return driver.ErrBadConn })
				_ = conn.Close()
			}()
			return n.Listen(ctx, conn, notifyChannel(s.table), ready, func(string) { heard() })
		}
	}
	return s.listener.Listen
}

// quoteString returns s as a SQL string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
