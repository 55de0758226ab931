package sqlstore_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
)

// walk returns the ids TokensAfter gives page by page.
func walk(t *testing.T, s *sqlstore.Store, size int) ([]string, error) {
	t.Helper()
	var ids []string
	after := ""
	for range 100 {
		page, err := s.TokensAfter(t.Context(), after, size)
		if err != nil {
			return ids, err
		}
		for _, tok := range page {
			ids = append(ids, tok.ID)
		}
		if len(page) < size {
			return ids, nil
		}
		after = page[len(page)-1].ID
	}
	t.Fatal("TokensAfter did not end")
	return nil, nil
}

func TestTokensAfterOrder(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			// Ids of one value ("7", "007") come in id text order; 10
			// comes after 9 although "10" < "9" as text.
			for i, id := range []string{"10", "9", "7", "007", "1234567890", "08"} {
				tok := &zohoauth.Token{ID: id, UserName: "u" + id + "@example.com", AccessToken: "1000.a." + string(rune('a'+i))}
				if err := s.SaveToken(t.Context(), tok); err != nil {
					t.Fatalf("SaveToken(%s): %v", id, err)
				}
			}
			want := []string{"007", "7", "08", "9", "10", "1234567890"}
			for _, size := range []int{1, 2, 4, 6, 100} {
				got, err := walk(t, s, size)
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("pages of %d: ids %v, %v; want %v", size, got, err, want)
				}
			}
			if _, err := s.TokensAfter(t.Context(), "1 OR 1=1", 10); !errors.Is(err, zohoauth.ErrInvalidID) {
				t.Fatalf("TokensAfter with a bad id = %v, want ErrInvalidID", err)
			}
			var ze *zohoauth.Error
			if _, err := s.TokensAfter(t.Context(), "", 0); !errors.As(err, &ze) {
				t.Fatalf("TokensAfter with limit 0 = %v, want a *zohoauth.Error", err)
			}
		})
	}
}

// TestTokensAfterNonNumericID checks that a row whose id is not numeric,
// which only another program can write, fails the walk on its last page
// instead of being left out silently.
func TestTokensAfterNonNumericID(t *testing.T) {
	for _, e := range engines() {
		if e.shared == nil {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			d, dsn, table := sharedTable(t, e)
			var s *sqlstore.Store
			if d == sqlstore.SQLite {
				s = openSQLite(t, dsn)
			} else {
				var err error
				if s, err = openDialect(t.Context(), d, dsn, sqlstore.WithTable(table)); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = s.Close() })
			}
			for _, name := range []string{"a", "b", "c"} {
				if err := s.SaveToken(t.Context(), &zohoauth.Token{UserName: name + "@example.com", AccessToken: "1000.a." + name}); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := walk(t, s, 2); err != nil || len(got) != 3 {
				t.Fatalf("walk = %v, %v; want 3 ids", got, err)
			}
			db := rawDB(t, d, dsn)
			q := "INSERT INTO " + table + " (id, user_name, access_token) VALUES ('x1', 'x@example.com', '1000.secret.x')"
			if _, err := db.ExecContext(t.Context(), q); err != nil {
				t.Fatal(err)
			}
			got, err := walk(t, s, 2)
			if !errors.Is(err, zohoauth.ErrInvalidID) || !strings.Contains(err.Error(), "1 tokens") {
				t.Fatalf("walk over a non-numeric id = %v, %v; want ErrInvalidID naming 1 token", got, err)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "x1") {
				t.Fatalf("the error shows a stored value: %v", err)
			}
		})
	}
}
