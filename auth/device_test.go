package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
)

// deviceLogin runs the device flow against the emulator, the user
// approving at once, and returns the token WaitDevice gives.
func (e *env) deviceLogin() *zohoauth.Token {
	e.t.Helper()
	c := &accounts.Client{Environment: e.srv.Environment(), Now: e.clk.Now}
	tok := &zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret}
	d, err := c.StartDevice(ctx, tok, accounts.DeviceOptions{Scopes: []string{"ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ"}, Offline: true, Consent: true})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.srv.ApproveDevice(d.UserCode, ""); err != nil {
		e.t.Fatal(err)
	}
	e.clk.Advance(d.Interval)
	got, err := c.PollDevice(ctx, tok, d)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// TestLoginToken: a device-flow token is saved with its user signature,
// a second device login of the same user updates the stored token, and the
// handle refreshes it like any other.
func TestLoginToken(t *testing.T) {
	e := newEnv(t, nil)
	h1, err := e.a.LoginToken(ctx, e.deviceLogin())
	if err != nil {
		t.Fatal(err)
	}
	s := e.stored(h1.ID())
	if s.UserName != email+":"+zgid || s.RefreshToken == "" || s.AccessToken == "" {
		t.Fatalf("stored %v", s)
	}
	h2, err := e.a.LoginToken(ctx, e.deviceLogin())
	if err != nil {
		t.Fatal(err)
	}
	if all, _ := e.store.Tokens(ctx); h2.ID() != h1.ID() || len(all) != 1 {
		t.Fatalf("ids %s %s, %d stored", h1.ID(), h2.ID(), len(all))
	}
	e.srv.ExpireAccessTokens()
	before := e.stored(h1.ID()).AccessToken
	if _, err := h1.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if e.stored(h1.ID()).AccessToken == before {
		t.Error("refresh did not replace the access token")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.a.LoginToken(cctx, e.deviceLogin()); err != nil {
		t.Errorf("a canceled context stops the save of tokens Zoho issued: %v", err)
	}
	if _, err := e.a.LoginToken(ctx, &zohoauth.Token{ClientID: clientID}); !errors.Is(err, zohoauth.ErrInvalidToken) {
		t.Errorf("no access token: %v", err)
	}
}
