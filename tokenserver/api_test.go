package tokenserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/tokenserver"
)

// TestGetToken: GET /v1/token hands out the stored valid token without
// asking Zoho, by full user name or by e-mail, and refreshes an expired one
// first (once), saving it before answering.
func TestGetToken(t *testing.T) {
	e := newEnv(t, envOpts{})
	tok := e.login("ann@example.com", clientA, secretA)
	before := e.emu.Stats()

	for _, user := range []string{tok.UserName, "ANN@example.com"} {
		a := e.do("GET", "/v1/token?user="+user+"&client_id="+clientA, e.admin, nil)
		if a.status != 200 {
			t.Fatalf("GET /v1/token user %s: %d %s", user, a.status, a.body)
		}
		m := a.json(t)
		if m["access_token"] != tok.AccessToken || m["id"] != tok.ID || m["user_name"] != tok.UserName || m["expiry_time"] != storekit.FormatExpiry(tok.Expiry) {
			t.Errorf("answer %v, want the stored token %v", m, tok)
		}
		if n, _ := m["expires_in"].(float64); n < 3000 || n > 3600 {
			t.Errorf("expires_in %v", m["expires_in"])
		}
		for _, k := range []string{"refresh_token", "client_secret", "grant_token"} {
			if _, ok := m[k]; ok {
				t.Errorf("answer has %s", k)
			}
		}
	}
	if st := e.emu.Stats(); st.TokenRequests != before.TokenRequests {
		t.Errorf("valid token: %d token requests to Zoho", st.TokenRequests-before.TokenRequests)
	}

	// Expired in the store: a fresh service (new authenticator) refreshes.
	expired := &zohoauth.Token{ID: tok.ID, Expiry: time.Now().Add(-time.Minute)}
	if err := e.store.SaveToken(context.Background(), expired); err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t, envOpts{store: e.store, emu: e.emu, keys: e.keys.Path()})
	a := e2.do("GET", "/v1/token?user="+tok.UserName, e.admin, nil)
	if a.status != 200 {
		t.Fatalf("expired token: %d %s", a.status, a.body)
	}
	m := a.json(t)
	stored, _ := e.store.FindTokenByID(context.Background(), tok.ID)
	if m["access_token"] == tok.AccessToken || m["access_token"] != stored.AccessToken {
		t.Errorf("answer %v; stored %v, old %s", m["access_token"], stored.AccessToken, tok.AccessToken)
	}
	if st := e.emu.Stats(); st.Refreshes != before.Refreshes+1 {
		t.Errorf("%d refreshes, want 1", st.Refreshes-before.Refreshes)
	}
}

