package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/zohotest"
)

// Errors say what to do in plain words; Zoho's codes stay in --json and
// --debug output.
func TestErrorsInPlainWords(t *testing.T) {
	h := newHarness(t)
	tok := h.login()

	r := h.run("show", "--id", "99")
	if r.code != exitNotFound || r.stderr != "zohoauth: no token with id 99 in "+h.storeURL+"; zohoauth list shows the ids\n" {
		t.Errorf("unknown id: %+v", r)
	}
	r = h.run("token", "--user", "nobody@example.com:1")
	if r.code != exitNotFound || !strings.Contains(r.stderr, "no token of user nobody@example.com:1 in "+h.storeURL+"; zohoauth list shows the users") {
		t.Errorf("unknown user: %+v", r)
	}

	// A refresh token Zoho no longer accepts: log in again.
	h.emu.RevokeAll()
	h.clock.Advance(2 * time.Hour)
	r = h.run("token")
	if r.code != exitAuth || !strings.Contains(r.stderr, "run zohoauth login to authorize again") || !strings.Contains(r.stderr, "(invalid_code)") ||
		strings.Contains(r.stderr, "auth: token") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("rejected refresh: %+v", r)
	}
	// --json: a JSON object on standard error with Zoho's code.
	r = h.run("token", "--json")
	var v errorView
	if err := json.Unmarshal([]byte(r.stderr), &v); err != nil || r.code != exitAuth || v.ExitCode != exitAuth ||
		v.ZohoError != "invalid_code" || v.ZohoCall != "refresh" || !strings.Contains(v.Error, "zohoauth login") || !strings.Contains(v.Detail, "invalid_code") {
		t.Errorf("token --json error: %v %+v\n%s", err, v, r.stderr)
	}
	// --debug: the plain line, then the chain.
	r = h.run("token", "--debug")
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) < 2 || !strings.Contains(lines[len(lines)-2], "zohoauth login") ||
		!strings.HasPrefix(lines[len(lines)-1], "zohoauth: debug: auth: token "+tok.ID) {
		t.Errorf("token --debug error:\n%s", r.stderr)
	}
	noSecrets(t, r, tokenSecrets(tok)...)

	// Zoho out of reach: try again later.
	h.emu.Inject(zohotest.Fault{Path: "/oauth/v2/token", Status: 503, Body: []byte("<html>down for maintenance</html>")})
	r = h.run("refresh")
	if r.code != exitUnavailable || !strings.Contains(r.stderr, "cannot reach Zoho Accounts (HTTP 503): try again later") {
		t.Errorf("Zoho down: %+v", r)
	}
}

// Ctrl-C says "interrupted", not "context canceled".
func TestInterruptedSaysSo(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	h.browser = func(context.Context, string) error { cancel(); return nil }
	var out, errb strings.Builder
	if code := h.app(strings.NewReader(""), &out, &errb).main(ctx, []string{"login"}); code != exitInterrupted || !strings.HasSuffix(errb.String(), "zohoauth: interrupted\n") {
		t.Errorf("exit %d: %q", code, errb.String())
	}
}

// --debug (and ZOHOAUTH_DEBUG=1) shows every exchange with Zoho, and no
// secret: not the client secret, the grant code, the refresh or access
// tokens, in the query, the form or the JSON.
func TestDebugShowsExchangesWithoutSecrets(t *testing.T) {
	h := newHarness(t)
	var outputs []result
	secrets := map[string]bool{testClientSecret: true}
	run := func(args ...string) result {
		r := h.run(args...)
		outputs = append(outputs, r)
		for _, tok := range h.tokens() {
			for _, s := range tokenSecrets(tok) {
				secrets[s] = true
			}
		}
		return r
	}
	grant, err := h.emu.IssueGrant(testClientID, testEmail, "ZohoCRM.modules.ALL")
	if err != nil {
		t.Fatal(err)
	}
	r := run("login", "--debug", "--grant-token", grant)
	for _, want := range []string{
		"zohoauth: debug: > POST " + h.emu.URL + "/oauth/v2/token",
		"client_secret=[redacted]", "code=[redacted]", "grant_type=authorization_code",
		`"access_token":"[redacted]"`, `"refresh_token":"[redacted]"`, `"api_domain":"` + h.emu.URL + `"`,
		"zohoauth: debug: < 200 OK (",
		"zohoauth: debug: > GET " + h.emu.URL + "/crm/",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("login --debug lacks %q:\n%s", want, r.stderr)
		}
	}
	h.clock.Advance(2 * time.Hour)
	h.env[envDebug] = "1"
	r = run("token")
	if !strings.Contains(r.stderr, "grant_type=refresh_token") || !strings.Contains(r.stderr, "refresh_token=[redacted]") {
		t.Errorf("%s=1 token:\n%s", envDebug, r.stderr)
	}
	run("api", "/crm/v8/users?type=CurrentUser")
	run("refresh")
	r = run("revoke")
	if !strings.Contains(r.stderr, "/oauth/v2/token/revoke") || !strings.Contains(r.stderr, "token=[redacted]") {
		t.Errorf("revoke --debug:\n%s", r.stderr)
	}
	delete(h.env, envDebug)
	if r := run("login"); strings.Contains(r.stderr, "debug:") {
		t.Errorf("debug output without --debug:\n%s", r.stderr)
	}

	secrets[grant] = true
	secrets[strings.TrimSpace(outputs[1].stdout)] = true // the refreshed access token
	if len(secrets) < 6 {
		t.Fatalf("only %d secrets: the test sees too little", len(secrets))
	}
	for i, r := range outputs {
		out := r.stderr
		if i != 1 { // token prints its access token on standard output, as it should
			out += r.stdout
		}
		for s := range secrets {
			if s != "" && strings.Contains(out, s) {
				t.Errorf("run %d shows a secret (%.6s…)", i, s)
			}
		}
	}
}

func TestRedactBody(t *testing.T) {
	for _, tt := range []struct{ ct, body, want string }{
		{"application/x-www-form-urlencoded", "client_id=1000.X&client_secret=s3&refresh_token=r1&grant_type=refresh_token",
			"client_id=1000.X&client_secret=[redacted]&grant_type=refresh_token&refresh_token=[redacted]"},
		{"application/json", `{"access_token":"a1","expires_in":3600,"nested":[{"id_token":"i"}],"token_type":"Bearer"}`,
			`{"access_token":"[redacted]","expires_in":3600,"nested":[{"id_token":"[redacted]"}],"token_type":"Bearer"}`},
		{"text/html", "<html>secret</html>", "(19 bytes of text/html)"},
	} {
		if got := redactBody(tt.ct, []byte(tt.body)); got != tt.want {
			t.Errorf("redactBody(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
