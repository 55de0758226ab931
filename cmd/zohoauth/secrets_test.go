package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// TestNoSecretInOutput runs every command, in success and in failure, and
// checks that no output shows a secret: the client secret, a grant code, a
// refresh token or an access token. Only token (its purpose) and
// show --reveal print one, and only on standard output.
func TestNoSecretInOutput(t *testing.T) {
	h := newHarness(t)
	seen := map[string]bool{testClientSecret: true}
	remember := func() {
		for _, tok := range h.tokens() {
			for _, s := range tokenSecrets(tok) {
				if s != "" {
					seen[s] = true
				}
			}
		}
	}
	var outputs []result
	run := func(args ...string) result {
		r := h.run(args...)
		remember()
		outputs = append(outputs, r)
		return r
	}
	grant, err := h.emu.IssueGrant(testClientID, testEmail)
	if err != nil {
		t.Fatal(err)
	}
	seen[grant] = true

	run("login")
	run("login", "--grant-token", grant)
	run("login", "--grant-token", grant) // used twice: refused
	run("list")
	run("list", "--json")
	run("show")
	run("show", "--json")
	run("refresh")
	h.clock.Advance(2 * time.Hour)
	run("api", "/crm/v8/users?type=CurrentUser")
	run("api", "GET", "/crm/v8/NoSuchModule")
	run("purge", "--older-than", "1h", "--dry-run")
	run("migrate", "--from", h.storeURL, "--to", "file:"+filepath.Join(t.TempDir(), "sdk_tokens.txt"))
	h.emu.RevokeAll()
	h.clock.Advance(2 * time.Hour)
	run("token")   // refused: revoked
	run("refresh") // refused: revoked
	run("revoke")  // refused: already revoked
	run("show", "--store", "mysql://root:"+testClientSecret+"@127.0.0.1:0/x")
	h.env[envClientSecret] = "another-client-secret-value"
	seen["another-client-secret-value"] = true
	run("login", "--grant-token", "some-grant-code-value")
	seen["some-grant-code-value"] = true
	run("quickstart")
	seen[quickstartClientSecret] = true

	// Encryption at rest: key material and the store's secrets never
	// show, in success or failure; nor does an API key outside the line
	// of serve keys create that prints it.
	dir := t.TempDir()
	keyset := filepath.Join(dir, "keyset.json")
	run("keys", "create", keyset)
	for _, m := range keyMaterial(t, keyset) {
		seen[m] = true
	}
	encURL := "sqlite:" + filepath.Join(dir, "enc.db")
	h.clock.Advance(-4 * time.Hour)
	run("migrate", "--from", h.storeURL, "--to", encURL, "--to-keyset", keyset)
	run("keys", "list", "--keyset", keyset, "--store", encURL)
	run("keys", "rotate", "--keyset", keyset)
	run("keys", "promote", "--keyset", keyset)
	for _, m := range keyMaterial(t, keyset) {
		seen[m] = true
	}
	run("keys", "retire", "1", "--keyset", keyset, "--store", encURL)
	run("rekey", "--keyset", keyset, "--store", encURL)
	run("list", "--keyset", keyset, "--store", encURL, "--json")
	run("show", "--keyset", keyset, "--store", encURL)
	run("show", "--store", encURL)                                                                // refused: no keyset
	run("show", "--keyset", filepath.Join(t.TempDir(), "no-such-keyset.json"), "--store", encURL) // refused
	other := filepath.Join(dir, "other.json")
	run("keys", "create", other)
	for _, m := range keyMaterial(t, other) {
		seen[m] = true
	}
	run("show", "--keyset", other, "--store", encURL) // refused: wrong keyset
	run("migrate", "--from", encURL, "--to", "file:"+filepath.Join(dir, "plain.txt"), "--from-keyset", keyset, "--to-keyset", "none")
	keysFile := filepath.Join(dir, "api-keys.json")
	created := h.run("serve", "keys", "create", "svc", "--admin", "--keys", keysFile)
	apiKey := strings.TrimSpace(created.stdout)
	seen[apiKey] = true
	if strings.Contains(created.stderr, apiKey) {
		t.Error("serve keys create shows the API key on standard error")
	}
	run("serve", "keys", "list", "--keys", keysFile)
	run("serve", "keys", "list", "--keys", keysFile, "--json")
	run("serve", "--addr", "0.0.0.0:1", "--keys", keysFile) // refused

	if len(seen) < 6 {
		t.Fatalf("only %d secrets seen; the test is not exercising enough", len(seen))
	}
	for _, r := range outputs {
		for s := range seen {
			if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
				t.Errorf("a secret (%.6s…, sha256:%s) shows in the output of a run that exited %d", s, zohoauth.Fingerprint(s), r.code)
			}
		}
	}

	// token prints the access token on standard output, and nothing else.
	h2 := newHarness(t)
	tok := h2.login()
	r := h2.must("token")
	if r.stdout != tok.AccessToken+"\n" {
		t.Errorf("token stdout %q", r.stdout)
	}
	noSecrets(t, result{stderr: r.stderr}, tokenSecrets(tok)...)
}

// keyMaterial returns the base64 key values of a keyset file (Tink's JSON
// keyset: keyData.value), which no output may show.
func keyMaterial(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ks struct {
		Key []struct {
			KeyData struct {
				Value string `json:"value"`
			} `json:"keyData"`
		} `json:"key"`
	}
	if err := json.Unmarshal(data, &ks); err != nil || len(ks.Key) == 0 {
		t.Fatalf("keyset %s: %v", path, err)
	}
	var out []string
	for _, k := range ks.Key {
		out = append(out, k.KeyData.Value)
	}
	return out
}
