package sqlstore_test

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
)

// countingDriver counts the transactions a Store begins through its
// Driver: every write of SQLite and PostgreSQL (the schema's included)
// begins one.
type countingDriver struct {
	sqlstore.Driver
	begins *atomic.Int64
}

func (d countingDriver) Begin(ctx context.Context, db *sql.DB) (*sql.Tx, error) {
	d.begins.Add(1)
	return d.Driver.Begin(ctx, db)
}

// TestOpenReadOnlyDatabaseFile opens a store on an existing SQLite file
// that is read-only at the OS level (0400), through a read-only SQLite
// connection (the tests run as root, whom the mode does not stop), and
// finds its token: opening a store whose schema is complete writes
// nothing, not even an empty write transaction, and leaves the file as
// it was.
func TestOpenReadOnlyDatabaseFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "zohooauth.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveToken(ctx, &zohoauth.Token{UserName: "ada@example.com", RefreshToken: "1000.r", AccessToken: "1000.a", Expiry: time.UnixMilli(1795879420612)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi0, _ := os.Stat(path)

	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_txlock=immediate&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var begins atomic.Int64
	ro, err := sqlstore.New(ctx, db, countingDriver{Driver: sqlite.Driver(), begins: &begins})
	if err != nil {
		t.Fatalf("open of a read-only database with a complete schema: %v", err)
	}
	defer ro.Close()
	found, err := ro.FindToken(ctx, &zohoauth.Token{UserName: "ada@example.com"})
	if err != nil || found.AccessToken != "1000.a" {
		t.Fatalf("FindToken = %+v, %v", found, err)
	}
	if _, err := ro.FindTokenByID(ctx, found.ID); err != nil {
		t.Fatal(err)
	}
	if list, err := ro.Tokens(ctx); err != nil || len(list) != 1 {
		t.Fatalf("Tokens = %d tokens, %v", len(list), err)
	}
	if n := begins.Load(); n != 0 {
		t.Errorf("open and finds began %d write transactions, want none", n)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi1, _ := os.Stat(path)
	if string(after) != string(before) || !fi1.ModTime().Equal(fi0.ModTime()) {
		t.Error("the database file changed")
	}
}

// TestOpenExistingSchemaBeginsNoWrite opens a store on a table whose
// schema (table and indexes) is complete, on SQLite and PostgreSQL, and
// finds: no write transaction begins (the schema is checked without the
// write lock). On a new table the first open does take it.
func TestOpenExistingSchemaBeginsNoWrite(t *testing.T) {
	for _, e := range engines() {
		if e.shared == nil || e.name == "mysql" { // MySQL's lock is not a transaction of the Driver
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			ctx := t.Context()
			d, dsn, table := sharedTable(t, e)
			var db *sql.DB
			var err error
			if d == sqlstore.SQLite {
				db, err = sql.Open("sqlite3", "file:"+(&url.URL{Path: dsn}).EscapedPath()+"?_txlock=immediate&_busy_timeout=5000&_journal_mode=WAL")
			} else {
				db, err = sql.Open(d.DriverName(), dsn)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var begins atomic.Int64
			drv := countingDriver{Driver: driverOf(d), begins: &begins}
			first, err := sqlstore.New(ctx, db, drv, sqlstore.WithTable(table))
			if err != nil {
				t.Fatal(err)
			}
			if begins.Load() == 0 {
				t.Error("the open that created the table began no transaction: the counter counts nothing")
			}
			if err := first.SaveToken(ctx, &zohoauth.Token{UserName: "ada@example.com", RefreshToken: "1000.r"}); err != nil {
				t.Fatal(err)
			}
			_ = first.Close()
			begins.Store(0)
			s, err := sqlstore.New(ctx, db, drv, sqlstore.WithTable(table))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.FindToken(ctx, &zohoauth.Token{UserName: "ada@example.com"}); err != nil {
				t.Fatal(err)
			}
			if n := begins.Load(); n != 0 {
				t.Errorf("open of a complete schema and a find began %d transactions, want none", n)
			}
		})
	}
}
