package sqlstore

import (
	"context"
	"database/sql"
)

// Driver is what a Store needs of a database/sql driver besides its pool:
// the SQL its database speaks, how to begin a transaction, and how to read
// its errors. This package links no driver: the packages sqlstore/sqlite
// (github.com/mattn/go-sqlite3), sqlstore/mysql
// (github.com/go-sql-driver/mysql) and sqlstore/postgres
// (github.com/jackc/pgx/v5) each give one (their Driver function) and open
// stores with it, so that a program links only the drivers of the
// databases it uses. Another driver of one of the three dialects (a pure-Go
// SQLite, say) can be used by implementing Driver and passing it to New.
type Driver interface {
	// Dialect is the SQL the driver's database speaks.
	Dialect() Dialect
	// Begin begins a transaction on db (db.BeginTx, with whatever retry
	// the database needs: SQLite refuses a BEGIN at once, without waiting
	// on its busy handler, when waiting could deadlock).
	Begin(ctx context.Context, db *sql.DB) (*sql.Tx, error)
	// ClassifyError looks for the driver's own error in err. It returns
	// that error (nil when err holds none), a copy of it that quotes no
	// value (the driver's messages may quote a token; the copy keeps the
	// reason and the column), and the configuration error it reports:
	// ErrAccessDenied, ErrBadDSN, ErrNotADatabase, or nil.
	ClassifyError(err error) (found, reduced, kind error)
	// Retryable reports whether err, the error of one attempt to take a
	// lock (a single statement), may simply be tried again soon (MySQL's
	// deadlock and lock wait time-out, SQLite's busy database).
	// UpdateLifecycle tries its transaction again, a few times, on it too.
	Retryable(err error) bool
}
