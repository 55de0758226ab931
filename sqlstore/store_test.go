package sqlstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/postgres"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storetest"
)

func TestValidTableName(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"oauthtoken", true},
		{"OAuthToken_2", true},
		{"_t", true},
		{strings.Repeat("a", 40), true},
		{"", false},
		{strings.Repeat("a", 41), false},
		{"1table", false},
		{"oauth token", false},
		{"oauthtoken; DROP TABLE x", false},
		{"a`b", false},
		{`a"b`, false},
		{"schema.table", false},
		{"tablé", false},
	} {
		if got := sqlstore.ValidTableName(c.name); got != c.ok {
			t.Errorf("ValidTableName(%q) = %v, want %v", c.name, got, c.ok)
		}
	}
}

func TestBadTableNameRunsNoSQL(t *testing.T) {
	for _, d := range []sqlstore.Dialect{sqlstore.MySQL, sqlstore.Postgres, sqlstore.SQLite} {
		// A nil pool: the name is refused before any use of it.
		_, err := sqlstore.New(t.Context(), nil, driverOf(d), sqlstore.WithTable("t; DROP TABLE oauthtoken"))
		if !errors.Is(err, sqlstore.ErrBadTableName) || !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore}) {
			t.Fatalf("%v: bad table name gave %v", d, err)
		}
	}
	if _, err := sqlite.Open(t.Context(), sqlite.Memory, sqlstore.WithTable("")); !errors.Is(err, sqlstore.ErrBadTableName) {
		t.Fatalf("empty table name gave %v", err)
	}
}

func TestParseDialect(t *testing.T) {
	for _, c := range []struct {
		in   string
		want sqlstore.Dialect
	}{
		{"mysql", sqlstore.MySQL}, {"MariaDB", sqlstore.MySQL},
		{"postgres", sqlstore.Postgres}, {"postgresql", sqlstore.Postgres}, {"pgx", sqlstore.Postgres},
		{"sqlite", sqlstore.SQLite}, {"sqlite3", sqlstore.SQLite},
	} {
		got, err := sqlstore.ParseDialect(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseDialect(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if back, _ := sqlstore.ParseDialect(got.String()); back != got {
			t.Errorf("ParseDialect(%v.String()) = %v", got, back)
		}
	}
	for _, in := range []string{"", "oracle", "sqlite4", "mysql://"} {
		if _, err := sqlstore.ParseDialect(in); !errors.Is(err, sqlstore.ErrUnknownDialect) {
			t.Errorf("ParseDialect(%q) error %v, want ErrUnknownDialect", in, err)
		}
	}
	if _, err := sqlstore.New(t.Context(), nil, nil); !errors.Is(err, sqlstore.ErrUnknownDialect) {
		t.Errorf("New without a driver: %v", err)
	}
}

func FuzzParseDialect(f *testing.F) {
	for _, s := range []string{"mysql", "MARIADB", "postgres", "pgx", "sqlite3", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := sqlstore.ParseDialect(s)
		if err != nil {
			if !errors.Is(err, sqlstore.ErrUnknownDialect) {
				t.Fatalf("ParseDialect(%q): untyped error %v", s, err)
			}
			return
		}
		if d.DriverName() == "" {
			t.Fatalf("ParseDialect(%q) = %v without a driver", s, d)
		}
		if back, err := sqlstore.ParseDialect(d.String()); err != nil || back != d {
			t.Fatalf("%v does not round-trip: %v, %v", d, back, err)
		}
	})
}

func FuzzValidTableName(f *testing.F) {
	for _, s := range []string{"oauthtoken", "a`b", `x"`, "t; DROP TABLE t", "1a", "_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !sqlstore.ValidTableName(name) {
			if _, err := sqlstore.New(t.Context(), nil, postgres.Driver(), sqlstore.WithTable(name)); !errors.Is(err, sqlstore.ErrBadTableName) {
				t.Fatalf("New with table %q: %v", name, err)
			}
			return
		}
		if len(name) > 40 || strings.ContainsFunc(name, func(r rune) bool {
			return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}) {
			t.Fatalf("ValidTableName accepted %q", name)
		}
	})
}

