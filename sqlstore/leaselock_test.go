package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storekit"
)

// TestLockDetails checks what the conformance kit does not: a lease that ran
// out cannot be extended even when no one took it over, long names, the
// lock table's name, and that Zoho's table keeps its ten columns.
func TestLockDetails(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			ctx := t.Context()
			lk, err := s.Lock(ctx, "short", 50*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(150 * time.Millisecond)
			if err := lk.Extend(ctx, time.Second); !errors.Is(err, zohoauth.ErrLockLost) {
				t.Fatalf("Extend after the lease ran out = %v, want ErrLockLost", err)
			}
			// Unlock still releases a lock no one took over.
			if err := lk.Unlock(ctx); err != nil {
				t.Fatalf("Unlock after the lease ran out, not taken over: %v", err)
			}

			long := strings.Repeat("é", 300)
			for _, name := range []string{long, long + "x", "bad\xff", "sha256:x", storekit.LockName("12")} {
				a, err := s.Lock(ctx, name, 10*time.Second)
				if err != nil {
					t.Fatalf("Lock(%.20q): %v", name, err)
				}
				c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				_, err = s.Lock(c, name, time.Second)
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("second Lock(%.20q) = %v, want a timeout", name, err)
				}
				defer a.Unlock(context.WithoutCancel(ctx))
			}
			var n int
			if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.Table()+sqlstore.LockTableSuffix).Scan(&n); err != nil {
				t.Fatalf("lock table: %v", err)
			}
			if n != 5 {
				t.Fatalf("lock table holds %d rows, want 5 (one per name, long names apart)", n)
			}
			if s.Dialect() == sqlstore.Postgres {
				var persistence string
				if err := s.DB().QueryRowContext(ctx, "SELECT relpersistence FROM pg_class WHERE relname = $1", s.Table()+sqlstore.LockTableSuffix).Scan(&persistence); err != nil || persistence != "u" {
					t.Fatalf("the PostgreSQL lock table's persistence is %q (%v), want u (unlogged)", persistence, err)
				}
			}
			rs, err := s.DB().QueryContext(ctx, "SELECT * FROM "+s.Table())
			if err != nil {
				t.Fatal(err)
			}
			cols, err := rs.Columns()
			rs.Close()
			if err != nil || len(cols) != 10 {
				t.Fatalf("SELECT * of the token table after locking: %v columns %v, want Zoho's ten", cols, err)
			}
		})
	}
}

// TestSwapTokenDetails checks a swap against a row written with a
// non-canonical expiry, and that a stale swap's error shows no secret.
func TestSwapTokenDetails(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			ctx := t.Context()
			a := &zohoauth.Token{UserName: "u@example.com:1", ClientID: "1000.C", RefreshToken: "1000.refresh.secret", AccessToken: "1000.access.secret", Expiry: time.UnixMilli(1795879420612)}
			if err := s.SaveToken(ctx, a); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DB().ExecContext(ctx, "UPDATE "+s.Table()+" SET expiry_time = '001795879420612'"); err != nil {
				t.Fatal(err)
			}
			next := &zohoauth.Token{AccessToken: "1000.access.next", Expiry: a.Expiry.Add(time.Hour)}
			if err := s.SwapToken(ctx, a, next); err != nil {
				t.Fatalf("SwapToken against the same expiry spelt with leading zeros: %v", err)
			}
			if next.ID != a.ID || next.RefreshToken != a.RefreshToken {
				t.Fatalf("SwapToken stored id %q, refresh token changed: %v", next.ID, next.RefreshToken != a.RefreshToken)
			}
			err := s.SwapToken(ctx, a, &zohoauth.Token{AccessToken: "1000.access.other"})
			if !errors.Is(err, zohoauth.ErrStale) {
				t.Fatalf("stale SwapToken = %v, want ErrStale", err)
			}
			for _, secret := range []string{"secret", "1000.access"} {
				if msg := fmt.Sprint(err); strings.Contains(msg, secret) {
					t.Fatalf("error shows a secret: %q", msg)
				}
			}
		})
	}
}
