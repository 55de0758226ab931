package sqlite

import (
	"context"
	"path/filepath"

	"github.com/zohoauth/zohoauth/internal/fswake"
	"github.com/zohoauth/zohoauth/sqlstore"
)

// lockListen returns the sqlstore.WithLockListen of the database file path:
// a waiter of Store.Lock watches the database's directory (inotify, on
// Linux) and tries again when the database, its WAL or its journal is
// written, as a release of a lock by another process does. Other writes
// (a save) wake it too, and it tries again for nothing; a release it
// missed is caught by its fallback poll. Elsewhere it polls.
func lockListen(path string) sqlstore.Option {
	abs, err := filepath.Abs(path)
	if err != nil {
		return sqlstore.WithLockListen(nil)
	}
	dir, base := filepath.Split(abs)
	match := func(name string) bool {
		return name == base || name == base+"-wal" || name == base+"-journal"
	}
	return sqlstore.WithLockListen(func(context.Context) (<-chan struct{}, func(), error) {
		return fswake.Watch(dir, match)
	})
}
