package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

func TestLoginBrowserFlow(t *testing.T) {
	h := newHarness(t)
	r := h.must("login")
	all := h.tokens()
	if len(all) != 1 {
		t.Fatalf("stored %d tokens, want 1", len(all))
	}
	tok := all[0]
	if tok.Email() != testEmail || tok.ClientID != testClientID || tok.ClientSecret != testClientSecret ||
		tok.RefreshToken == "" || tok.AccessToken == "" || tok.RedirectURL != h.redirectURI ||
		tok.APIDomain != h.emu.URL || !tok.Expiry.Equal(t0.Add(time.Hour)) {
		t.Errorf("stored token %v", tok)
	}
	if !strings.Contains(r.stderr, "logged in as "+testEmail) {
		t.Errorf("stderr %q", r.stderr)
	}
	noSecrets(t, r, tokenSecrets(tok)...)
	if st := h.emu.Stats(); st.GrantExchanges != 1 || st.Consents != 1 {
		t.Errorf("emulator stats %+v", st)
	}

	// A second login of the same user updates the token, not a new row.
	h.must("login")
	all = h.tokens()
	if len(all) != 1 || all[0].ID != tok.ID || all[0].RefreshToken == tok.RefreshToken {
		t.Errorf("after a second login: %v (first %v)", all, tok)
	}
}

// httpGet gets u and returns the status code.
func httpGet(u string) (int, error) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// stateOf returns the state parameter of a consent URL.
func stateOf(consentURL string) string {
	u, err := url.Parse(consentURL)
	if err != nil {
		return ""
	}
	return u.Query().Get("state")
}

func TestLoginNoBrowserPrintsURL(t *testing.T) {
	h := newHarness(t)
	h.browser = func(context.Context, string) error {
		t.Error("--no-browser opened a browser")
		return nil
	}
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- h.app(strings.NewReader(""), &stdout, &stderr).main(context.Background(), []string{"login", "--no-browser"})
	}()
	waitFor(t, "the consent URL", func() bool { return strings.Contains(stdout.String(), "\n") })
	authURL := strings.TrimSpace(stdout.String())
	for _, want := range []string{h.emu.URL + "/oauth/v2/auth?", "access_type=offline", "prompt=consent", "response_type=code", "state=", "client_id=" + testClientID, "scope=ZohoCRM.modules.ALL"} {
		if !strings.Contains(authURL, want) {
			t.Errorf("consent URL %q lacks %q", authURL, want)
		}
	}
	if strings.Contains(authURL, testClientSecret) {
		t.Error("the consent URL holds the client secret")
	}
	// A forged redirect with the wrong state is refused and does not end the login.
	resp, err := httpGet(h.redirectURI + "?code=forged&state=wrong")
	if err != nil || resp != 400 {
		t.Errorf("forged redirect: %d, %v", resp, err)
	}
	// The user's browser follows the URL (the emulator auto-approves).
	if code, err := httpGet(authURL); err != nil || code != 200 {
		t.Fatalf("following the consent URL: %d, %v", code, err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("login exit %d: %s", code, stderr.String())
	}
	if all := h.tokens(); len(all) != 1 || all[0].Email() != testEmail {
		t.Errorf("tokens %v", all)
	}
}

func TestLoginGrantToken(t *testing.T) {
	h := newHarness(t)
	code, err := h.emu.IssueGrant(testClientID, testEmail, "ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ")
	if err != nil {
		t.Fatal(err)
	}
	h.browser = func(context.Context, string) error {
		t.Error("--grant-token opened a browser")
		return nil
	}
	r := h.must("login", "--grant-token", code)
	noSecrets(t, r, code, testClientSecret)
	all := h.tokens()
	if len(all) != 1 || all[0].Email() != testEmail || all[0].RefreshToken == "" || all[0].RedirectURL != "" {
		t.Fatalf("tokens %v", all)
	}
	// From standard input.
	code2, err := h.emu.IssueGrant(testClientID, testEmail, "ZohoCRM.modules.ALL")
	if err != nil {
		t.Fatal(err)
	}
	if r := h.runIn(code2+"\n", "login", "--grant-token", "-"); r.code != 0 {
		t.Errorf("--grant-token -: %+v", r)
	}
	if r := h.runIn("", "login", "--grant-token", "-"); r.code != exitUsage {
		t.Errorf("--grant-token - with nothing: %+v", r)
	}
	// The code is single-use: a second exchange is refused by Zoho (exit 4).
	r = h.run("login", "--grant-token", code)
	if r.code != exitAuth || !strings.Contains(r.stderr, "invalid_code") {
		t.Errorf("reused code: %+v", r)
	}
	noSecrets(t, r, code, testClientSecret)
}

