package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/zohotest"
)

func TestTokenRefreshesWhenExpired(t *testing.T) {
	h := newHarness(t)
	tok := h.login()

	// A valid token is printed as it is, with no call to Zoho.
	h.emu.ResetStats()
	r := h.must("token")
	if r.stdout != tok.AccessToken+"\n" {
		t.Errorf("token printed %q, want the stored access token", r.stdout)
	}
	noSecrets(t, result{stderr: r.stderr}, tokenSecrets(tok)...)
	if st := h.emu.Stats(); st.TokenRequests != 0 {
		t.Errorf("token of a valid token asked Zoho: %+v", st)
	}

	// An hour later it has expired: token refreshes, prints the new one and
	// saves it.
	h.clock.Advance(61 * time.Minute)
	r = h.must("token", "--user", testEmail, "--json")
	var v accessView
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("token --json: %v\n%s", err, r.stdout)
	}
	if v.AccessToken == tok.AccessToken || v.TokenType != "Zoho-oauthtoken" || v.ID != tok.ID || v.ExpiresInSeconds != 3600 ||
		!v.Expiry.Equal(h.clock.Now().Add(time.Hour)) || v.APIDomain != h.emu.URL {
		t.Errorf("token --json after expiry: %+v", v)
	}
	if st := h.emu.Stats(); st.Refreshes != 1 {
		t.Errorf("refreshes = %d, want 1", st.Refreshes)
	}
	stored := h.tokens()[0]
	if stored.AccessToken != v.AccessToken || !stored.Expiry.Equal(v.Expiry) || stored.RefreshToken != tok.RefreshToken {
		t.Errorf("stored after refresh: %v", stored)
	}
	// The new token works with the CRM API, without another refresh.
	h.must("api", "/crm/v8/users?type=CurrentUser")
	if st := h.emu.Stats(); st.Refreshes != 1 || st.Unauthorized != 0 {
		t.Errorf("api after refresh: %+v", st)
	}
}

func TestTokenErrors(t *testing.T) {
	h := newHarness(t)
	if r := h.run("token"); r.code != exitNotFound {
		t.Errorf("token on an empty store: %+v", r)
	}
	tok := h.login()
	// Revoked at Zoho behind our back, then expired: Zoho refuses the
	// refresh token, and the user must log in again (exit 4).
	h.emu.RevokeAll()
	h.clock.Advance(2 * time.Hour)
	r := h.run("token")
	if r.code != exitAuth || r.stdout != "" {
		t.Errorf("token with a revoked refresh token: %+v", r)
	}
	noSecrets(t, r, tokenSecrets(tok)...)
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.HasPrefix(r.stderr, "zohoauth: ") {
		t.Errorf("error is not one line: %q", r.stderr)
	}
	// Zoho unreachable: exit 5, the stored token is kept.
	h.emu.RevokeAll()
	h2 := newHarness(t)
	h2.login()
	h2.clock.Advance(2 * time.Hour)
	h2.emu.Close()
	if r := h2.run("token"); r.code != exitUnavailable {
		t.Errorf("token with Zoho down: %+v", r)
	}
	if n := len(h2.tokens()); n != 1 {
		t.Errorf("stored tokens after a failed refresh: %d", n)
	}
}

func TestRefresh(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	h.emu.ResetStats()
	h.clock.Advance(10 * time.Minute)
	r := h.must("refresh")
	noSecrets(t, r, tokenSecrets(tok)...)
	if !strings.Contains(r.stderr, "refreshed token "+tok.ID) || !strings.Contains(r.stderr, "1h00m") {
		t.Errorf("refresh: %q", r.stderr)
	}
	if st := h.emu.Stats(); st.Refreshes != 1 {
		t.Errorf("refreshes = %d", st.Refreshes)
	}
	got := h.tokens()[0]
	if got.AccessToken == tok.AccessToken || !got.Expiry.Equal(h.clock.Now().Add(time.Hour)) {
		t.Errorf("stored after refresh: %v", got)
	}
	if r := h.run("refresh", "--id", "42"); r.code != exitNotFound {
		t.Errorf("refresh unknown id: %+v", r)
	}
}

func TestRevoke(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	r := h.must("revoke", "--id", tok.ID)
	noSecrets(t, r, tokenSecrets(tok)...)
	if st := h.emu.Stats(); st.Revokes != 1 {
		t.Errorf("revokes = %d", st.Revokes)
	}
	if n := len(h.tokens()); n != 0 {
		t.Errorf("%d tokens left after revoke", n)
	}
	// Zoho down: nothing is deleted here.
	h.must("login")
	h.emu.Inject(zohotest.Fault{Path: "/oauth/v2/token/revoke", Status: 503, Body: []byte(`{"error":"down"}`)})
	r = h.run("revoke")
	if r.code == 0 || !strings.Contains(r.stderr, "zohoauth delete --id") {
		t.Errorf("revoke with Zoho failing: %+v", r)
	}
	if n := len(h.tokens()); n != 1 {
		t.Errorf("%d tokens left after a failed revoke", n)
	}
}

