package sqlstore_test

import (
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
)

// TestSaveWritesOnlyChangedColumns saves a refresh (a new access token and
// expiry) over a row written by another program, whose absent values are
// empty strings rather than NULL: the other columns keep their exact bytes
// (” stays ”), and, where the engine's triggers tell which columns an
// UPDATE names (SQLite, PostgreSQL), only access_token and expiry_time are
// named: never the id, so no index but theirs is touched.
func TestSaveWritesOnlyChangedColumns(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			ctx := t.Context()
			db, d, q := s.DB(), s.Dialect(), s.Table()
			if _, err := db.ExecContext(ctx, "INSERT INTO "+q+" (id, user_name, client_id, client_secret, refresh_token, access_token, grant_token, expiry_time, redirect_url, api_domain)"+
				" VALUES ('7', 'ada@example.com', '1000.C', 'sec', '1000.r', '1000.a', '', '1795879420612', '', 'https://www.zohoapis.eu')"); err != nil {
				t.Fatal(err)
			}
			touched := watchUpdates(t, db, d, q)
			tok := &zohoauth.Token{UserName: "ada@example.com", AccessToken: "1000.a2", Expiry: time.UnixMilli(1795879999000)}
			if err := s.SaveToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			if tok.ID != "7" {
				t.Fatalf("saved as id %q, want 7", tok.ID)
			}
			var v [10]sql.NullString
			if err := db.QueryRowContext(ctx, "SELECT id, user_name, client_id, client_secret, refresh_token, access_token, grant_token, expiry_time, redirect_url, api_domain FROM "+q).
				Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]); err != nil {
				t.Fatal(err)
			}
			want := [10]string{"7", "ada@example.com", "1000.C", "sec", "1000.r", "1000.a2", "", "1795879999000", "", "https://www.zohoapis.eu"}
			for i, w := range want {
				if !v[i].Valid || v[i].String != w {
					t.Errorf("column %d = %+v, want %q (not NULL)", i, v[i], w)
				}
			}
			if touched != nil {
				got := touched()
				if !slices.Equal(got, []string{"access_token", "expiry_time"}) {
					t.Errorf("the save's UPDATE named the columns %q, want only access_token and expiry_time", got)
				}
			}
			// A save that changes nothing writes nothing.
			if touched != nil {
				if err := s.SaveToken(ctx, &zohoauth.Token{ID: "7", AccessToken: "1000.a2"}); err != nil {
					t.Fatal(err)
				}
				if got := touched(); len(got) != 0 {
					t.Errorf("a save that changes nothing named the columns %q", got)
				}
			}
		})
	}
}

// watchUpdates adds, on SQLite and PostgreSQL, a trigger per column that
// logs the column's name whenever an UPDATE of table q names it (UPDATE OF
// fires for a named column even when its value does not change). It
// returns a function that returns the sorted, distinct names logged since
// its last call and clears the log; nil on MySQL, whose triggers cannot
// tell.
func watchUpdates(t *testing.T, db *sql.DB, d sqlstore.Dialect, q string) func() []string {
	t.Helper()
	ctx := t.Context()
	cols := []string{"id", "user_name", "client_id", "client_secret", "refresh_token", "access_token", "grant_token", "expiry_time", "redirect_url", "api_domain"}
	logTable := q + "_touched"
	exec := func(query string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, query); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	switch d {
	case sqlstore.SQLite:
		exec("CREATE TABLE " + logTable + " (col text)")
		for _, c := range cols {
			exec("CREATE TRIGGER " + q + "_t_" + c + " AFTER UPDATE OF " + c + " ON " + q + " BEGIN INSERT INTO " + logTable + " VALUES ('" + c + "'); END")
		}
	case sqlstore.Postgres:
		exec("CREATE TABLE " + logTable + " (col text)")
		t.Cleanup(func() { _, _ = db.ExecContext(ctx, "DROP TABLE IF EXISTS "+logTable) })
		for _, c := range cols {
			fn := q + "_f_" + c
			exec("CREATE FUNCTION " + fn + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO " + logTable + " VALUES ('" + c + "'); RETURN NULL; END $$")
			t.Cleanup(func() { _, _ = db.ExecContext(ctx, "DROP FUNCTION IF EXISTS "+fn+" CASCADE") })
			exec("CREATE TRIGGER " + q + "_t_" + c + " AFTER UPDATE OF " + c + " ON " + q + " FOR EACH ROW EXECUTE FUNCTION " + fn + "()")
		}
	default:
		return nil
	}
	return func() []string {
		t.Helper()
		rows, err := db.QueryContext(ctx, "SELECT DISTINCT col FROM "+logTable+" ORDER BY col")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			got = append(got, c)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		exec("DELETE FROM " + logTable)
		return got
	}
}
