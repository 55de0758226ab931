// Package sqlite opens sqlstore Stores on SQLite, through
// github.com/mattn/go-sqlite3: the C SQLite library, through cgo.
//
//	s, err := sqlite.Open(ctx, sqlite.DefaultPath) // zohooauth.db, as Zoho's sample
//	s, err := sqlite.Open(ctx, sqlite.Memory)      // a database in memory
//
// It was chosen over the two pure-Go drivers because it is the fastest of
// the three measured on the project's machines (about 90,000 look-ups per
// second, against 75,000 for ncruces/go-sqlite3, which runs SQLite compiled
// to WebAssembly in wazero, and 67,000 for modernc.org/sqlite, SQLite
// translated to Go), because it is the SQLite library itself rather than a
// translation of it, and because its price — a C compiler at build time —
// is already paid: gcc is on every machine of the project, and the race
// detector that the tests run under needs cgo anyway.
//
// What a build needs: CGO_ENABLED=1 (the default for a native build when
// gcc is on PATH) and gcc. The first build compiles SQLite's amalgamation
// (about a minute); the build cache keeps it. Cross-compiling needs a C
// cross-compiler for the target (CC=…) or a native build on the target. A
// program that does not import this package links no SQLite and builds
// with CGO_ENABLED=0.
//
// An in-memory database (Open with Memory) uses SQLite's memdb VFS under a
// random name, so that every connection of the pool shares one database
// with SQLite's normal locking, while two stores stay apart; the Store holds
// a connection so that the database lives until Close.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	mrand "math/rand/v2"
	"net/url"
	"strconv"
	"time"

	"github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storeurl"
)

const (
	// DefaultPath is the database file of Zoho's SQLite sample store,
	// relative to the working directory.
	DefaultPath = "zohooauth.db"
	// Memory is the path Open takes for an in-memory database.
	Memory = ":memory:"
)

// busyTimeout is how long a SQLite connection waits for another one's lock.
const busyTimeout = 60 * time.Second

// Open opens the SQLite database file at path, created when missing, in
// WAL mode with a busy timeout, so that several processes can share it.
// The database file is created with mode 0600 whatever the umask, and an
// existing one (and its -wal, -shm and -journal files) that the group or
// others may read loses those bits; a stricter mode is kept. A path that
// names a directory or another non-regular file is refused with
// sqlstore.ErrNotAFile. Secure delete is on (SQLite overwrites deleted
// content with zeros), and a delete is followed by a checkpoint that empties
// the WAL, so that a deleted token's secrets are not left in the files.
// A commit syncs the WAL to the disk (synchronous=FULL), so that an
// acknowledged save survives a power failure; sqlstore.WithoutCommitSync
// trades that away for cheaper saves (see its risk there).
// The path Memory (":memory:") gives a new in-memory database that every
// connection of the pool shares and that lives until Close. Close closes
// the pool.
func Open(ctx context.Context, path string, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	// _mutex=no: database/sql never uses one connection from two
	// goroutines at once (and sqlite3_interrupt, which mattn/go-sqlite3
	// calls on a cancelled context, takes no lock), so SQLite's lock around
	// every call on a connection only costs time: a few percent of a
	// migration's CPU.
	params := func(busy time.Duration) string {
		return "_busy_timeout=" + strconv.FormatInt(busy.Milliseconds(), 10) + "&_txlock=immediate&_secure_delete=on&_mutex=no"
	}
	var dsn, triesDSN string
	if path == Memory {
		// The memdb VFS shares one database among the connections that
		// name it; a random name keeps two stores apart.
		dsn = "file:/zohoauth-" + rand.Text() + "?vfs=memdb&" + params(busyTimeout)
	} else {
		if err := prepareFile(path); err != nil {
			return nil, storekit.StoreError("cannot open", err)
		}
		// In WAL mode, synchronous=FULL syncs the WAL at every commit,
		// so that a save is durable once acknowledged; NORMAL syncs only at
		// checkpoints.
		sync := "FULL"
		if !sqlstore.CommitSync(opts...) {
			sync = "NORMAL"
		}
		file := "file:" + (&url.URL{Path: path}).EscapedPath() + "?"
		mode := "&_journal_mode=WAL&_synchronous=" + sync
		dsn = file + params(busyTimeout) + mode
		// The lock tries run on connections that do not wait for a busy
		// database (sqlstore.WithLockTries): the same file, mode and sync.
		triesDSN = file + params(0) + mode
	}
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, storekit.StoreError("cannot open", err)
	}
	db.SetMaxIdleConns(8)
	if path == Memory {
		// An in-memory database dies with its last connection: hold one.
		keep, err := db.Conn(ctx)
		if err != nil {
			_ = db.Close()
			return nil, storekit.StoreError("cannot open", err)
		}
		s, err := sqlstore.Own(ctx, db, Driver(), append(opts, sqlstore.WithConn(keep))...)
		if err != nil {
			_ = keep.Close()
		}
		return s, err
	}
	tries, err := sql.Open("sqlite3", triesDSN)
	if err != nil {
		_ = db.Close()
		return nil, storekit.StoreError("cannot open", err)
	}
	tries.SetMaxIdleConns(2)
	return sqlstore.Own(ctx, db, Driver(), append([]sqlstore.Option{lockListen(path), sqlstore.WithLockTries(tries)}, append(opts, sqlstore.WithWALScrub())...)...)
}

