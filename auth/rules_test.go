package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
)

var ctx = context.Background()

// No access token and a grant code: a token not in the store is obtained by
// exchanging the grant, the user signature is looked up (as Zoho's SDKs do
// after an exchange), and the token is saved.
func TestGrantExchangeSavesWithUserSignature(t *testing.T) {
	e := newEnv(t, nil)
	h, access := e.login()
	st := e.srv.Stats()
	if st.GrantExchanges != 1 || st.TokenRequests != 1 {
		t.Fatalf("stats %+v", st)
	}
	if st.Calls["GET /crm/v8/users"] != 1 || st.Calls["GET /crm/v8/org"] != 1 {
		t.Fatalf("user lookup calls %v", st.Calls)
	}
	if h.ID() == "" {
		t.Fatal("no id after login")
	}
	s := e.stored(h.ID())
	if s.AccessToken != access || s.RefreshToken == "" || s.UserName != email+":"+zgid || s.APIDomain != e.srv.URL {
		t.Fatalf("stored %v", s)
	}
	if want := t0.Add(time.Hour); !s.Expiry.Equal(want) {
		t.Fatalf("expiry %v, want %v", s.Expiry, want)
	}
}

// Restart: a new authenticator over the same store reuses the stored token,
// found by the same partial token, by id and by user name: a valid token is
// used as it is.
func TestRestartReusesStoredToken(t *testing.T) {
	e := newEnv(t, nil)
	partial := e.grantToken()
	access, err := e.a.AccessToken(ctx, partial)
	if err != nil {
		t.Fatal(err)
	}
	id := e.a.For(partial).ID()
	_ = id
	e.restart()
	before := e.srv.Stats().Requests
	for _, p := range []*zohoauth.Token{
		partial,
		{ID: "1"},
		{UserName: email + ":" + zgid},
		{UserName: email + ":" + zgid, ClientID: clientID, ClientSecret: clientSecret},
	} {
		got, err := e.a.AccessToken(ctx, p)
		if err != nil {
			t.Fatalf("%v: %v", p, err)
		}
		if got != access {
			t.Fatalf("%v: a different access token", p)
		}
	}
	if n := e.srv.Stats().Requests - before; n != 0 {
		t.Fatalf("%d requests to Zoho after restart, want 0", n)
	}
}

// Step 2: an id that is not stored is an error; a user name that is not
// stored, without grant or refresh token, is Zoho's MANDATORY VALUE ERROR.
func TestLookupErrors(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.a.AccessToken(ctx, &zohoauth.Token{ID: "42"})
	isErr(t, err, zohoauth.ErrNotFound)
	_, err = e.a.AccessToken(ctx, &zohoauth.Token{UserName: "nobody@example.com:1"})
	var ze *zohoauth.Error
	if !errors.As(err, &ze) || ze.Code != zohoauth.CodeMandatoryValue {
		t.Fatalf("err %v", err)
	}
	_, err = e.a.AccessToken(ctx, &zohoauth.Token{})
	isErr(t, err, zohoauth.ErrInvalidToken)
	_, err = e.a.AccessToken(ctx, &zohoauth.Token{GrantToken: "g"}) // no client id
	isErr(t, err, zohoauth.ErrInvalidToken)
	if n := e.tokenRequests(); n != 0 {
		t.Fatalf("%d token requests", n)
	}
}

// No access token and a refresh token: a refresh token not in the store gives a new
// access token, saved with it.
func TestRefreshTokenNotStored(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	refresh := e.stored(h.ID()).RefreshToken
	if err := e.store.DeleteTokens(ctx); err != nil {
		t.Fatal(err)
	}
	e.restart()
	h2 := e.a.For(&zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, RefreshToken: refresh})
	access, err := h2.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.Stats().Refreshes != 1 {
		t.Fatalf("stats %+v", e.srv.Stats())
	}
	s := e.stored(h2.ID())
	if s.AccessToken != access || s.RefreshToken != refresh || s.UserName != email+":"+zgid {
		t.Fatalf("stored %v", s)
	}
}

// An expired token is refreshed before it is returned; the new
// token is saved, the refresh token kept (Zoho's refresh answer has none).
func TestExpiredTokenRefreshed(t *testing.T) {
	e := newEnv(t, nil)
	h, old := e.login()
	refresh := e.stored(h.ID()).RefreshToken
	e.clk.Advance(61 * time.Minute)
	before := e.tokenRequests()
	access, err := h.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if access == old || e.tokenRequests()-before != 1 {
		t.Fatalf("not refreshed once: %d requests", e.tokenRequests()-before)
	}
	s := e.stored(h.ID())
	if s.AccessToken != access || s.RefreshToken != refresh || !s.Expiry.Equal(e.clk.Now().Add(time.Hour)) {
		t.Fatalf("stored %v", s)
	}
	// Valid again: no more requests.
	for range 10 {
		if got := mustAccess(t, h); got != access {
			t.Fatal("changed")
		}
	}
	if e.tokenRequests()-before != 1 {
		t.Fatal("refreshed again")
	}
}

