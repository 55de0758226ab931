package auth_test

import (
	"testing"

	"github.com/zohoauth/zohoauth"
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
