package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// serving runs zohoauth serve with args on a free loopback port until the
// test ends, and returns its URL.
func (h *harness) serving(args ...string) string {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	a := h.app(strings.NewReader(""), &out, &errb)
	go func() { done <- a.main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)) }()
	h.t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			h.t.Errorf("serve exited %d: %s", code, errb.String())
		}
		h.t.Logf("serve stderr: %s", errb.String())
	})
	var u string
	waitFor(h.t, "serve's URL", func() bool {
		select {
		case code := <-done:
			h.t.Fatalf("serve exited %d: %s", code, errb.String())
		default:
		}
		line, _, ok := strings.Cut(out.String(), "\n")
		u = line
		return ok
	})
	return u
}

func get(t *testing.T, u, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestServeAnswersTokenWithCreatedKey: serve keys create prints a key once;
// serve, on a free loopback port over an encrypted store, answers /healthz
// without a key, GET /v1/token with the key (the decrypted access token),
// 401 without it, and 403 once it is revoked; serve keys list shows no key
// nor hash.
func TestServeAnswersTokenWithCreatedKey(t *testing.T) {
	h := newHarness(t)
	ks := h.newKeyset("keyset.json")
	h.env[envKeysetFile] = ks
	tok := h.login()
	keys := filepath.Join(t.TempDir(), "keys.json")
	r := h.must("serve", "keys", "create", "billing", "--user", testEmail, "--client", testClientID, "--keys", keys)
	key := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(key, "zak_") || strings.Contains(r.stderr, key) {
		t.Fatalf("serve keys create: %+v", r)
	}
	if fi, err := os.Stat(keys); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	u := h.serving("--keys", keys)
	if code, body := get(t, u+"/healthz", ""); code != http.StatusOK {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	q := url.Values{"user": {testEmail}, "client_id": {testClientID}}
	code, body := get(t, u+"/v1/token?"+q.Encode(), key)
	var ans struct {
		AccessToken string `json:"access_token"`
	}
	if code != http.StatusOK || json.Unmarshal([]byte(body), &ans) != nil {
		t.Fatalf("/v1/token: %d %s", code, body)
	}
	stored := h.tokens()[0]
	dec := h.must("show", "--id", stored.ID, "--reveal", "--json")
	if !strings.Contains(dec.stdout, `"`+ans.AccessToken+`"`) || strings.HasPrefix(ans.AccessToken, "zs") || ans.AccessToken == stored.AccessToken {
		t.Fatalf("/v1/token answered %.8s…, not the decrypted access token of token %s", ans.AccessToken, tok.ID)
	}
	if code, _ := get(t, u+"/v1/token?"+q.Encode(), ""); code != http.StatusUnauthorized {
		t.Errorf("/v1/token without a key: %d", code)
	}

	r = h.must("serve", "keys", "list", "--keys", keys)
	id, _, _ := strings.Cut(strings.TrimPrefix(key, "zak_"), "_")
	if !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "billing") || strings.Contains(r.stdout, key) || strings.Contains(r.stdout, "sha256") {
		t.Errorf("serve keys list: %s", r.stdout)
	}
	h.must("serve", "keys", "revoke", id, "--keys", keys)
	if code, _ := get(t, u+"/v1/token?"+q.Encode(), key); code == http.StatusOK {
		t.Errorf("/v1/token with a revoked key: %d", code)
	}
	if r := h.run("serve", "keys", "revoke", "000000000000", "--keys", keys); r.code != exitNotFound {
		t.Errorf("revoke of an unknown key: %+v", r)
	}
}

// TestServeRefusesNonLoopbackWithoutTLS: serve on an address that is not
// loopback, without --cert/--key nor --insecure, refuses to start (exit 2)
// before it opens anything; half a TLS pair is a usage error; a key file
// others may read is refused (exit 2).
func TestServeRefusesNonLoopbackWithoutTLS(t *testing.T) {
	h := newHarness(t)
	keys := filepath.Join(t.TempDir(), "keys.json")
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:8921", "[::]:0", "example.com:443"} {
		r := h.run("serve", "--addr", addr, "--keys", keys)
		if r.code != exitUsage || !strings.Contains(r.stderr, "without TLS") {
			t.Errorf("serve --addr %s: %+v", addr, r)
		}
	}
	if r := h.run("serve", "--cert", "c.pem", "--keys", keys); r.code != exitUsage {
		t.Errorf("--cert without --key: %+v", r)
	}
	if _, err := os.Stat(keys); err == nil {
		t.Error("a refused serve created the key file")
	}
	h.must("serve", "keys", "create", "x", "--admin", "--keys", keys)
	if err := os.Chmod(keys, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := h.run("serve", "keys", "list", "--keys", keys); r.code != exitUsage || !strings.Contains(r.stderr, "0600") {
		t.Errorf("a world-readable key file: %+v", r)
	}
	if r := h.run("serve", "keys", "create", "y", "--keys", keys); r.code != exitUsage {
		t.Errorf("a key without a scope: %+v", r)
	}
}

// TestServeMetrics: serve answers /metrics in Prometheus text to a key made
// with --metrics alone (which gets no token), with the refresh done through
// GET /v1/token and the requests counted; without a key it is 401 JSON,
// with a token key 403; the scrape holds no token secret, no API key and
// no user name.
func TestServeMetrics(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	keys := filepath.Join(t.TempDir(), "keys.json")
	billing := strings.TrimSpace(h.must("serve", "keys", "create", "billing", "--user", testEmail, "--client", testClientID, "--keys", keys).stdout)
	scraper := strings.TrimSpace(h.must("serve", "keys", "create", "prometheus", "--metrics", "--keys", keys).stdout)
	if r := h.must("serve", "keys", "list", "--keys", keys); !strings.Contains(r.stdout, "metrics") {
		t.Errorf("serve keys list does not show the metrics right: %s", r.stdout)
	}
	if r := h.run("serve", "keys", "create", "half", "--metrics", "--user", testEmail, "--keys", keys); r.code != exitUsage {
		t.Errorf("a metrics key with users and no client: %+v", r)
	}
	u := h.serving("--keys", keys)
	h.clock.Advance(2 * time.Hour) // the access token expires
	before := h.emu.Stats()
	q := url.Values{"user": {testEmail}, "client_id": {testClientID}}
	if code, body := get(t, u+"/v1/token?"+q.Encode(), billing); code != http.StatusOK {
		t.Fatalf("/v1/token: %d %s", code, body)
	}
	if st := h.emu.Stats(); st.Refreshes != before.Refreshes+1 {
		t.Fatalf("%d refreshes at the emulator, want 1", st.Refreshes-before.Refreshes)
	}
	if code, _ := get(t, u+"/v1/token?"+q.Encode(), scraper); code != http.StatusForbidden {
		t.Errorf("a metrics key got a token: %d", code)
	}
	for _, c := range []struct {
		key    string
		status int
	}{{"", http.StatusUnauthorized}, {billing, http.StatusForbidden}} {
		code, body := get(t, u+"/metrics", c.key)
		var e struct{ Error, Message string }
		if code != c.status || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" || strings.Contains(body, "zohoauth_") {
			t.Errorf("/metrics refused: %d %s, want %d and a JSON error", code, body, c.status)
		}
	}

	code, body := get(t, u+"/metrics", scraper)
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	counter := func(name string, labels map[string]string) float64 {
		for _, m := range fams[name].GetMetric() {
			ok := true
			for _, l := range m.GetLabel() {
				if want, in := labels[l.GetName()]; in && want != l.GetValue() {
					ok = false
				}
			}
			if ok {
				return m.GetCounter().GetValue()
			}
		}
		return -1
	}
	if n := counter("zohoauth_refreshes_total", map[string]string{"zohoauth_action": "refresh", "zohoauth_outcome": "refreshed"}); n != 1 {
		t.Errorf("refreshes counted: %v, want 1", n)
	}
	route := func(status string) map[string]string {
		return map[string]string{"http_route": "/v1/token", "http_request_method": "GET", "http_response_status_code": status}
	}
	if n := counter("zohoauth_server_requests_total", route("200")); n != 1 {
		t.Errorf("GET /v1/token 200 counted: %v, want 1", n)
	}
	if n := counter("zohoauth_server_requests_total", route("403")); n != 1 {
		t.Errorf("GET /v1/token 403 counted: %v, want 1", n)
	}
	secrets := append(tokenSecrets(tok), billing, scraper, testEmail, tok.UserName, testClientSecret)
	for _, st := range h.tokens() {
		secrets = append(secrets, tokenSecrets(st)...)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(body, s) {
			t.Errorf("/metrics holds a secret, an API key or a user name (%d bytes)", len(s))
		}
	}
}

// TestServeMetricsPublic: --metrics-public opens /metrics without a key on
// loopback; on an address that is not loopback serve refuses to start
// (exit 2), even with --insecure, before it opens anything.
func TestServeMetricsPublic(t *testing.T) {
	h := newHarness(t)
	keys := filepath.Join(t.TempDir(), "keys.json")
	for _, addr := range []string{"0.0.0.0:0", "[::]:0"} {
		r := h.run("serve", "--addr", addr, "--insecure", "--metrics-public", "--keys", keys)
		if r.code != exitUsage || !strings.Contains(r.stderr, "loopback") {
			t.Errorf("serve --addr %s --metrics-public: %+v", addr, r)
		}
	}
	if _, err := os.Stat(keys); err == nil {
		t.Error("a refused serve created the key file")
	}
	u := h.serving("--keys", keys, "--metrics-public")
	if code, body := get(t, u+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, "zohoauth_server_requests_total") && !strings.Contains(body, "go_goroutines") {
		t.Errorf("public /metrics: %d %.200s", code, body)
	}
	if code, _ := get(t, u+"/v1/tokens", ""); code != http.StatusUnauthorized {
		t.Errorf("--metrics-public opened the API: %d", code)
	}
}