// TestTokenStoreOperations: the six TokenStore operations over HTTP with
// Zoho's semantics (save is an upsert that merges and gives an id; find by
// user / refresh token; find by id; list; delete; delete all), and a key
// without Secrets never receiving a refresh token, grant token or client
// secret.
func TestTokenStoreOperations(t *testing.T) {
	e := newEnv(t, envOpts{})
	tok := e.login("ann@example.com", clientA, secretA)
	reader := e.key(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}})
	full := e.key(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}, Secrets: true})

	// find by user name
	a := e.do("POST", "/v1/tokens/find", reader, map[string]string{"user_name": tok.UserName})
	if a.status != 200 {
		t.Fatalf("find: %d %s", a.status, a.body)
	}
	m := a.json(t)
	if m["id"] != tok.ID || m["access_token"] != tok.AccessToken || m["client_id"] != clientA {
		t.Errorf("find: %v", m)
	}
	for _, s := range secretsOf(tok) {
		if s != tok.AccessToken && strings.Contains(string(a.body), s) {
			t.Errorf("find without Secrets shows a secret: %s", a.body)
		}
	}
	// find by refresh token, with Secrets: every field
	a = e.do("POST", "/v1/tokens/find", full, map[string]string{"refresh_token": tok.RefreshToken, "client_id": clientA, "client_secret": secretA})
	if m := a.json(t); a.status != 200 || m["refresh_token"] != tok.RefreshToken || m["client_secret"] != secretA {
		t.Errorf("find with Secrets: %d %s", a.status, a.body)
	}
	// find: no match is 404
	if a := e.do("POST", "/v1/tokens/find", reader, map[string]string{"user_name": "nobody@example.com:1"}); a.status != 404 || a.errorCode(t) != "not_found" {
		t.Errorf("find unknown: %d %s", a.status, a.body)
	}

	// save: a new token gets a new id; a partial save merges
	a = e.do("POST", "/v1/tokens", full, map[string]string{"user_name": "bob@example.com:700", "client_id": clientB, "client_secret": secretB, "refresh_token": "1000.rt.bob", "access_token": "1000.at.bob", "expiry_time": storekit.FormatExpiry(time.Now().Add(time.Hour))})
	if a.status != 200 {
		t.Fatalf("save: %d %s", a.status, a.body)
	}
	bobID, _ := a.json(t)["id"].(string)
	if bobID == "" || bobID == tok.ID {
		t.Fatalf("save gave id %q", bobID)
	}
	// find by id loads the token in the service; a save through the API
	// must then be answered as saved, not from the service's memory.
	if a := e.do("GET", "/v1/tokens/"+bobID, reader, nil); a.json(t)["access_token"] != "1000.at.bob" {
		t.Fatalf("find by id: %s", a.body)
	}
	a = e.do("POST", "/v1/tokens", reader, map[string]string{"id": bobID, "access_token": "1000.at.bob2"})
	if a.status != 200 || strings.Contains(string(a.body), "1000.rt.bob") {
		t.Fatalf("partial save: %d %s", a.status, a.body)
	}
	bob, err := e.store.FindTokenByID(context.Background(), bobID)
	if err != nil || bob.AccessToken != "1000.at.bob2" || bob.RefreshToken != "1000.rt.bob" || bob.ClientSecret != secretB {
		t.Fatalf("after partial save: %v %v", bob, err)
	}
	// save with nothing to save: Zoho's message, nothing changed
	snap := e.snapshot()
	if a := e.do("POST", "/v1/tokens", full, map[string]string{"user_name": "carl@example.com:1"}); a.status != 400 || a.errorCode(t) != "nothing_to_save" || !strings.Contains(string(a.body), storekit.MsgDetailsNotFound) {
		t.Errorf("empty save: %d %s", a.status, a.body)
	}
	if !sameTokens(snap, e.snapshot()) {
		t.Error("a refused save changed the store")
	}

	// find by id (bob's token is valid: no refresh)
	a = e.do("GET", "/v1/tokens/"+bobID, reader, nil)
	if m := a.json(t); a.status != 200 || m["access_token"] != "1000.at.bob2" || m["refresh_token"] != nil {
		t.Errorf("find by id: %d %s", a.status, a.body)
	}
	if a := e.do("GET", "/v1/tokens/999", reader, nil); a.status != 404 {
		t.Errorf("find unknown id: %d %s", a.status, a.body)
	}

	// list
	a = e.do("GET", "/v1/tokens", reader, nil)
	list, _ := a.json(t)["tokens"].([]any)
	if a.status != 200 || len(list) != 2 || strings.Contains(string(a.body), "1000.rt.bob") || strings.Contains(string(a.body), secretA) {
		t.Errorf("list: %d %s", a.status, a.body)
	}

	// delete one, then unknown id
	if a := e.do("DELETE", "/v1/tokens/"+bobID, reader, nil); a.status != 200 {
		t.Errorf("delete: %d %s", a.status, a.body)
	}
	if a := e.do("DELETE", "/v1/tokens/"+bobID, reader, nil); a.status != 404 || a.errorCode(t) != "not_found" {
		t.Errorf("delete again: %d %s", a.status, a.body)
	}
	// delete all
	if a := e.do("DELETE", "/v1/tokens", reader, nil); a.status != 200 || a.json(t)["deleted"] != float64(1) {
		t.Errorf("delete all: %d %s", a.status, a.body)
	}
	if n := len(e.snapshot()); n != 0 {
		t.Errorf("%d tokens left after delete all", n)
	}
	// after delete, the deleted user's token is no longer handed out
	if a := e.do("GET", "/v1/token?user="+tok.UserName, reader, nil); a.status != 404 {
		t.Errorf("GET /v1/token after delete: %d %s", a.status, a.body)
	}
}