// Expired in the store at first use (a restart after an hour): refreshed
// before use.
func TestExpiredInStoreAtFirstUse(t *testing.T) {
	e := newEnv(t, nil)
	h, old := e.login()
	id := h.ID()
	e.restart()
	e.clk.Advance(2 * time.Hour)
	access, err := e.a.AccessToken(ctx, &zohoauth.Token{ID: id})
	if err != nil {
		t.Fatal(err)
	}
	if access == old || e.srv.Stats().Refreshes != 1 || e.stored(id).AccessToken != access {
		t.Fatal("not refreshed and saved")
	}
}

// Inside the margin: the still valid token is returned at once and renewed
// in the background; the next calls get the new one.
func TestStaleTokenRefreshedInBackground(t *testing.T) {
	e := newEnv(t, func(o *auth.Options) { o.Margin = 10 * time.Minute })
	h, old := e.login()
	e.clk.Advance(49 * time.Minute)
	if got := mustAccess(t, h); got != old || e.srv.Stats().Refreshes != 0 {
		t.Fatal("refreshed before the margin")
	}
	e.clk.Advance(2 * time.Minute) // 51 min: inside the 10 min margin
	got, err := h.AccessToken(ctx)
	if err != nil || got != old {
		t.Fatalf("stale call: %v, new token = %v", err, got != old)
	}
	e.a.WaitIdle()
	if e.srv.Stats().Refreshes != 1 {
		t.Fatalf("refreshes %d", e.srv.Stats().Refreshes)
	}
	got = mustAccess(t, h)
	if got == old || e.stored(h.ID()).AccessToken != got {
		t.Fatal("background refresh not used or not saved")
	}
	// Fresh again: the timers were re-armed for the new expiry.
	e.clk.Advance(49 * time.Minute)
	if got2 := mustAccess(t, h); got2 != got {
		t.Fatal("refreshed before the new margin")
	}
	e.clk.Advance(2 * time.Minute)
	if got3 := mustAccess(t, h); got3 != got {
		t.Fatal("inside the margin, the still valid token was not returned")
	}
	e.a.WaitIdle()
	if e.srv.Stats().Refreshes != 2 {
		t.Fatalf("refreshes %d, want 2", e.srv.Stats().Refreshes)
	}
}

// Stale at first use (restart inside the margin): returned at once, renewed
// in the background.
func TestStaleInStoreAtFirstUse(t *testing.T) {
	e := newEnv(t, nil)
	h, old := e.login()
	id := h.ID()
	e.restart()
	e.clk.Advance(57 * time.Minute)
	got, err := e.a.AccessToken(ctx, &zohoauth.Token{ID: id})
	if err != nil || got != old {
		t.Fatalf("got new=%v err=%v", got != old, err)
	}
	e.a.WaitIdle()
	if e.srv.Stats().Refreshes != 1 || e.stored(id).AccessToken == old {
		t.Fatal("no background refresh")
	}
}

// An access token alone (no expiry, no id) is saved without any
// call; once stored with an id, it is used as it is, never
// refreshed.
func TestAccessTokenOnly(t *testing.T) {
	e := newEnv(t, func(o *auth.Options) { o.SkipUserLookup = true })
	h := e.a.For(&zohoauth.Token{AccessToken: "1000.standalone.access"})
	got, err := h.AccessToken(ctx)
	if err != nil || got != "1000.standalone.access" {
		t.Fatalf("%q %v", got, err)
	}
	if n := e.srv.Stats().Requests; n != 0 {
		t.Fatalf("%d requests", n)
	}
	s := e.stored(h.ID())
	if s.AccessToken != "1000.standalone.access" || s.APIDomain != e.srv.URL {
		t.Fatalf("stored %v", s)
	}
	e.restart()
	e.clk.Advance(24 * time.Hour)
	got, err = e.a.AccessToken(ctx, &zohoauth.Token{ID: s.ID})
	if err != nil || got != "1000.standalone.access" || e.srv.Stats().Requests != 0 {
		t.Fatalf("%q %v", got, err)
	}
}

