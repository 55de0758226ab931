package sqlstore_test

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storetest"
)

// zohoTable is a table made as Zoho's SDK makes it, with the pool that made
// it (the pool of a driver alone, not of the store).
type zohoTable struct {
	d     sqlstore.Dialect
	dsn   string // for the store: DSN or SQLite path
	db    *sql.DB
	table string
}

func zohoTables(t *testing.T) []struct {
	name string
	make func(t *testing.T) zohoTable
} {
	server := func(d sqlstore.Dialect, env string) func(t *testing.T) zohoTable {
		return func(t *testing.T) zohoTable {
			dsn := storetest.Server(t, env)
			db := rawDB(t, d, dsn)
			table := tableName()
			t.Cleanup(func() { dropTable(t, db, d, table) })
			return zohoTable{d: d, dsn: dsn, db: db, table: table}
		}
	}
	return []struct {
		name string
		make func(t *testing.T) zohoTable
	}{
		{"sqlite", func(t *testing.T) zohoTable {
			path := filepath.Join(t.TempDir(), sqlite.DefaultPath)
			return zohoTable{d: sqlstore.SQLite, dsn: path, db: rawDB(t, sqlstore.SQLite, path), table: sqlstore.DefaultTable}
		}},
		{"mysql", server(sqlstore.MySQL, storetest.EnvMySQL)},
		{"postgres", server(sqlstore.Postgres, storetest.EnvPostgres)},
	}
}

// ph returns the placeholders of n parameters in d.
func ph(d sqlstore.Dialect, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = "?"
		if d == sqlstore.Postgres {
			p[i] = fmt.Sprintf("$%d", i+1)
		}
	}
	return strings.Join(p, ",")
}

// zohoRow is a row as Zoho's DBStore writes it: None as NULL, expiry as
// epoch milliseconds, user name as email:zgid.
func zohoRow(i int) []any {
	var user, grant any
	if i%4 != 0 {
		user = fmt.Sprintf("user%d@example.com:6000%03d", i, i)
	}
	if i == 7 {
		grant = "1000.grant.7"
	}
	return []any{fmt.Sprint(i), user, "1000.CLIENT", "secret", fmt.Sprintf("1000.refresh.%d", i), fmt.Sprintf("1000.access.%d", i),
		grant, fmt.Sprint(1795879420612 + int64(i)), "https://example.com/cb", "https://www.zohoapis.eu"}
}

// readByPosition reads a row as Zoho's reader does: SELECT *, by index.
func readByPosition(t *testing.T, db *sql.DB, d sqlstore.Dialect, table, id string) [10]sql.NullString {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), "SELECT * FROM "+table+" WHERE id = "+ph(d, 1), id)
	if err != nil {
		t.Fatalf("SELECT * of id %s: %v", id, err)
	}
	defer rows.Close()
	// Exactly Zoho's ten columns: what this package adds (indexes, MySQL's
	// invisible id column) does not show.
	if cols, err := rows.Columns(); err != nil || strings.Join(cols, ",") != "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain" {
		t.Fatalf("SELECT * gives the columns %v (%v)", cols, err)
	}
	var v [10]sql.NullString
	if !rows.Next() {
		t.Fatalf("SELECT * of id %s: no row (%v)", id, rows.Err())
	}
	if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]); err != nil {
		t.Fatalf("SELECT * of id %s: %v", id, err)
	}
	return v
}

