package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/zohotest"
)

// decodeStatus decodes status --json.
func decodeStatus(t *testing.T, r result) statusReport {
	t.Helper()
	var rep statusReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status --json: %v: %q (stderr %q)", err, r.stdout, r.stderr)
	}
	return rep
}

// TestStatusShowsWhatTheStoreKnows: each stored login with its client,
// data center, access-token time left and refresh token, and its lifecycle
// record (the login's time; no refresh yet, said as unknown); no secret; no
// call to Zoho without --check; exit 0 when every token has a refresh
// token.
func TestStatusShowsWhatTheStoreKnows(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	h.emu.ResetStats()
	r := h.run("status")
	if r.code != 0 {
		t.Fatalf("status: %+v", r)
	}
	for _, want := range []string{"✓ " + testEmail, "client " + testClientID, "token " + tok.ID, "Data center: 127.0.0.1:", "Access token: valid for 1h00m", "Refresh token: present",
		"Logged in: " + t0.UTC().Format(time.RFC3339), "Last refresh: unknown"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "Failed refreshes") || strings.Contains(r.stdout, "Exhausted") || strings.Contains(r.stdout, "Zoho:") {
		t.Errorf("status shows what it does not know:\n%s", r.stdout)
	}
	noSecrets(t, r, tokenSecrets(tok)...)
	if st := h.emu.Stats(); st.Requests != 0 {
		t.Errorf("status without --check called Zoho %d times", st.Requests)
	}
	rep := decodeStatus(t, h.must("status", "--json"))
	if !rep.OK || rep.Checked || len(rep.Tokens) != 1 {
		t.Fatalf("status --json: %+v", rep)
	}
	v := rep.Tokens[0]
	if v.ID != tok.ID || v.Email != testEmail || !v.HasRefreshToken || !v.AccessValid || *v.ExpiresInSeconds != 3600 || v.Check != "" || !v.OK {
		t.Errorf("status --json token: %+v", v)
	}
	if l := v.Lifecycle; l == nil || l.LoginAt == nil || !l.LoginAt.Equal(t0) || l.LastRefreshAt != nil || l.Failures != 0 {
		t.Errorf("status --json lifecycle: %+v", l)
	}
}

// TestStatusCheckAcceptedWithoutRefresh: --check on a valid access token is
// one user-info call per token and no refresh.
func TestStatusCheckAcceptedWithoutRefresh(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	h.emu.ResetStats()
	r := h.must("status", "--check")
	if !strings.Contains(r.stdout, "Zoho: accepts the token") {
		t.Errorf("status --check:\n%s", r.stdout)
	}
	noSecrets(t, r, tokenSecrets(tok)...)
	st := h.emu.Stats()
	if st.Refreshes != 0 || st.TokenRequests != 0 || st.Calls["GET /crm/v8/users"] != 1 {
		t.Errorf("--check on a valid token: %+v", st)
	}
}

// TestStatusCheckRefreshesOnlyAnExpiredToken: an expired access token is
// refreshed (and saved) once, then checked.
func TestStatusCheckRefreshesOnlyAnExpiredToken(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	h.clock.Advance(61 * time.Minute)
	if r := h.must("status"); !strings.Contains(r.stdout, "Access token: expired 1m00s ago") {
		t.Errorf("status of an expired token:\n%s", r.stdout)
	}
	h.emu.ResetStats()
	rep := decodeStatus(t, h.must("status", "--check", "--json"))
	if v := rep.Tokens[0]; !rep.OK || v.Check != checkAccepted || !v.Refreshed || !v.AccessValid {
		t.Errorf("status --check --json: %+v", rep)
	}
	if st := h.emu.Stats(); st.Refreshes != 1 {
		t.Errorf("refreshes: %+v", st)
	}
	if got := h.tokens()[0]; got.AccessToken == tok.AccessToken || !got.Expiry.After(h.clock.Now()) {
		t.Errorf("the refreshed token was not saved")
	}
}

// TestStatusCheckRevokedRefreshToken: after the user revoked the tokens
// (Zoho then refuses the access token and the refresh), status --check
// says so and exits 4; without --check it cannot know and exits 0.
func TestStatusCheckRevokedRefreshToken(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	h.emu.RevokeAll()
	if r := h.run("status"); r.code != 0 {
		t.Errorf("status without --check: %+v", r)
	}
	r := h.run("status", "--check")
	if r.code != exitAuth || !strings.Contains(r.stdout, "X "+testEmail) || !strings.Contains(r.stdout, "Zoho: refuses the token") ||
		!strings.Contains(r.stdout, "invalid_code") || !strings.Contains(r.stderr, "zohoauth login") {
		t.Errorf("status --check of a revoked token: %+v", r)
	}
	noSecrets(t, r, tokenSecrets(tok)...)
	r = h.run("status", "--check", "--json")
	rep := decodeStatus(t, r)
	if r.code != exitAuth || rep.OK || rep.Tokens[0].Check != checkRejected || rep.Tokens[0].ZohoError != "invalid_code" || rep.Tokens[0].OK {
		t.Errorf("status --check --json: exit %d %+v", r.code, rep)
	}
	var ev errorView
	if err := json.Unmarshal([]byte(r.stderr), &ev); err != nil || ev.ExitCode != exitAuth {
		t.Errorf("--json error: %q (%v)", r.stderr, err)
	}
}