// Two in-memory stores are two databases; each is shared by its own pool.
func TestMemoryStoresApart(t *testing.T) {
	a := openSQLite(t, sqlite.Memory)
	b := openSQLite(t, sqlite.Memory)
	ctx := t.Context()
	if err := a.SaveToken(ctx, &zohoauth.Token{UserName: "u", AccessToken: "x"}); err != nil {
		t.Fatal(err)
	}
	if list, err := b.Tokens(ctx); err != nil || len(list) != 0 {
		t.Fatalf("the second in-memory store sees %d tokens (%v)", len(list), err)
	}
	// Many connections of one pool see one database.
	a.DB().SetMaxIdleConns(0)
	for i := 0; i < 5; i++ {
		conns := make([]interface{ Close() error }, 3)
		for j := range conns {
			c, err := a.DB().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM oauthtoken").Scan(&n); err != nil || n != 1 {
				t.Fatalf("connection %d sees %d rows (%v)", j, n, err)
			}
			conns[j] = c
		}
		for _, c := range conns {
			_ = c.Close()
		}
	}
}

// sqlite.Open with Zoho's default path makes zohooauth.db in the working
// directory, as Zoho's SQLite sample does, and a second store reads it.
func TestSQLiteDefaultFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s := openSQLite(t, sqlite.DefaultPath)
	if err := s.SaveToken(t.Context(), &zohoauth.Token{UserName: "u@x:1", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "zohooauth.db")); err != nil {
		t.Fatal(err)
	}
	s2 := openSQLite(t, "zohooauth.db")
	if got, err := s2.FindToken(t.Context(), &zohoauth.Token{UserName: "u@x:1"}); err != nil || got.RefreshToken != "r" {
		t.Fatalf("second store: %v, %v", got, err)
	}
	// A path with characters that mean something in a URI.
	odd := filepath.Join(dir, "a b#c?d%20.db")
	s3 := openSQLite(t, odd)
	if err := s3.SaveToken(t.Context(), &zohoauth.Token{UserName: "u", AccessToken: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(odd); err != nil {
		t.Fatalf("odd path: %v", err)
	}
}

// A table of the old SDKs (user_mail, no api_domain) is refused with a
// typed error, not used wrongly.
func TestIncompatibleTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db := rawDB(t, sqlstore.SQLite, path)
	if _, err := db.ExecContext(t.Context(), `CREATE TABLE oauthtoken (id varchar(255) NOT NULL, user_mail varchar(255) NOT NULL,
client_id varchar(255), client_secret varchar(255), refresh_token varchar(255), access_token varchar(255),
grant_token varchar(255), expiry_time varchar(20), redirect_url varchar(255), primary key (id))`); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(t.Context(), path)
	if !errors.Is(err, sqlstore.ErrIncompatibleTable) || !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore}) {
		t.Fatalf("old table: %v", err)
	}
}

// No error of the store shows a secret: not the store's own errors, not the
// driver's.
func TestErrorsShowNoSecret(t *testing.T) {
	const secret = "1000.SECRET.d41d8cd98f00b204e9800998ecf8427e"
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			ctx := t.Context()
			tok := &zohoauth.Token{UserName: "u@x:1", ClientID: "c", ClientSecret: secret, RefreshToken: secret, AccessToken: secret, GrantToken: secret}
			if err := s.SaveToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			var errs []error
			c := tok.Clone()
			c.ID = "99"
			errs = append(errs, s.SaveToken(ctx, c))                                   // conflict
			errs = append(errs, s.SaveToken(ctx, &zohoauth.Token{UserName: "nobody"})) // nothing to save
			_, err := s.FindToken(ctx, &zohoauth.Token{RefreshToken: secret + "x", ClientID: "c", ClientSecret: secret})
			errs = append(errs, err)
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			errs = append(errs, s.SaveToken(cancelled, tok.Clone()))
			_, err = s.FindToken(cancelled, &zohoauth.Token{AccessToken: secret})
			errs = append(errs, err)
			_ = s.Close()
			errs = append(errs, s.SaveToken(ctx, tok.Clone())) // closed
			_, err = s.FindToken(ctx, &zohoauth.Token{AccessToken: secret})
			errs = append(errs, err)
			for i, err := range errs {
				if err == nil {
					t.Fatalf("error %d is nil", i)
				}
				var ze *zohoauth.Error
				if !errors.As(err, &ze) || ze.Code != zohoauth.CodeTokenStore {
					t.Errorf("error %d is not a TOKEN_STORE *zohoauth.Error: %v", i, err)
				}
				for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
					if strings.Contains(text, secret) {
						t.Errorf("error %d shows a secret: %s", i, text)
					}
				}
			}
			if !errors.Is(errs[0], zohoauth.ErrConflict) || !errors.Is(errs[1], zohoauth.ErrNothingToSave) ||
				!errors.Is(errs[2], zohoauth.ErrNotFound) || !errors.Is(errs[3], context.Canceled) || !errors.Is(errs[4], context.Canceled) {
				t.Errorf("errors do not match their causes: %v", errs)
			}
			if !errors.Is(errs[1], &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: storekit.MsgDetailsNotFoundDB}) ||
				!errors.Is(errs[2], &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: storekit.MsgDetailsNotFoundDB}) ||
				!errors.Is(errs[3], &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: storekit.MsgSaveTokenDB}) {
				t.Errorf("errors do not carry Zoho's texts: %v", errs)
			}
		})
	}
}