// filled makes Zoho's table with Zoho's DDL, inserts rows 1 to 11 as
// Zoho's SDK would (zohoRow), and opens a store on it, closed with the
// test.
func (z zohoTable) filled(t *testing.T) *sqlstore.Store {
	t.Helper()
	ctx := t.Context()
	if _, err := z.db.ExecContext(ctx, sqlstore.ZohoDDL(z.table)); err != nil {
		t.Fatalf("Zoho's DDL: %v", err)
	}
	insert := "insert into " + z.table + " (id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain) values (" + ph(z.d, 10) + ")"
	for i := 1; i <= 11; i++ {
		if _, err := z.db.ExecContext(ctx, insert, zohoRow(i)...); err != nil {
			t.Fatalf("Zoho's insert: %v", err)
		}
	}
	s, err := openShared(ctx, z.d, z.dsn, z.table)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestZohoTable checks both directions of compatibility with a table made
// and filled by Zoho's SDK: its rows read right, and rows we write read
// right by position; ids go on numerically past "10".
func TestZohoTable(t *testing.T) {
	for _, zt := range zohoTables(t) {
		t.Run(zt.name, func(t *testing.T) {
			z := zt.make(t)
			ctx := t.Context()
			s := z.filled(t)

			// Zoho's rows read right, by every key.
			want := &zohoauth.Token{ID: "10", UserName: "user10@example.com:6000010", ClientID: "1000.CLIENT", ClientSecret: "secret",
				RefreshToken: "1000.refresh.10", AccessToken: "1000.access.10", Expiry: time.UnixMilli(1795879420622),
				RedirectURL: "https://example.com/cb", APIDomain: "https://www.zohoapis.eu"}
			for _, q := range []*zohoauth.Token{
				{UserName: want.UserName},
				{ClientID: "1000.CLIENT", ClientSecret: "x", RefreshToken: want.RefreshToken},
				{AccessToken: want.AccessToken},
			} {
				got, err := s.FindToken(ctx, q)
				if err != nil {
					t.Fatalf("FindToken(%v): %v", q, err)
				}
				if *got != *want {
					t.Fatalf("FindToken(%v) = %v, want %v", q, got, want)
				}
			}
			got, err := s.FindTokenByID(ctx, "8") // a row without user name
			if err != nil || got.UserName != "" || got.RefreshToken != "1000.refresh.8" {
				t.Fatalf("FindTokenByID(8) = %v, %v", got, err)
			}
			if got, err := s.FindToken(ctx, &zohoauth.Token{ClientID: "1000.CLIENT", ClientSecret: "x", GrantToken: "1000.grant.7"}); err != nil || got.ID != "7" {
				t.Fatalf("find by grant token = %v, %v", got, err)
			}

			if z.d == sqlstore.MySQL {
				var extra string
				if err := z.db.QueryRowContext(ctx, "SELECT extra FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = 'zohoauth_idnum'", z.table).Scan(&extra); err != nil || !strings.Contains(strings.ToUpper(extra), "INVISIBLE") {
					t.Fatalf("MySQL table without the invisible id column: %q, %v", extra, err)
				}
			}
			// A new token gets the next numeric id: 12, where Zoho's string
			// max(id) would give 10 again.
			tok := &zohoauth.Token{UserName: "new@example.com:6000999", ClientID: "1000.CLIENT", ClientSecret: "s2",
				RefreshToken: "1000.refresh.new", AccessToken: "1000.access.new", Expiry: time.UnixMilli(1795879429999)}
			if err := s.SaveToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			if tok.ID != "12" {
				t.Fatalf("new id %q, want 12", tok.ID)
			}
			// Our rows read right by position, absent fields as NULL.
			v := readByPosition(t, z.db, z.d, z.table, "12")
			wantRow := []string{"12", tok.UserName, "1000.CLIENT", "s2", "1000.refresh.new", "1000.access.new", "", "1795879429999", "", ""}
			for i, w := range wantRow {
				if v[i].String != w || v[i].Valid != (w != "") {
					t.Fatalf("column %d of our row = %+v, want %q (NULL when empty)", i, v[i], w)
				}
			}
			// An update of a Zoho row keeps what it does not set.
			if err := s.SaveToken(ctx, &zohoauth.Token{UserName: want.UserName, AccessToken: "1000.access.10b", Expiry: time.UnixMilli(1795879500000)}); err != nil {
				t.Fatal(err)
			}
			v = readByPosition(t, z.db, z.d, z.table, "10")
			if v[1].String != want.UserName || v[4].String != want.RefreshToken || v[5].String != "1000.access.10b" || v[7].String != "1795879500000" || v[9].String != want.APIDomain {
				t.Fatalf("row 10 after an update: %+v", v)
			}

			// User names that a case- and space-insensitive collation (the
			// default of a MySQL table made by Zoho's DDL) takes for one
			// stay two users.
			names := []string{"Case@Example.com:1", "case@example.com:1", "case@example.com:1 "}
			for i, n := range names {
				if err := s.SaveToken(ctx, &zohoauth.Token{UserName: n, ClientID: "1000.CLIENT", AccessToken: fmt.Sprint("1000.access.case", i)}); err != nil {
					t.Fatalf("save %q: %v", n, err)
				}
			}
			for i, n := range names {
				got, err := s.FindToken(ctx, &zohoauth.Token{UserName: n})
				if err != nil || got.UserName != n || got.AccessToken != fmt.Sprint("1000.access.case", i) {
					t.Fatalf("find %q = %v, %v", n, got, err)
				}
			}

			// A value longer than Zoho's varchar(255) is refused with a
			// typed error that names the column, not the value, and stores
			// nothing. SQLite does not enforce declared lengths.
			if z.d == sqlstore.SQLite {
				return
			}
			long := strings.Repeat("s", 300)
			err = s.SaveToken(ctx, &zohoauth.Token{UserName: want.UserName, RefreshToken: long})
			if !errors.Is(err, sqlstore.ErrTooLong) || strings.Contains(err.Error(), long) || !strings.Contains(err.Error(), "refresh_token") {
				t.Fatalf("too long a refresh token: %v", err)
			}
			if got, _ := s.FindTokenByID(ctx, "10"); got.RefreshToken != want.RefreshToken {
				t.Fatalf("a refused save changed the row")
			}
			// The limit counts characters, not bytes: 255 of them, of two
			// bytes each in UTF-8, fit.
			full := strings.Repeat("é", 255)
			if err := s.SaveToken(ctx, &zohoauth.Token{UserName: want.UserName, RefreshToken: full}); err != nil {
				t.Fatalf("a refresh token of 255 two-byte characters: %v", err)
			}
			if got, _ := s.FindTokenByID(ctx, "10"); got.RefreshToken != full {
				t.Fatalf("a refresh token of 255 two-byte characters reads back as %d bytes", len(got.RefreshToken))
			}
		})
	}
}

// TestOurTableByPosition checks a table this package creates: Zoho's columns
// in Zoho's order, read by position.
func TestOurTableByPosition(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			tok := &zohoauth.Token{UserName: "a@example.com:1", ClientID: "c", ClientSecret: "cs", RefreshToken: "r", AccessToken: "a",
				GrantToken: "g", Expiry: time.UnixMilli(1795879420612), RedirectURL: "https://x/cb", APIDomain: "https://www.zohoapis.com"}
			if err := s.SaveToken(t.Context(), tok); err != nil {
				t.Fatal(err)
			}
			v := readByPosition(t, s.DB(), s.Dialect(), s.Table(), tok.ID)
			want := []string{tok.ID, "a@example.com:1", "c", "cs", "r", "a", "g", "1795879420612", "https://x/cb", "https://www.zohoapis.com"}
			for i, w := range want {
				if v[i].String != w {
					t.Fatalf("column %d = %q, want %q", i, v[i].String, w)
				}
			}
		})
	}
}
