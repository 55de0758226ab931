package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/mysql"
	"github.com/zohoauth/zohoauth/sqlstore/postgres"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storetest"
)

// tableName returns a new table name for one test.
func tableName() string { return "zt_" + strings.ToLower(rand.Text()[:12]) }

// engine opens stores of one kind for the tests.
type engine struct {
	name string
	// open returns a store on a new, empty table (or database), closed and
	// dropped when the test ends.
	open func(t testing.TB) *sqlstore.Store
	// shared returns what lets another process open the same table:
	// dialect, DSN (or SQLite path) and table.
	shared func(t testing.TB) (sqlstore.Dialect, string, string)
}

func engines() []engine {
	return []engine{
		{name: "sqlite-file", open: func(t testing.TB) *sqlstore.Store {
			return openSQLite(t, filepath.Join(t.TempDir(), "zohooauth.db"))
		}, shared: func(t testing.TB) (sqlstore.Dialect, string, string) {
			return sqlstore.SQLite, filepath.Join(t.TempDir(), "zohooauth.db"), sqlstore.DefaultTable
		}},
		{name: "sqlite-memory", open: func(t testing.TB) *sqlstore.Store {
			return openSQLite(t, sqlite.Memory)
		}},
		{name: "mysql", open: func(t testing.TB) *sqlstore.Store {
			return openServer(t, sqlstore.MySQL, storetest.Server(t, storetest.EnvMySQL), tableName())
		}, shared: func(t testing.TB) (sqlstore.Dialect, string, string) {
			return sqlstore.MySQL, storetest.Server(t, storetest.EnvMySQL), tableName()
		}},
		{name: "postgres", open: func(t testing.TB) *sqlstore.Store {
			return openServer(t, sqlstore.Postgres, storetest.Server(t, storetest.EnvPostgres), tableName())
		}, shared: func(t testing.TB) (sqlstore.Dialect, string, string) {
			return sqlstore.Postgres, storetest.Server(t, storetest.EnvPostgres), tableName()
		}},
	}
}

func openSQLite(t testing.TB, path string) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("sqlite.Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openServer opens a store on a new table of a server, dropped at the end.
func openServer(t testing.TB, d sqlstore.Dialect, dsn, table string) *sqlstore.Store {
	t.Helper()
	raw := rawDB(t, d, dsn) // drops the table, even when a test closed the store
	s, err := openDialect(t.Context(), d, dsn, sqlstore.WithTable(table))
	if err != nil {
		t.Fatalf("cannot reach the %v server (%v)", d, err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		dropTable(t, raw, d, table)
	})
	return s
}

func dropTable(t testing.TB, db *sql.DB, d sqlstore.Dialect, table string) {
	for _, name := range []string{table, table + sqlstore.LockTableSuffix, table + sqlstore.LifecycleTableSuffix} {
		if _, err := db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+name); err != nil {
			t.Errorf("drop table %s: %v", name, err)
		}
	}
}

// rawDB opens a bare pool on a server for the tests that build tables as
// Zoho's SDK does.
func rawDB(t testing.TB, d sqlstore.Dialect, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(d.DriverName(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PingContext(t.Context()); err != nil {
		t.Fatalf("cannot reach the %v server: %v", d, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// sharedTable returns what lets processes open one new table of e (see
// engine.shared), dropped at the end of the test on a server.
func sharedTable(t *testing.T, e engine) (sqlstore.Dialect, string, string) {
	t.Helper()
	d, dsn, table := e.shared(t)
	if d != sqlstore.SQLite {
		db := rawDB(t, d, dsn)
		t.Cleanup(func() { dropTable(t, db, d, table) })
	}
	return d, dsn, table
}

// openDialect opens a Store of dialect d through its driver package (dsn is
// the path of a SQLite database).
func openDialect(ctx context.Context, d sqlstore.Dialect, dsn string, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	switch d {
	case sqlstore.MySQL:
		return mysql.Open(ctx, dsn, opts...)
	case sqlstore.Postgres:
		return postgres.Open(ctx, dsn, opts...)
	}
	return sqlite.Open(ctx, dsn, opts...)
}

// driverOf returns the Driver of dialect d.
func driverOf(d sqlstore.Dialect) sqlstore.Driver {
	switch d {
	case sqlstore.MySQL:
		return mysql.Driver()
	case sqlstore.Postgres:
		return postgres.Driver()
	}
	return sqlite.Driver()
}