// Open puts MySQL sessions in strict mode, keeping the server's other modes,
// so that the server refuses a value its column cannot hold.
func TestMySQLStrictMode(t *testing.T) {
	s := openServer(t, sqlstore.MySQL, storetest.Server(t, storetest.EnvMySQL), tableName())
	var mode string
	if err := s.DB().QueryRowContext(t.Context(), "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mode, "STRICT_ALL_TABLES") {
		t.Fatalf("session sql_mode %q lacks STRICT_ALL_TABLES", mode)
	}
	var global string
	if err := s.DB().QueryRowContext(t.Context(), "SELECT @@GLOBAL.sql_mode").Scan(&global); err != nil {
		t.Fatal(err)
	}
	for _, m := range strings.Split(global, ",") {
		if m != "" && !strings.Contains(mode, m) {
			t.Fatalf("session sql_mode %q dropped the server's %s", mode, m)
		}
	}
}

// A database user with no right but reading and writing rows can use a
// complete table (one made before, with the indexes): Open creates nothing
// that is there already.
func TestLeastPrivilege(t *testing.T) {
	for _, c := range []struct {
		name string
		d    sqlstore.Dialect
		env  string
	}{{"mysql", sqlstore.MySQL, storetest.EnvMySQL}, {"postgres", sqlstore.Postgres, storetest.EnvPostgres}} {
		t.Run(c.name, func(t *testing.T) {
			dsn := storetest.Server(t, c.env)
			admin := openServer(t, c.d, dsn, tableName()) // makes the table and its indexes
			db := admin.DB()
			ctx := t.Context()
			role := "zt_dml_" + strings.ToLower(rand.Text()[:8])
			var userDSN string
			if c.d == sqlstore.MySQL {
				for _, q := range []string{
					// Without the invisible id column, which this user cannot
					// add: the store falls back to a scan for new ids.
					"ALTER TABLE " + admin.Table() + " DROP COLUMN zohoauth_idnum",
					"CREATE USER '" + role + "'@'%'",
					"GRANT SELECT, INSERT, UPDATE, DELETE ON " + admin.Table() + " TO '" + role + "'@'%'",
				} {
					if _, err := db.ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				t.Cleanup(func() { _, _ = db.ExecContext(context.Background(), "DROP USER '"+role+"'@'%'") })
				cfg, err := mysql.ParseDSN(dsn)
				if err != nil {
					t.Fatal(err)
				}
				cfg.User, cfg.Passwd = role, ""
				userDSN = cfg.FormatDSN()
			} else {
				for _, q := range []string{
					"CREATE ROLE " + role + " LOGIN",
					"GRANT SELECT, INSERT, UPDATE, DELETE ON " + admin.Table() + " TO " + role,
				} {
					if _, err := db.ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				t.Cleanup(func() {
					_, _ = db.ExecContext(context.Background(), "REVOKE ALL ON "+admin.Table()+" FROM "+role)
					_, _ = db.ExecContext(context.Background(), "DROP ROLE "+role)
				})
				u, err := url.Parse(dsn)
				if err != nil {
					t.Fatal(err)
				}
				u.User = url.User(role)
				userDSN = u.String()
			}
			s, err := openDialect(ctx, c.d, userDSN, sqlstore.WithTable(admin.Table()))
			if err != nil {
				t.Fatalf("Open as a user without DDL rights: %v", err)
			}
			defer s.Close()
			for i := 1; i <= 11; i++ {
				tok := &zohoauth.Token{UserName: fmt.Sprintf("u%d@x:1", i), RefreshToken: "r"}
				if err := s.SaveToken(ctx, tok); err != nil || tok.ID != strconv.Itoa(i) {
					t.Fatalf("save %d: id %s, %v", i, tok.ID, err)
				}
			}
			tok := &zohoauth.Token{UserName: "u@x:1", RefreshToken: "r"}
			if err := s.SaveToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			if got, err := admin.FindTokenByID(ctx, tok.ID); err != nil || got.RefreshToken != "r" {
				t.Fatalf("the admin store reads %v, %v", got, err)
			}
			// Without the table, such a user gets a typed error.
			if _, err := openDialect(ctx, c.d, userDSN, sqlstore.WithTable(tableName())); !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore}) {
				t.Fatalf("Open of a missing table without DDL rights: %v", err)
			}
		})
	}
}