// TestRevoke: revoke one token, a user's tokens, a client's tokens: each is
// revoked at Zoho (its refresh token no longer works there) and deleted from
// the store; a token Zoho refuses to revoke stays stored.
func TestRevoke(t *testing.T) {
	e := newEnv(t, envOpts{})
	annA := e.login("ann@example.com", clientA, secretA)
	annB := e.login("ann@example.com", clientB, secretB)
	bobA := e.login("bob@example.com", clientA, secretA)
	ctx := context.Background()

	gone := func(tok *zohoauth.Token) {
		t.Helper()
		if _, err := e.store.FindTokenByID(ctx, tok.ID); err == nil {
			t.Errorf("token %s still stored", tok.ID)
		}
		if _, err := e.ac.Refresh(ctx, tok); err == nil {
			t.Errorf("token %s: refresh token still works at Zoho", tok.ID)
		}
	}
	a := e.do("POST", "/v1/revoke", e.admin, map[string]string{"id": annB.ID})
	if a.status != 200 {
		t.Fatalf("revoke id: %d %s", a.status, a.body)
	}
	gone(annB)
	a = e.do("POST", "/v1/revoke", e.admin, map[string]string{"user": "bob@example.com"})
	if a.status != 200 {
		t.Fatalf("revoke user: %d %s", a.status, a.body)
	}
	gone(bobA)
	a = e.do("POST", "/v1/revoke", e.admin, map[string]string{"client_id": clientA})
	if a.status != 200 || !strings.Contains(string(a.body), `"`+annA.ID+`"`) {
		t.Fatalf("revoke client: %d %s", a.status, a.body)
	}
	gone(annA)
	if st := e.emu.Stats(); st.Revokes != 3 {
		t.Errorf("%d revokes at the emulator, want 3", st.Revokes)
	}
	if a := e.do("POST", "/v1/revoke", e.admin, map[string]string{"id": annA.ID}); a.status != 404 {
		t.Errorf("revoke of a revoked token: %d %s", a.status, a.body)
	}
	if a := e.do("POST", "/v1/revoke", e.admin, map[string]string{}); a.status != 400 || a.errorCode(t) != "missing_parameter" {
		t.Errorf("revoke of nothing: %d %s", a.status, a.body)
	}

	// Zoho refuses: the token stays.
	bad := &zohoauth.Token{UserName: "carl@example.com:1", ClientID: clientA, ClientSecret: secretA, RefreshToken: "1000.not-a-zoho-token", AccessToken: "1000.at"}
	if err := e.store.SaveToken(ctx, bad); err != nil {
		t.Fatal(err)
	}
	a = e.do("POST", "/v1/revoke", e.admin, map[string]string{"id": bad.ID})
	if a.status != http.StatusBadGateway || !strings.Contains(string(a.body), "failed") {
		t.Errorf("refused revoke: %d %s", a.status, a.body)
	}
	if _, err := e.store.FindTokenByID(ctx, bad.ID); err != nil {
		t.Errorf("a token Zoho did not revoke was deleted: %v", err)
	}
	for _, s := range secretsOf(annA, annB, bobA, bad) {
		if strings.Contains(e.logs.String(), s) {
			t.Errorf("a secret is in the log")
		}
	}
}

// TestHealth: /healthz and /readyz answer without a key.
func TestHealth(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, p := range []string{"/healthz", "/readyz"} {
		if a := e.do("GET", p, "", nil); a.status != 200 {
			t.Errorf("%s: %d %s", p, a.status, a.body)
		}
		if a := e.do("POST", p, "", nil); a.status != 405 {
			t.Errorf("POST %s: %d", p, a.status)
		}
	}
}