// An expired token without a refresh token cannot be renewed: authorize
// again, without a request to Zoho.
func TestExpiredWithoutRefreshToken(t *testing.T) {
	e := newEnv(t, nil)
	tok := &zohoauth.Token{AccessToken: "1000.a", Expiry: t0.Add(time.Minute), APIDomain: e.srv.URL, UserName: "x@example.com:1"}
	if err := e.store.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	h := e.a.For(&zohoauth.Token{ID: tok.ID})
	if got, err := h.AccessToken(ctx); err != nil || got != "1000.a" {
		t.Fatalf("valid token: %q %v", got, err)
	}
	e.clk.Advance(2 * time.Minute)
	_, err := h.AccessToken(ctx)
	isErr(t, err, auth.ErrReauthorize)
	if !auth.Permanent(err) || e.srv.Stats().Requests != 0 {
		t.Fatalf("err %v, %d requests", err, e.srv.Stats().Requests)
	}
}

// Step 3: a user name that is not stored, even with the client's id and
// secret but no grant or refresh token: Zoho's MANDATORY VALUE ERROR.
func TestUnknownUserWithClient(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.a.AccessToken(ctx, &zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, UserName: "u@example.com:1", GrantToken: ""})
	var ze *zohoauth.Error
	if !errors.As(err, &ze) || ze.Code != zohoauth.CodeMandatoryValue {
		t.Fatalf("err %v", err)
	}
}

// A token without api_domain and no environment: Zoho's ENVIRONMENT_ERROR.
func TestNoEnvironment(t *testing.T) {
	e := newEnv(t, nil)
	a := mustNew(e.store, auth.Options{Clock: e.clk})
	defer a.Close()
	_, err := a.AccessToken(ctx, &zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, RefreshToken: "r"})
	var ze *zohoauth.Error
	if !errors.As(err, &ze) || ze.Code != zohoauth.CodeEnvironment {
		t.Fatalf("err %v", err)
	}
}

// The user lookup can be skipped (find_user=False); a failing lookup is
// logged and the token saved without a signature (as Zoho does).
func TestUserLookupSkippedOrFailing(t *testing.T) {
	e := newEnv(t, func(o *auth.Options) { o.SkipUserLookup = true })
	h, _ := e.login()
	if s := e.stored(h.ID()); s.UserName != "" || e.srv.Stats().CRMRequests != 0 {
		t.Fatalf("lookup not skipped: %v", s)
	}
	e2 := newEnv(t, nil)
	e2.srv.Inject(zohoTestFault("/crm/v8/users", 500))
	h2, _ := e2.login()
	if s := e2.stored(h2.ID()); s.UserName != "" || s.RefreshToken == "" {
		t.Fatalf("stored %v", s)
	}
}

// A second login of the same user updates the user's stored token instead
// of adding a second one; Login with the emulator's accounts server.
func TestLoginUpdatesSameUser(t *testing.T) {
	e := newEnv(t, nil)
	h1, _ := e.login()
	h2, err := e.a.Login(ctx, e.grantToken(), e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if h1.ID() != h2.ID() {
		t.Fatalf("ids %s and %s", h1.ID(), h2.ID())
	}
	all, err := e.store.Tokens(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("%d stored tokens, %v", len(all), err)
	}
	// The old handle sees the new token (two failures are no agreement).
	a1, err1 := h1.AccessToken(ctx)
	a2, err2 := h2.AccessToken(ctx)
	if err1 != nil || err2 != nil {
		t.Fatalf("AccessToken of the handles after a second login: %v, %v", err1, err2)
	}
	if a1 != a2 || a1 == "" {
		t.Fatal("handles of one token disagree")
	}
	if _, err := e.a.Login(ctx, e.grantToken(), "https://evil.example"); !errors.Is(err, zohoauth.ErrUnknownEnvironment) {
		t.Fatalf("forged accounts-server: %v", err)
	}
	if _, err := e.a.Login(ctx, &zohoauth.Token{ClientID: clientID}, ""); !errors.Is(err, zohoauth.ErrInvalidToken) {
		t.Fatalf("login without grant: %v", err)
	}
}

// Many users at once: each handle has its own token.
func TestManyUsers(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.AddUser(zohotestUser("bob@example.com", "7002"))
	ha := e.a.For(&zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, GrantToken: e.grant(email)})
	hb := e.a.For(&zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, GrantToken: e.grant("bob@example.com")})
	ta, err := ha.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := hb.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ta == tb || ha.ID() == hb.ID() {
		t.Fatal("users share a token")
	}
	ua, erra := ha.Token(ctx)
	ub, errb := hb.Token(ctx)
	if erra != nil || errb != nil {
		t.Fatalf("Token: %v, %v", erra, errb)
	}
	if ua.UserName != email+":"+zgid || ub.UserName != "bob@example.com:7002" {
		t.Fatalf("users %q %q", ua.UserName, ub.UserName)
	}
	for _, u := range []string{email + ":" + zgid, "bob@example.com:7002"} {
		h := e.a.For(&zohoauth.Token{UserName: u})
		tok, err := h.Token(ctx)
		if err != nil || tok.UserName != u {
			t.Fatalf("%s: %v %v", u, tok, err)
		}
	}
}

