package sqlstore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storetest"
)

// refreshed returns old with a new access token and expiry: what a refresh
// saves.
func refreshed(old *zohoauth.Token, access string) *zohoauth.Token {
	in := old.Clone()
	in.AccessToken, in.Expiry = access, old.Expiry.Add(time.Hour)
	return in
}

// sameToken reports whether a and b hold the same values.
func sameToken(a, b *zohoauth.Token) bool {
	x, y := *a, *b
	x.Expiry, y.Expiry = time.Time{}, time.Time{}
	return x == y && a.Expiry.Equal(b.Expiry)
}

// TestSwapOfTheAccessTokenAlone checks the one-statement swap of a refresh
// against the transaction it stands in for: it swaps only when the stored
// row is old in every column, and leaves every other case to the
// transaction, whose outcome SwapToken then gives.
func TestSwapOfTheAccessTokenAlone(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			ctx := t.Context()
			save := func(user string) *zohoauth.Token {
				t.Helper()
				tok := &zohoauth.Token{UserName: user, ClientID: "1000.C", ClientSecret: "cs", RefreshToken: "1000.refresh." + user,
					AccessToken: "1000.access." + user, Expiry: time.UnixMilli(1795879420612), APIDomain: "https://www.zohoapis.com"}
				if err := s.SaveToken(ctx, tok); err != nil {
					t.Fatal(err)
				}
				return tok
			}
			stored := func(id string) *zohoauth.Token {
				t.Helper()
				got, err := s.FindTokenByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				return got
			}

			// A refresh: swapped in one statement, stored as given.
			a := save("a@example.com:1")
			in := refreshed(a, "1000.access.a2")
			if ok, err := sqlstore.SwapAccess(s, ctx, a, in); !ok || err != nil {
				t.Fatalf("swap of a refresh: %v, %v; want done in one statement", ok, err)
			}
			if got := stored(a.ID); !sameToken(got, in) {
				t.Fatalf("stored after the swap differs from the token swapped in")
			}
			// The same swap again: the row has changed, nothing is written,
			// and SwapToken reports it stale.
			if ok, err := sqlstore.SwapAccess(s, ctx, a, refreshed(a, "1000.access.a3")); ok || err != nil {
				t.Fatalf("stale swap: %v, %v; want not done", ok, err)
			}
			if err := s.SwapToken(ctx, a, refreshed(a, "1000.access.a3")); !errors.Is(err, zohoauth.ErrStale) {
				t.Fatalf("stale SwapToken = %v, want ErrStale", err)
			}
			if got := stored(a.ID); got.AccessToken != "1000.access.a2" {
				t.Fatal("a stale swap wrote the row")
			}

			// Another process changed the refresh token, not the access
			// token: the one statement does not swap; the transaction
			// does, with the token given (as it always has).
			b := save("b@example.com:1")
			if _, err := s.DB().ExecContext(ctx, fmt.Sprintf("UPDATE %s SET refresh_token = 'other' WHERE id = '%s'", s.Table(), b.ID)); err != nil {
				t.Fatal(err)
			}
			in = refreshed(b, "1000.access.b2")
			if ok, err := sqlstore.SwapAccess(s, ctx, b, in); ok || err != nil {
				t.Fatalf("swap over a row whose refresh token changed: %v, %v; want not done", ok, err)
			}
			if got := stored(b.ID); got.RefreshToken != "other" || got.AccessToken != b.AccessToken {
				t.Fatal("the one statement wrote a row that differs from old")
			}
			if err := s.SwapToken(ctx, b, in); err != nil {
				t.Fatal(err)
			}
			if got := stored(b.ID); !sameToken(got, in) {
				t.Fatal("SwapToken did not store the token given")
			}

			// A stored expiry spelt otherwise: left to the transaction,
			// which compares instants.
			c := save("c@example.com:1")
			if _, err := s.DB().ExecContext(ctx, fmt.Sprintf("UPDATE %s SET expiry_time = '00%d' WHERE id = '%s'", s.Table(), c.Expiry.UnixMilli(), c.ID)); err != nil {
				t.Fatal(err)
			}
			in = refreshed(c, "1000.access.c2")
			if ok, err := sqlstore.SwapAccess(s, ctx, c, in); ok || err != nil {
				t.Fatalf("swap over another spelling of the expiry: %v, %v; want not done", ok, err)
			}
			if err := s.SwapToken(ctx, c, in); err != nil {
				t.Fatal(err)
			}

			// More than the access token changes (a login, a new refresh
			// token): not for the one statement.
			d := save("d@example.com:1")
			in = refreshed(d, "1000.access.d2")
			in.RefreshToken = "1000.refresh.d2"
			if ok, err := sqlstore.SwapAccess(s, ctx, d, in); ok || err != nil {
				t.Fatalf("swap of a new refresh token: %v, %v; want not done", ok, err)
			}
			// A NULL column read as empty matches an empty column of old.
			if _, err := s.DB().ExecContext(ctx, fmt.Sprintf("UPDATE %s SET client_secret = NULL WHERE id = '%s'", s.Table(), d.ID)); err != nil {
				t.Fatal(err)
			}
			d = stored(d.ID)
			if ok, err := sqlstore.SwapAccess(s, ctx, d, refreshed(d, "1000.access.d3")); !ok || err != nil {
				t.Fatalf("swap over a NULL column: %v, %v; want done", ok, err)
			}
		})
	}
}

