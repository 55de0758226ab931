package auth_test

import (
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
)

// A second Handle of a token another Handle already resolved shares its
// entry from the start: it knows the store id before its first use.
func TestForSharesAResolvedEntry(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	partial := &zohoauth.Token{UserName: e.stored(h.ID()).UserName, ClientID: clientID}
	first := e.a.For(partial)
	if _, err := first.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.a.For(partial).ID(); got == "" || got != h.ID() {
		t.Fatalf("second handle ID() = %q, want %q", got, h.ID())
	}
}

// After a revoke, neither a Handle that had resolved the revoked token nor
// a new Handle of the same user hands out the revoked access token: both
// find the user's next login.
func TestRevokedTokenIsNotHandedOut(t *testing.T) {
	e := newEnv(t, nil)
	h, revoked := e.login()
	partial := &zohoauth.Token{UserName: e.stored(h.ID()).UserName, ClientID: clientID}
	other := e.a.For(partial)
	if access, err := other.AccessToken(ctx); err != nil || access != revoked {
		t.Fatalf("other handle before the revoke: %q %v", access, err)
	}
	if err := h.Revoke(ctx); err != nil {
		t.Fatal(err)
	}
	_, next := e.login()
	if next == revoked {
		t.Fatal("the second login got the revoked access token")
	}
	if access, err := other.AccessToken(ctx); err != nil || access != next {
		t.Fatalf("handle resolved before the revoke: %q %v, want the new login's token", access, err)
	}
	if access, err := e.a.For(partial).AccessToken(ctx); err != nil || access != next {
		t.Fatalf("new handle: %q %v, want the new login's token", access, err)
	}
}

// A margin longer than half a token's lifetime (90 minutes for Zoho's one
// hour) marks a just obtained token stale only at half its lifetime, and
// a renewed one too: it does not renew at every call.
func TestMarginLongerThanHalfTheLifetime(t *testing.T) {
	e := newEnv(t, func(o *auth.Options) { o.Margin = 90 * time.Minute })
	h, first := e.login()
	e.clk.Advance(29 * time.Minute)
	if got := mustAccess(t, h); got != first {
		t.Fatal("a new token was fetched before half the lifetime")
	}
	e.a.WaitIdle()
	if n := e.srv.Stats().Refreshes; n != 0 {
		t.Fatalf("%d refreshes before half the lifetime", n)
	}
	e.clk.Advance(2 * time.Minute) // 31 minutes: past half the lifetime
	if got := mustAccess(t, h); got != first {
		t.Fatal("the still valid token was not returned")
	}
	e.a.WaitIdle()
	second := mustAccess(t, h)
	if n := e.srv.Stats().Refreshes; n != 1 || second == first {
		t.Fatalf("past half the lifetime: %d refreshes, renewed %v; want 1, true", n, second != first)
	}
	e.clk.Advance(29 * time.Minute)
	if got := mustAccess(t, h); got != second {
		t.Fatal("the renewed token was replaced before half its lifetime")
	}
	e.a.WaitIdle()
	if n := e.srv.Stats().Refreshes; n != 1 {
		t.Fatalf("%d refreshes, want 1: the renewed token was renewed again before half its lifetime", n)
	}
}