// TestStatusMissingRefreshToken: a token without a refresh token cannot
// work once its access token expires: exit 4 even without --check, and
// --check does not call Zoho for it.
func TestStatusMissingRefreshToken(t *testing.T) {
	h := newHarness(t)
	h.login()
	s := h.store()
	lone := &zohoauth.Token{UserName: "bob@example.com:77", ClientID: testClientID, AccessToken: "1000.lone-access", Expiry: h.clock.Now().Add(time.Hour), APIDomain: h.emu.URL}
	if err := s.SaveToken(context.Background(), lone); err != nil {
		t.Fatal(err)
	}
	r := h.run("status")
	if r.code != exitAuth || !strings.Contains(r.stdout, "X bob@example.com") || !strings.Contains(r.stdout, "Refresh token: missing") ||
		!strings.Contains(r.stdout, "✓ "+testEmail) || !strings.Contains(r.stderr, "1 of 2 tokens cannot work") {
		t.Errorf("status with a token lacking its refresh token: %+v", r)
	}
	// Narrowed to the good one: exit 0.
	if r := h.run("status", "--user", testEmail); r.code != 0 || strings.Contains(r.stdout, "bob") {
		t.Errorf("status --user: %+v", r)
	}
	h.emu.ResetStats()
	rep := decodeStatus(t, h.run("status", "--check", "--json", "--user", "bob@example.com"))
	if rep.OK || rep.Tokens[0].Check != checkNoRefresh {
		t.Errorf("--check of a token without refresh token: %+v", rep)
	}
	if st := h.emu.Stats(); st.Requests != 0 {
		t.Errorf("--check called Zoho for a token without refresh token: %+v", st)
	}
}

// TestStatusCheckUnreachable: when Zoho cannot answer, status --check
// exits 5 (try again later), not 4.
func TestStatusCheckUnreachable(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.emu.Inject(zohotest.Fault{Path: "/crm/v8/users", Status: http.StatusServiceUnavailable, Times: -1})
	r := h.run("status", "--check")
	if r.code != exitUnavailable || !strings.Contains(r.stdout, "Zoho: could not check") {
		t.Errorf("status --check with Zoho down: %+v", r)
	}
}

// TestStatusNoTokens: an empty or missing store is exit 3.
func TestStatusNoTokens(t *testing.T) {
	h := newHarness(t)
	if r := h.run("status"); r.code != exitNotFound || !strings.Contains(r.stderr, "zohoauth login") {
		t.Errorf("status of a missing store: %+v", r)
	}
	h.login()
	if r := h.run("status", "--user", "nobody@example.com"); r.code != exitNotFound {
		t.Errorf("status of an unknown user: %+v", r)
	}
}

// TestStatusCheckRefreshProvesTheRefreshToken: when the access token had
// to be refreshed, the refresh answers the question: a user-info call
// refused afterwards (a token without the users scope) does not make the
// token rejected.
func TestStatusCheckRefreshProvesTheRefreshToken(t *testing.T) {
	h := newHarness(t)
	h.login()
	h.clock.Advance(61 * time.Minute)
	h.emu.Inject(zohotest.Fault{Path: "/crm/v8/users", Status: http.StatusForbidden, Body: []byte(`{"code":"OAUTH_SCOPE_MISMATCH","status":"error"}`)})
	r := h.run("status", "--check")
	if r.code != 0 || !strings.Contains(r.stdout, "Zoho: accepts the token") || !strings.Contains(r.stdout, "refused the user-info call") {
		t.Errorf("status --check with the user-info call refused after a refresh: %+v", r)
	}
	// With a valid access token, a refused user-info call is settled by
	// one refresh.
	h.emu.ResetStats()
	h.emu.Inject(zohotest.Fault{Path: "/crm/v8/users", Status: http.StatusForbidden, Body: []byte(`{"code":"OAUTH_SCOPE_MISMATCH","status":"error"}`), Times: 2})
	if r := h.run("status", "--check"); r.code != 0 || !strings.Contains(r.stdout, "refused the user-info call") || h.emu.Stats().Refreshes != 1 {
		t.Errorf("status --check with the user-info call refused: %+v", r)
	}
}
