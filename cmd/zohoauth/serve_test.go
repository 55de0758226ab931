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