// TestSwapComparesBytesOnMySQL is the swap over a table made elsewhere with
// MySQL's default, case-insensitive collation: a stored access token that
// differs from old's in case alone is another token, and the swap is stale.
func TestSwapComparesBytesOnMySQL(t *testing.T) {
	var e engine
	for _, x := range engines() {
		if x.name == "mysql" {
			e = x
		}
	}
	d, dsn, table := sharedTable(t, e)
	raw := rawDB(t, d, dsn)
	ctx := t.Context()
	if _, err := raw.ExecContext(ctx, sqlstore.ZohoDDL(table)+" DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"); err != nil {
		t.Fatal(err)
	}
	s, err := openDialect(ctx, d, dsn, sqlstore.WithTable(table))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := &zohoauth.Token{UserName: "a@example.com:1", ClientID: "1000.C", RefreshToken: "1000.refresh.a", AccessToken: "1000.access.a", Expiry: time.UnixMilli(1795879420612)}
	if err := s.SaveToken(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, "UPDATE "+table+" SET access_token = '1000.ACCESS.A'"); err != nil {
		t.Fatal(err)
	}
	in := refreshed(a, "1000.access.a2")
	if ok, err := sqlstore.SwapAccess(s, ctx, a, in); ok || err != nil {
		t.Fatalf("swap over an access token that differs in case: %v, %v; want not done", ok, err)
	}
	if err := s.SwapToken(ctx, a, in); !errors.Is(err, zohoauth.ErrStale) {
		t.Fatalf("SwapToken = %v, want ErrStale", err)
	}
}

// TestSwapOneWinnerMixed races swaps of one row from one read, from two
// stores on the same table (two processes): refreshes (the one statement,
// which takes no table lock) and swaps that change one more column (the
// transaction). Each round exactly one may win.
func TestSwapOneWinnerMixed(t *testing.T) {
	for _, e := range engines() {
		if e.shared == nil {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			d, dsn, table := sharedTable(t, e)
			var stores [2]zohoauth.Store
			for i := range stores {
				s, err := openDialect(t.Context(), d, dsn, sqlstore.WithTable(table))
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				stores[i] = s
			}
			storetest.SwapOneWinner(t, stores[:]...)
		})
	}
}

// TestSwapOverAnIntegerExpiry opens a table made elsewhere whose
// expiry_time is an integer column: the store opens, and its swaps work
// (through the transaction where the one statement cannot compare).
func TestSwapOverAnIntegerExpiry(t *testing.T) {
	for _, e := range engines() {
		if e.shared == nil {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			d, dsn, table := sharedTable(t, e)
			ctx := t.Context()
			ddl := strings.Replace(sqlstore.ZohoDDL(table), "expiry_time varchar(20)", "expiry_time bigint", 1)
			if d == sqlstore.SQLite {
				s, err := openDialect(ctx, d, dsn, sqlstore.WithTable("other"))
				if err != nil {
					t.Fatal(err)
				}
				_, err = s.DB().ExecContext(ctx, ddl)
				s.Close()
				if err != nil {
					t.Fatal(err)
				}
			} else if _, err := rawDB(t, d, dsn).ExecContext(ctx, ddl); err != nil {
				t.Fatal(err)
			}
			s, err := openDialect(ctx, d, dsn, sqlstore.WithTable(table))
			if err != nil {
				t.Fatalf("open over an integer expiry_time: %v", err)
			}
			defer s.Close()
			a := &zohoauth.Token{UserName: "a@example.com:1", ClientID: "1000.C", RefreshToken: "1000.refresh.a", AccessToken: "1000.access.a", Expiry: time.UnixMilli(1795879420612)}
			if err := s.SaveToken(ctx, a); err != nil {
				t.Fatal(err)
			}
			read, err := s.FindTokenByID(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			in := refreshed(read, "1000.access.a2")
			if err := s.SwapToken(ctx, read, in); err != nil {
				t.Fatalf("SwapToken over an integer expiry_time: %v", err)
			}
			if err := s.SwapToken(ctx, read, refreshed(read, "1000.access.a3")); !errors.Is(err, zohoauth.ErrStale) {
				t.Fatalf("stale SwapToken = %v, want ErrStale", err)
			}
			got, err := s.FindTokenByID(ctx, a.ID)
			if err != nil || !sameToken(got, in) {
				t.Fatalf("stored after the swap: %v, differs from the token swapped in", err)
			}
		})
	}
}
