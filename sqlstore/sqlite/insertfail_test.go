package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
)

// TestSaveTokensInsertFailsMidway: the multi-row INSERTs of a batch run
// through Query on SQLite (sqlstore's execMany). A row that the database
// refuses, in the first or a later statement of the batch, fails the whole
// batch with the database's error, and the table keeps exactly what it held.
func TestSaveTokensInsertFailsMidway(t *testing.T) {
	for _, bad := range []int{0, 499, 500, 999} { // the first and the second statement (500 rows each)
		t.Run(fmt.Sprint(bad), func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "z.db")
			s, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			kept := &zohoauth.Token{UserName: "kept@example.com", ClientID: "c", RefreshToken: "1000.kept", Expiry: time.UnixMilli(1_800_000_000_000)}
			if err := s.SaveToken(ctx, kept); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, `CREATE TRIGGER refuse BEFORE INSERT ON oauthtoken
				WHEN NEW.user_name = 'bad@example.com' BEGIN SELECT RAISE(ABORT, 'refused by trigger'); END`); err != nil {
				t.Fatal(err)
			}
			batch := make([]*zohoauth.Token, 1000)
			for i := range batch {
				batch[i] = &zohoauth.Token{UserName: fmt.Sprintf("u%d@example.com", i), ClientID: "c", RefreshToken: fmt.Sprintf("1000.r%d", i)}
			}
			batch[bad].UserName = "bad@example.com"
			err = s.SaveTokens(ctx, batch)
			if err == nil || !strings.Contains(err.Error(), "refused by trigger") {
				t.Fatalf("SaveTokens with a refused row: %v, want the trigger's error", err)
			}
			all, err := s.Tokens(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 1 || all[0].UserName != kept.UserName {
				t.Fatalf("after the failed batch the table holds %d tokens, want only the one saved before", len(all))
			}
			for _, tok := range batch {
				if tok.ID != "" {
					t.Fatalf("a token of the failed batch got the id %s", tok.ID)
				}
			}
		})
	}
}