func TestAPI(t *testing.T) {
	h := newHarness(t)
	tok := h.login()

	r := h.must("api", "GET", "/crm/v8/users?type=CurrentUser")
	if !strings.Contains(r.stdout, testEmail) {
		t.Errorf("api users: %s", r.stdout)
	}
	noSecrets(t, result{stderr: r.stderr}, tokenSecrets(tok)...)

	// POST a record from standard input, then from a file; -i shows the status.
	body := `{"data":[{"Last_Name":"Hopper","Company":"Navy"}]}`
	r = h.runIn(body, "api", "POST", "crm/v8/Leads", "--input", "-", "-i")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "HTTP/1.1 201") || !strings.Contains(r.stdout, "Content-Type: application/json") {
		t.Errorf("api POST: %+v", r)
	}
	file := filepath.Join(t.TempDir(), "lead.json")
	if err := os.WriteFile(file, []byte(`{"data":[{"Last_Name":"Lamarr"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	h.must("api", "--input", file, "/crm/v8/Leads?fields=Last_Name,Company")
	r = h.must("api", h.emu.URL+"/crm/v8/Leads?fields=Last_Name,Company")
	if !strings.Contains(r.stdout, "Hopper") || !strings.Contains(r.stdout, "Lamarr") {
		t.Errorf("api GET after POSTs: %s", r.stdout)
	}

	// Zoho rejects the access token before its expiry (401 INVALID_TOKEN):
	// the request is retried once with a refreshed token.
	h.emu.ExpireAccessTokens()
	h.emu.ResetStats()
	h.must("api", "/crm/v8/Leads?fields=Last_Name,Company")
	if st := h.emu.Stats(); st.Refreshes != 1 || st.Unauthorized != 1 {
		t.Errorf("after a 401: %+v", st)
	}

	// An error status: the body is printed, exit 6.
	r = h.run("api", "GET", "/crm/v8/NoSuchModule")
	if r.code != exitHTTP || r.stdout == "" || !strings.Contains(r.stderr, "HTTP 4") {
		t.Errorf("api 4xx: %+v", r)
	}

	// The token goes to its own API domain only.
	if r := h.run("api", "https://evil.example/crm/v8/Leads"); r.code != exitUsage || !strings.Contains(r.stderr, "refusing") {
		t.Errorf("api to another host: %+v", r)
	}
	for _, args := range [][]string{{"api"}, {"api", "GET", "/a", "extra"}, {"api", "-X", "POST", "GET", "/a"}, {"api", "-H", "nocolon", "/a"}} {
		if r := h.run(args...); r.code != exitUsage {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

func TestAPIURL(t *testing.T) {
	for _, tt := range []struct{ domain, path, want string }{
		{"https://www.zohoapis.eu", "/crm/v8/Leads", "https://www.zohoapis.eu/crm/v8/Leads"},
		{"https://www.zohoapis.eu/", "crm/v8/Leads?page=2", "https://www.zohoapis.eu/crm/v8/Leads?page=2"},
		{"", "/crm/v8/org", "https://www.zohoapis.com/crm/v8/org"},
		{"https://www.zohoapis.eu", "https://www.zohoapis.eu/crm/v8/org", "https://www.zohoapis.eu/crm/v8/org"},
	} {
		if got, err := apiURL(tt.domain, tt.path); err != nil || got != tt.want {
			t.Errorf("apiURL(%q, %q) = %q, %v", tt.domain, tt.path, got, err)
		}
	}
	for _, path := range []string{"https://www.zohoapis.com/crm", "http://www.zohoapis.eu/crm"} {
		if _, err := apiURL("https://www.zohoapis.eu", path); err == nil {
			t.Errorf("apiURL allowed %q", path)
		}
	}
}

func TestQuickstart(t *testing.T) {
	h := newHarness(t)
	r := h.must("quickstart")
	for _, want := range []string{
		"$ zohoauth login", "logged in as " + quickstartUser,
		"$ zohoauth api POST /crm/v8/Leads", `"Lovelace"`,
		"the access token expires", "Zoho was asked for 1 new access token",
		"$ zohoauth show", "refresh token: present (sha256:",
		"was deleted from " + h.storeURL,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("quickstart output lacks %q", want)
		}
	}
	if strings.Contains(r.stdout, quickstartClientSecret) {
		t.Error("quickstart shows its client secret")
	}
	if n := len(h.tokens()); n != 0 {
		t.Errorf("quickstart left %d tokens", n)
	}
	// --keep keeps the refreshed token, and a second run reuses the row.
	h.must("quickstart", "--keep")
	h.must("quickstart", "--keep")
	all := h.tokens()
	if len(all) != 1 || all[0].ClientID != quickstartClientID || all[0].Email() != quickstartUser {
		t.Errorf("after quickstart --keep: %v", all)
	}
}

func TestEmulatorCommand(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- h.app(strings.NewReader(""), &stdout, &stderr).main(ctx, []string{"emulator", "--addr", "127.0.0.1:0", "--auto-approve", "--user", "grace@example.com"})
	}()
	waitFor(t, "the emulator's URL", func() bool { return strings.Contains(stdout.String(), "\n") })
	emuURL := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(emuURL, "http://127.0.0.1:") || emuURL == h.emu.URL {
		t.Fatalf("emulator printed %q", emuURL)
	}
	if strings.Contains(stderr.String(), testClientSecret) || !strings.Contains(stderr.String(), envAccountsURL+"="+emuURL) {
		t.Errorf("emulator stderr: %s", stderr.String())
	}
	// The harness's client logs in against the served emulator.
	h.env[envAccountsURL] = emuURL
	r := h.must("login")
	if !strings.Contains(r.stderr, "logged in as grace@example.com") {
		t.Errorf("login against the emulator command: %q", r.stderr)
	}
	if r := h.must("api", "/crm/v8/users?type=CurrentUser"); !strings.Contains(r.stdout, "grace@example.com") {
		t.Errorf("api against the emulator command: %s", r.stdout)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("emulator exit %d: %s", code, stderr.String())
	}
	if _, err := httpGet(emuURL + "/oauth/v2/auth"); err == nil {
		t.Error("the emulator still answers after its command ended")
	}
	// A busy address is an error.
	if r := h.run("emulator", "--addr", strings.TrimPrefix(h.emu.URL, "http://")); r.code != exitFailure || !strings.Contains(r.stderr, "address already in use") {
		t.Errorf("emulator on a busy port: %+v", r)
	}
}