// New returns a Store on a SQLite pool the caller opened (driver name
// "sqlite3") and keeps (sqlstore.New). It should be opened with
// _txlock=immediate and a _busy_timeout, as Open does, to be shared between
// processes.
func New(ctx context.Context, db *sql.DB, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	return sqlstore.New(ctx, db, Driver(), opts...)
}

// Driver returns the sqlstore.Driver of SQLite through mattn/go-sqlite3.
func Driver() sqlstore.Driver { return driver{} }

type driver struct{}

func (driver) Dialect() sqlstore.Dialect { return sqlstore.SQLite }

// Begin begins a transaction, and retries, for up to busyTimeout, a BEGIN
// that SQLite refused with SQLITE_BUSY without waiting on its busy handler:
// SQLite does so when waiting could deadlock, and when another connection
// is switching a new database to WAL mode, which happens when several
// processes open a new database at once.
func (driver) Begin(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	deadline := time.Now().Add(busyTimeout)
	pause := time.Millisecond
	for {
		tx, err := db.BeginTx(ctx, nil)
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

// ClassifyError finds a sqlite3.Error; SQLite's messages quote no value.
func (driver) ClassifyError(err error) (found, reduced, kind error) {
	se, ok := errors.AsType[sqlite3.Error](err)
	if !ok {
		return nil, nil, nil
	}
	if se.Code == sqlite3.ErrNotADB {
		kind = sqlstore.ErrNotADatabase
	}
	return se, se, kind
}

// Retryable reports SQLite's busy and locked database: the refusal of an
// attempt on a connection that does not wait for another one's write (the
// lock tries of a database file, sqlstore.WithLockTries).
func (driver) Retryable(err error) bool {
	se, ok := errors.AsType[sqlite3.Error](err)
	return ok && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// Scheme returns the storeurl scheme of SQLite stores (sqlite:PATH,
// sqlite::memory:), for storeurl.New.
func Scheme() storeurl.Scheme {
	return storeurl.Scheme{
		Name: storeurl.SchemeSQLite,
		Open: func(ctx context.Context, l *storeurl.Location) (storeurl.Store, error) {
			var opts []sqlstore.Option
			if l.Table != "" {
				opts = append(opts, sqlstore.WithTable(l.Table))
			}
			s, err := Open(ctx, l.Path, opts...)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		Fix: sqlstore.ConfigFix,
	}
}