// Refresh forces a renewal; Revoke revokes at Zoho and deletes.
func TestRefreshAndRevoke(t *testing.T) {
	e := newEnv(t, nil)
	h, old := e.login()
	tok, err := h.Refresh(ctx)
	if err != nil || tok.AccessToken == old {
		t.Fatalf("refresh: %v", err)
	}
	id := h.ID()
	if err := h.Revoke(ctx); err != nil {
		t.Fatal(err)
	}
	if e.srv.Stats().Revokes != 1 {
		t.Fatal("not revoked at Zoho")
	}
	if _, err := e.store.FindTokenByID(ctx, id); !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("still stored: %v", err)
	}
}

// A grant code that Zoho rejects (used or expired): ErrReauthorize, and
// the code is not sent again at once.
func TestUsedGrantRemembered(t *testing.T) {
	e := newEnv(t, nil)
	g := e.grantToken()
	e.clk.Advance(4 * time.Minute) // grant codes live 3 minutes
	_, err := e.a.AccessToken(ctx, g)
	isErr(t, err, auth.ErrReauthorize)
	n := e.tokenRequests()
	_, err = e.a.AccessToken(ctx, g)
	isErr(t, err, auth.ErrReauthorize)
	if e.tokenRequests() != n || n != 1 {
		t.Fatalf("token requests %d, want 1", e.tokenRequests())
	}
	if all, err := e.store.Tokens(ctx); err != nil || len(all) != 0 {
		t.Fatalf("stored %v, %v", all, err)
	}
}

// A stored token holding only a grant code (no access token: an exchange): when Zoho
// rejects the code, the failure holds until the stored code changes.
func TestStoredGrantOnly(t *testing.T) {
	e := newEnv(t, nil)
	g := e.grantToken()
	g.UserName, g.APIDomain = "g@example.com:1", e.srv.URL
	e.clk.Advance(4 * time.Minute) // the code expired
	if err := e.store.SaveToken(ctx, g); err != nil {
		t.Fatal(err)
	}
	h := e.a.For(&zohoauth.Token{ID: g.ID})
	for range 3 {
		_, err := h.AccessToken(ctx)
		isErr(t, err, auth.ErrReauthorize)
	}
	if n := e.tokenRequests(); n != 1 {
		t.Fatalf("token requests %d, want 1", n)
	}
	// A fresh code stored for the token: used at once.
	fresh := e.grantToken()
	if err := e.store.SaveToken(ctx, &zohoauth.Token{ID: g.ID, GrantToken: fresh.GrantToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	if s := e.stored(g.ID); s.RefreshToken == "" || s.AccessToken == "" {
		t.Fatalf("stored %v", s)
	}
}

// bareStore returns, for any id, a stored token without grant, refresh or
// access token (a store that does not enforce storekit.CheckSave).
type bareStore struct{ zohoauth.Store }

func (bareStore) FindTokenByID(_ context.Context, id string) (*zohoauth.Token, error) {
	return &zohoauth.Token{ID: id, UserName: "bare@example.com:1", APIDomain: "https://www.zohoapis.com"}, nil
}

// No access token and nothing to renew with: Zoho's SDK would send an empty grant
// code; here it is an error without a request.
func TestNothingToRenewWithInStore(t *testing.T) {
	e := newEnv(t, nil)
	a := mustNew(bareStore{e.store}, e.opts)
	defer a.Close()
	_, err := a.AccessToken(ctx, &zohoauth.Token{ID: "9"})
	var ze *zohoauth.Error
	if !errors.As(err, &ze) || ze.Code != zohoauth.CodeMandatoryValue || !errors.Is(err, zohoauth.ErrInvalidToken) {
		t.Fatalf("err %v", err)
	}
	if e.srv.Stats().Requests != 0 {
		t.Fatal("a request was sent")
	}
}

// mustAccess returns h's access token and fails t on an error, so that a
// comparison of two results never compares two failures.
func mustAccess(t *testing.T, h *auth.Handle) string {
	t.Helper()
	a, err := h.AccessToken(ctx)
	if err != nil {
		t.Fatalf("AccessToken: %v", err)
	}
	return a
}
