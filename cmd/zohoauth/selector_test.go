package main

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storeurl"
)

// countingStore counts the reads of the store it wraps: look-ups by key or
// id, and whole scans (Tokens, or a page of a zohoauth.Pager).
type countingStore struct {
	storeurl.Store
	finds, scans atomic.Int64
}

func (c *countingStore) FindToken(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	c.finds.Add(1)
	return c.Store.FindToken(ctx, t)
}

func (c *countingStore) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	c.finds.Add(1)
	return c.Store.FindTokenByID(ctx, id)
}

func (c *countingStore) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	c.scans.Add(1)
	return c.Store.Tokens(ctx)
}

func (c *countingStore) reads() int64 { return c.finds.Load() + c.scans.Load() }

// countingApp returns an app of h whose store counts its reads. The
// wrapper keeps the store's lock and compare-and-swap, so a refresh runs as
// it does on the real store.
func countingApp(h *harness) (*app, *countingStore, *strings.Builder) {
	var out strings.Builder
	a := h.app(strings.NewReader(""), &out, &strings.Builder{})
	c := &countingStore{}
	open := a.openStore
	a.openStore = func(ctx context.Context, raw string) (storeurl.Store, error) {
		s, err := open(ctx, raw)
		if err != nil {
			return nil, err
		}
		c.Store = s
		return withCapabilities(c, s), nil
	}
	return a, c, &out
}

// TestTokenReadsTheStoreAtMostTwice runs token with --id and with --user
// (Zoho's email:zgid, with and without --client-id) on a valid and on an
// expired token and counts the store's reads: one look-up to select the
// token, one more under the refresh lock when it must be refreshed, and no
// scan of the whole store, a bare e-mail included.
func TestTokenReadsTheStoreAtMostTwice(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	// Another user, so that a scan would not find a lone token by chance.
	if err := h.store().SaveToken(context.Background(), &zohoauth.Token{UserName: "bob@example.com:77", ClientID: "1000.OTHER", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"token", "--id", tok.ID},
		{"token", "--user", tok.UserName},
		{"token", "--user", tok.UserName, "--client-id", testClientID},
		{"token", "--id", tok.ID, "--client-id", testClientID},
		{"token", "--user", tok.Email()},
		{"token", "--user", tok.Email(), "--client-id", testClientID},
	} {
		for _, expired := range []bool{false, true} {
			if expired {
				h.clock.Advance(2 * time.Hour)
			}
			a, c, out := countingApp(h)
			if code := a.main(context.Background(), args); code != 0 {
				t.Fatalf("%v: exit %d", args, code)
			}
			if out.Len() < 10 {
				t.Fatalf("%v printed %q", args, out.String())
			}
			want := int64(1)
			if expired {
				want = 2
			}
			if c.scans.Load() != 0 || c.reads() > want {
				t.Errorf("%v (expired %v): %d look-ups and %d scans; want at most %d look-ups and no scan",
					args, expired, c.finds.Load(), c.scans.Load(), want)
			}
		}
	}
}

// TestTokenUserEmailOfTwoUsers: --user EMAIL that two stored users share
// (two zgids) is a usage error that names both user names, read by one
// look-up without a scan; --user email:zgid picks one of them.
func TestTokenUserEmailOfTwoUsers(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	other := &zohoauth.Token{UserName: tok.Email() + ":99", ClientID: "1000.OTHER", RefreshToken: "r"}
	if err := h.store().SaveToken(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	a, c, _ := countingApp(h)
	var errOut strings.Builder
	a.stderr = &errOut
	code := a.main(context.Background(), []string{"token", "--user", tok.Email()})
	if code == 0 || !strings.Contains(errOut.String(), tok.UserName) || !strings.Contains(errOut.String(), other.UserName) {
		t.Fatalf("exit %d, stderr %q; want a failure naming %s and %s", code, errOut.String(), tok.UserName, other.UserName)
	}
	if c.scans.Load() != 0 {
		t.Errorf("%d scans of the store, want none", c.scans.Load())
	}
	a, _, out := countingApp(h)
	if code := a.main(context.Background(), []string{"token", "--user", tok.UserName}); code != 0 || out.Len() < 10 {
		t.Fatalf("--user %s: exit %d, output %q", tok.UserName, code, out.String())
	}
}