func TestLoginErrors(t *testing.T) {
	h := newHarness(t)
	delete(h.env, envClientSecret)
	if r := h.run("login", "--grant-token", "x"); r.code != exitUsage || !strings.Contains(r.stderr, envClientSecret) {
		t.Errorf("no secret: %+v", r)
	}
	h.env[envClientSecret] = "wrong-secret-value"
	code, _ := h.emu.IssueGrant(testClientID, "")
	r := h.run("login", "--grant-token", code)
	if r.code != exitAuth {
		t.Errorf("wrong secret: %+v", r)
	}
	noSecrets(t, r, "wrong-secret-value", code)
	h.env[envClientSecret] = testClientSecret
	if r := h.run("login", "--redirect-uri", "http://example.com:80/cb"); r.code != exitUsage {
		t.Errorf("non-loopback redirect: %+v", r)
	}
	if r := h.run("login", "--dc", "mars", "--grant-token", "x"); r.code != exitUsage {
		t.Errorf("bad dc: %+v", r)
	}
	// The user refuses: Zoho redirects with error=access_denied.
	h.browser = func(ctx context.Context, u string) error {
		go func() { _, _ = httpGet(h.redirectURI + "?error=access_denied&state=" + stateOf(u)) }()
		return nil
	}
	if r := h.run("login"); r.code != exitAuth || !strings.Contains(r.stderr, "access_denied") {
		t.Errorf("denied: %+v", r)
	}
}

func TestListShowDelete(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	s := h.store()
	ctx := context.Background()
	other := &zohoauth.Token{UserName: "bob@example.com:77", ClientID: "1000.OTHER", ClientSecret: "other-secret", RefreshToken: "other-refresh",
		APIDomain: "https://www.zohoapis.eu"}
	if err := s.SaveToken(ctx, other); err != nil {
		t.Fatal(err)
	}
	secrets := append(tokenSecrets(tok), tokenSecrets(other)...)

	r := h.must("list")
	noSecrets(t, r, secrets...)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("list:\n%s", r.stdout)
	}
	for _, want := range []string{testEmail, testClientID, "1h00m", "secret,grant,refresh,access"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("list line %q lacks %q", lines[1], want)
		}
	}
	if !strings.Contains(lines[2], "bob@example.com") || !strings.Contains(lines[2], " eu ") || !strings.Contains(lines[2], "secret,refresh") {
		t.Errorf("list line %q", lines[2])
	}

	r = h.must("list", "--json")
	noSecrets(t, r, secrets...)
	var views []tokenView
	if err := json.Unmarshal([]byte(r.stdout), &views); err != nil || len(views) != 2 {
		t.Fatalf("list --json: %v\n%s", err, r.stdout)
	}
	if v := views[0]; v.Email != testEmail || !v.HasRefreshToken || v.ExpiresInSeconds == nil || *v.ExpiresInSeconds != 3600 || v.Expired {
		t.Errorf("view %+v", v)
	}
	if v := views[1]; v.DataCenter != "eu" || v.Expiry != nil || v.HasAccessToken {
		t.Errorf("view %+v", v)
	}

	// show needs a choice when there are two tokens.
	if r := h.run("show"); r.code != exitUsage || !strings.Contains(r.stderr, "2 tokens match") {
		t.Errorf("show without choice: %+v", r)
	}
	r = h.must("show", "--user", testEmail)
	noSecrets(t, r, secrets...)
	if !strings.Contains(r.stdout, "refresh token:") || !strings.Contains(r.stdout, "present (sha256:"+zohoauth.Fingerprint(tok.RefreshToken)+")") {
		t.Errorf("show:\n%s", r.stdout)
	}
	r = h.must("show", "--id", other.ID, "--json")
	noSecrets(t, r, secrets...)
	r = h.must("show", "--id", tok.ID, "--reveal", "--json")
	var v tokenView
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.RefreshToken != tok.RefreshToken || v.AccessToken != tok.AccessToken || v.ClientSecret != testClientSecret {
		t.Errorf("show --reveal --json: %v %+v", err, v)
	}
	if r := h.must("show", "--user", "bob@example.com:77", "--reveal"); !strings.Contains(r.stdout, "other-refresh") {
		t.Errorf("show --reveal:\n%s", r.stdout)
	}
	if r := h.run("show", "--user", "nobody@example.com"); r.code != exitNotFound {
		t.Errorf("show unknown user: %+v", r)
	}
	if r := h.run("show", "--id", "999"); r.code != exitNotFound {
		t.Errorf("show unknown id: %+v", r)
	}
	if r := h.run("show", "--id", "x1"); r.code != exitUsage {
		t.Errorf("show bad id: %+v", r)
	}

	// delete
	if r := h.run("delete"); r.code != exitUsage {
		t.Errorf("delete without choice: %+v", r)
	}
	h.must("delete", "--id", other.ID)
	if all := h.tokens(); len(all) != 1 || all[0].ID != tok.ID {
		t.Errorf("after delete: %v", all)
	}
	if r := h.run("delete", "--id", other.ID); r.code != exitNotFound {
		t.Errorf("delete twice: %+v", r)
	}
	h.must("delete", "--all", "--yes")
	if all := h.tokens(); len(all) != 0 {
		t.Errorf("after delete --all: %v", all)
	}
	if r := h.run("show"); r.code != exitNotFound || !strings.Contains(r.stderr, "zohoauth login") {
		t.Errorf("show on empty store: %+v", r)
	}
	if r := h.must("list"); r.stdout != "" || !strings.Contains(r.stderr, "no tokens") {
		t.Errorf("list on empty store: %+v", r)
	}
}

