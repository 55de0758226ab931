package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
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

// Invalidate with an access token a renewal already replaced returns the
// current token without another renewal.
func TestInvalidateAfterRenewalReturnsCurrent(t *testing.T) {
	e := newEnv(t, nil)
	reads := &readCounter{Store: e.store}
	e.store = reads
	e.restart()
	h, old := e.login()
	tok, err := h.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := e.srv.Stats().Refreshes
	got, err := h.Invalidate(ctx, old)
	if err != nil || got != tok.AccessToken {
		t.Fatalf("Invalidate(replaced token) = %v, same as the current one %v", err, got == tok.AccessToken)
	}
	if e.srv.Stats().Refreshes != n {
		t.Fatalf("refreshes %d, want %d: the replaced token was renewed again", e.srv.Stats().Refreshes, n)
	}
	before := reads.n.Load()
	if got, err := h.Invalidate(ctx, old); err != nil || got != tok.AccessToken {
		t.Fatalf("Invalidate(replaced token) again = %v, same as the current one %v", err, got == tok.AccessToken)
	}
	if n := reads.n.Load() - before; n != 0 {
		t.Fatalf("%d store reads: a renewal was started for a token already replaced", n)
	}
}

// readCounter counts the reads of a token by id.
type readCounter struct {
	zohoauth.Store
	n atomic.Int64
}

func (s *readCounter) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	s.n.Add(1)
	return s.Store.FindTokenByID(ctx, id)
}

// A token deleted from the store behind the Authenticator's back: the
// renewal that finds it gone says ErrNotFound, and every Handle of the
// user resolves afresh, finding the user's next login instead of the
// deleted token.
func TestTokenDeletedBehindTheAuthenticator(t *testing.T) {
	e := newEnv(t, nil)
	h, deleted := e.login()
	partial := &zohoauth.Token{UserName: e.stored(h.ID()).UserName, ClientID: clientID}
	user := e.a.For(partial)
	if access, err := user.AccessToken(ctx); err != nil || access != deleted {
		t.Fatalf("before the delete: %v, same token %v", err, access == deleted)
	}
	if err := e.store.DeleteToken(ctx, h.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := user.Refresh(ctx); !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("refresh of a deleted token: %v, want ErrNotFound", err)
	}
	e.a.WaitIdle()
	_, next := e.login()
	if access, err := user.AccessToken(ctx); err != nil || access != next {
		t.Fatalf("after the delete: %v, the deleted token %v, want the next login's", err, access == deleted)
	}
}

// The debug record that a token entered the refresh margin comes when it
// does, not at expiry.
func TestEnteringTheMarginIsLogged(t *testing.T) {
	e := newEnv(t, nil) // 5 minute margin, 1 hour tokens
	e.login()
	const msg = "entered the refresh margin"
	e.clk.Advance(54 * time.Minute)
	if strings.Contains(e.logs.String(), msg) {
		t.Fatal("logged before the margin")
	}
	e.clk.Advance(2 * time.Minute)
	if !strings.Contains(e.logs.String(), msg) {
		t.Fatalf("not logged inside the margin:\n%s", e.logs)
	}
}

// Revoke revokes the refresh token, not only the access token: Zoho
// refuses to refresh with it afterwards. The refresh's log records name
// the token and its user.
func TestRevokeKillsTheRefreshToken(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	tok, err := h.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	refreshLog := `"msg":"zohoauth: refreshing access token","id":"` + h.ID() + `","user":"` + tok.UserName + `"`
	if !strings.Contains(e.logs.String(), refreshLog) {
		t.Errorf("no %s in the logs:\n%s", refreshLog, e.logs)
	}
	if err := h.Revoke(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.opts.Accounts.Refresh(ctx, tok); err == nil {
		t.Fatal("the revoked token's refresh token still refreshes")
	}
}