// TestRevokedOnAnotherInstance: two instances over one store; a token
// revoked through one stops being handed out by the other within the
// recheck interval (5 s), and a new login of the same user is then served
// at once.
func TestRevokedOnAnotherInstance(t *testing.T) {
	clk := clock.NewFake(time.Now())
	a := newEnv(t, envOpts{cfg: tokenserver.Config{Clock: clk}})
	b := newEnv(t, envOpts{store: a.store, emu: a.emu, keys: a.keys.Path()})
	ann := a.login("ann@example.com", clientA, secretA)
	get := func() answer { return a.do("GET", "/v1/token?user="+ann.UserName, a.admin, nil) }
	if r := get(); r.status != 200 || r.json(t)["access_token"] != ann.AccessToken {
		t.Fatalf("first get: %d %s", r.status, r.body)
	}
	if r := b.do("POST", "/v1/revoke", a.admin, map[string]string{"user": "ann@example.com"}); r.status != 200 {
		t.Fatalf("revoke on b: %d %s", r.status, r.body)
	}
	clk.Advance(6 * time.Second)
	if r := get(); r.status != 404 {
		t.Errorf("after revoke on another instance: %d %s", r.status, r.body)
	}
	again := b.login("ann@example.com", clientA, secretA)
	clk.Advance(6 * time.Second)
	if r := get(); r.status != 200 || r.json(t)["access_token"] != again.AccessToken {
		t.Errorf("after a new login: %d %s", r.status, r.body)
	}
	// A cached handle whose token was deleted and saved again is found afresh.
	if err := a.store.DeleteToken(context.Background(), again.ID); err != nil {
		t.Fatal(err)
	}
	third := b.login("ann@example.com", clientA, secretA)
	clk.Advance(6 * time.Second)
	if r := get(); r.status != 200 || r.json(t)["access_token"] != third.AccessToken {
		t.Errorf("after delete and a new login: %d %s", r.status, r.body)
	}
}

// TestReusedIDNeverMixesUsers: a store may give a deleted token's id to the
// next token saved. When another instance deletes ann's token and bob's
// token then gets its id, this instance, which had ann's token in memory
// under that id, answers bob's token to bob, nothing to ann, and never
// ann's old token to bob nor bob's to ann, without asking Zoho.
func TestReusedIDNeverMixesUsers(t *testing.T) {
	a := newEnv(t, envOpts{})
	b := newEnv(t, envOpts{store: a.store, emu: a.emu, keys: a.keys.Path()})
	ann := a.login("ann@example.com", clientA, secretA)
	if r := a.do("GET", "/v1/token?user="+ann.UserName, a.admin, nil); r.status != 200 {
		t.Fatalf("ann: %d %s", r.status, r.body)
	}
	if r := b.do("DELETE", "/v1/tokens/"+ann.ID, a.admin, nil); r.status != 200 {
		t.Fatalf("delete on b: %d %s", r.status, r.body)
	}
	bob := b.login("bob@example.com", clientA, secretA)
	// Give bob's token ann's old id, as a store may.
	if err := b.store.DeleteToken(context.Background(), bob.ID); err != nil {
		t.Fatal(err)
	}
	bob.ID = ann.ID
	if err := b.store.SaveToken(context.Background(), bob.Clone()); err != nil {
		t.Fatal(err)
	}
	before := a.emu.Stats()
	for range 2 {
		r := a.do("GET", "/v1/token?user="+bob.UserName, a.admin, nil)
		if r.status != 200 || r.json(t)["access_token"] != bob.AccessToken || r.json(t)["user_name"] != bob.UserName {
			t.Errorf("bob on a: %d %s", r.status, r.body)
		}
		r = a.do("GET", "/v1/token?user="+ann.UserName, a.admin, nil)
		if r.status != 404 {
			t.Errorf("ann on a after her token was deleted: %d %s", r.status, r.body)
		}
	}
	if r := a.do("GET", "/v1/tokens/"+bob.ID, a.admin, nil); r.json(t)["user_name"] != bob.UserName || r.json(t)["access_token"] != bob.AccessToken {
		t.Errorf("find by id on a: %s", r.body)
	}
	if st := a.emu.Stats(); st.TokenRequests != before.TokenRequests {
		t.Errorf("%d token requests to Zoho", st.TokenRequests-before.TokenRequests)
	}
}