func TestPurge(t *testing.T) {
	h := newHarness(t)
	s := h.store()
	ctx := context.Background()
	now := h.clock.Now()
	mk := func(user, refresh string, expiry time.Time) *zohoauth.Token {
		tok := &zohoauth.Token{UserName: user, ClientID: "c", ClientSecret: "s", RefreshToken: refresh, AccessToken: "a-" + user, Expiry: expiry}
		if err := s.SaveToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	fresh := mk("fresh@x:1", "r1", now.Add(30*time.Minute))
	recent := mk("recent@x:1", "r2", now.Add(-24*time.Hour))
	stale := mk("stale@x:1", "r3", now.Add(-100*24*time.Hour))
	dead := mk("dead@x:1", "", now.Add(-time.Hour))             // no refresh token, expired: never works again…
	deadOld := mk("deadold@x:1", "", now.Add(-40*24*time.Hour)) // …purged once older than the age
	unknown := mk("unknown@x:1", "r4", time.Time{})

	if r := h.run("purge"); r.code != exitUsage {
		t.Errorf("purge without age: %+v", r)
	}
	if r := h.run("purge", "--older-than", "soon"); r.code != exitUsage {
		t.Errorf("bad age: %+v", r)
	}
	r := h.must("purge", "--older-than", "30d", "--dry-run")
	if !strings.Contains(r.stderr, "would purge 2 of 6") || len(h.tokens()) != 6 {
		t.Errorf("dry run: %+v", r)
	}
	r = h.must("purge", "--older-than", "30d", "--yes")
	if !strings.Contains(r.stderr, "purged 2 of 6") {
		t.Errorf("purge: %+v", r)
	}
	kept := map[string]bool{}
	for _, tok := range h.tokens() {
		kept[tok.ID] = true
	}
	for _, tok := range []*zohoauth.Token{fresh, recent, dead, unknown} {
		if !kept[tok.ID] {
			t.Errorf("purged %s", tok.UserName)
		}
	}
	for _, tok := range []*zohoauth.Token{stale, deadOld} {
		if kept[tok.ID] {
			t.Errorf("kept %s", tok.UserName)
		}
	}
	h.must("purge", "--older-than", "30m", "--yes")
	if n := len(h.tokens()); n != 2 { // fresh and unknown: recent and dead expired over 30 minutes ago
		t.Errorf("after purge 30m: %d tokens", n)
	}
}

func TestParseAge(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
	}{{"90d", 90 * 24 * time.Hour}, {"36h", 36 * time.Hour}, {"1d12h", 36 * time.Hour}, {"45m", 45 * time.Minute}} {
		if got, err := parseAge(tt.in); err != nil || got != tt.want {
			t.Errorf("parseAge(%q) = %v, %v", tt.in, got, err)
		}
	}
	for _, in := range []string{"", "d", "-1d", "0h", "x", "1dx", "-5h"} {
		if _, err := parseAge(in); err == nil {
			t.Errorf("parseAge(%q) succeeded", in)
		}
	}
}

func TestLoginWaitsThenGivesUp(t *testing.T) {
	h := newHarness(t)
	h.browser = func(context.Context, string) error { return nil } // the user never answers
	r := h.run("login", "--timeout", "50ms")
	if r.code != exitFailure || !strings.Contains(r.stderr, "no answer from the consent page within 50ms") {
		t.Errorf("login timeout: %+v", r)
	}
	// Ctrl-C while waiting: exit 130.
	ctx, cancel := context.WithCancel(context.Background())
	h.browser = func(context.Context, string) error { cancel(); return nil }
	var out, errb strings.Builder
	if code := h.app(strings.NewReader(""), &out, &errb).main(ctx, []string{"login"}); code != exitInterrupted {
		t.Errorf("login interrupted: exit %d, %s", code, errb.String())
	}
	if n := len(h.tokens()); n != 0 {
		t.Errorf("%d tokens saved", n)
	}
}
