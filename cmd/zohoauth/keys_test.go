package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/storetest"
)

// newKeyset creates a keyset file with zohoauth keys create and returns
// its path.
func (h *harness) newKeyset(name string) string {
	h.t.Helper()
	path := filepath.Join(h.t.TempDir(), name)
	h.must("keys", "create", path)
	return path
}

// rawTokens returns the tokens of the store at url as stored, without
// decryption.
func (h *harness) rawTokens(url string) []*zohoauth.Token {
	h.t.Helper()
	saved := h.storeURL
	h.storeURL = url
	defer func() { h.storeURL = saved }()
	return h.tokens()
}

// sealedUnder fails the test unless the tokens hold secret values, every
// one of them encrypted.
func sealedUnder(t *testing.T, tokens []*zohoauth.Token) {
	t.Helper()
	n := 0
	for _, tok := range tokens {
		for _, v := range tokenSecrets(tok) {
			if v == "" {
				continue
			}
			n++
			if !sealed.IsSealed(v) {
				t.Fatalf("token %s holds a plain secret value", tok.ID)
			}
		}
	}
	if n == 0 {
		t.Fatal("no secret values in the store")
	}
}

// keyList returns the key ids keys list --json shows, by state, and, with
// the store, the values under each.
func (h *harness) keyList(keyset string, withStore bool) (ids map[string]string, values map[string]int) {
	h.t.Helper()
	args := []string{"keys", "list", "--json", "--keyset", keyset}
	if withStore {
		args = append(args, "--store", h.storeURL)
	}
	r := h.must(args...)
	var out struct {
		Keys []keyView `json:"keys"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		h.t.Fatalf("keys list --json: %v: %s", err, r.stdout)
	}
	ids, values = map[string]string{}, map[string]int{}
	for _, k := range out.Keys {
		ids[k.State] += k.ID // one key per state in these tests, but old may repeat
		if k.Values != nil {
			values[k.ID] = *k.Values
		}
	}
	return ids, values
}

// TestKeysRotationRunbook follows the README's rotation runbook with the
// command, step by step: create, log in encrypted, rotate (stage), promote,
// retire refused while values use the old key (saying how many, keyset
// unchanged), rekey, retire; the token is served at every step.
func TestKeysRotationRunbook(t *testing.T) {
	h := newHarness(t)
	ks := h.newKeyset("keyset.json")
	if fi, err := os.Stat(ks); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keyset file mode: %v %v", fi.Mode(), err)
	}
	h.env[envKeysetFile] = ks
	tok := h.login()
	sealedUnder(t, h.tokens())
	if r := h.must("token"); strings.TrimSpace(r.stdout) == "" || sealed.IsSealed(strings.TrimSpace(r.stdout)) {
		t.Fatalf("token printed %q", r.stdout)
	}
	nValues := 0
	for _, v := range tokenSecrets(h.tokens()[0]) {
		if v != "" {
			nValues++
		}
	}
	ids, values := h.keyList(ks, true)
	first := ids["primary"]
	if first == "" || values[first] != nValues || nValues < 3 {
		t.Fatalf("after login: keys %v, values %v", ids, values)
	}

	// 1. Stage.
	h.must("keys", "rotate")
	ids, _ = h.keyList(ks, false)
	staged := ids["staged"]
	if staged == "" || ids["primary"] != first {
		t.Fatalf("after rotate: %v", ids)
	}
	if r := h.run("keys", "rotate"); r.code != exitUsage || !strings.Contains(r.stderr, "promote it first") {
		t.Errorf("a second rotate before promote: %+v", r)
	}
	// 3. Promote (the staged key, named or not).
	h.must("keys", "promote")
	ids, _ = h.keyList(ks, false)
	if ids["primary"] != staged || ids["old"] != first {
		t.Fatalf("after promote: %v", ids)
	}
	// 5 before 4: refused, with the count, and the keyset is unchanged.
	before, _ := os.ReadFile(ks)
	r := h.run("keys", "retire", first)
	if r.code != exitFailure || !strings.Contains(r.stderr, fmt.Sprintf("still used by %d stored values", nValues)) || !strings.Contains(r.stderr, "rekey") {
		t.Fatalf("retire of a key in use: %+v", r)
	}
	if after, _ := os.ReadFile(ks); !bytes.Equal(before, after) {
		t.Fatal("a refused retire changed the keyset file")
	}
	if r := h.run("keys", "retire", staged); r.code != exitUsage || !strings.Contains(r.stderr, "primary key") {
		t.Errorf("retire of the primary key: %+v", r)
	}
	if r := h.run("keys", "retire", "12345"); r.code != exitNotFound {
		t.Errorf("retire of an unknown key: %+v", r)
	}
	// 4. Rekey.
	r = h.must("rekey")
	if !strings.Contains(r.stderr, fmt.Sprintf("1 token rewritten (%d values) to key %s", nValues, staged)) || !strings.Contains(r.stderr, "0 values left under other keys") {
		t.Errorf("rekey: %s", r.stderr)
	}
	_, values = h.keyList(ks, true)
	if values[first] != 0 || values[staged] != nValues {
		t.Fatalf("after rekey: %v", values)
	}
	// Idempotent: nothing to do the second time.
	if r := h.must("rekey"); !strings.Contains(r.stderr, "0 tokens rewritten") {
		t.Errorf("second rekey: %s", r.stderr)
	}
	// 5. Retire.
	h.must("keys", "retire", first)
	ids, _ = h.keyList(ks, false)
	if len(ids) != 1 || ids["primary"] != staged {
		t.Fatalf("after retire: %v", ids)
	}
	if r := h.must("show", "--id", tok.ID); !strings.Contains(r.stdout, tok.ID) {
		t.Errorf("show after the rotation: %s", r.stdout)
	}
	h.must("token")
	h.must("refresh")
}

// TestKeysCreateNeverOverwrites: keys create refuses an existing file
// (exit 2), which keeps its bytes.
func TestKeysCreateNeverOverwrites(t *testing.T) {
	h := newHarness(t)
	ks := h.newKeyset("keyset.json")
	before, _ := os.ReadFile(ks)
	r := h.run("keys", "create", ks)
	if r.code != exitUsage || !strings.Contains(r.stderr, "never overwrites") {
		t.Fatalf("create over a keyset: %+v", r)
	}
	if after, _ := os.ReadFile(ks); !bytes.Equal(before, after) {
		t.Fatal("the keyset file changed")
	}
	if r := h.run("keys", "create"); r.code != exitUsage {
		t.Errorf("create without a file: %+v", r)
	}
}

// TestKeysetWorldReadableRefused: a keyset file other users may read is
// refused by every command (exit 2, saying chmod 600), before a store is
// created.
func TestKeysetWorldReadableRefused(t *testing.T) {
	h := newHarness(t)
	ks := h.newKeyset("keyset.json")
	if err := os.Chmod(ks, 0o644); err != nil {
		t.Fatal(err)
	}
	h.env[envKeysetFile] = ks
	for _, args := range [][]string{{"login"}, {"list"}, {"keys", "rotate"}, {"keys", "list"}, {"rekey"}} {
		r := h.run(args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "chmod 600") {
			t.Errorf("%v with a world-readable keyset: %+v", args, r)
		}
	}
	dbPath := strings.TrimPrefix(h.storeURL, "sqlite:")
	if _, err := os.Stat(dbPath); err == nil {
		t.Error("login created the store despite the refused keyset")
	}
}

// TestKeysetWrongKeyset: a store encrypted with one keyset, read with
// another: every command fails with exit 2 naming the token, field and key
// id, no secret shows, and the stored token is unchanged (a refresh with
// the wrong keyset overwrites nothing).
func TestKeysetWrongKeyset(t *testing.T) {
	h := newHarness(t)
	right := h.newKeyset("right.json")
	wrong := h.newKeyset("wrong.json")
	h.env[envKeysetFile] = right
	h.login()
	stored := h.tokens()
	ids, _ := h.keyList(right, false)
	h.env[envKeysetFile] = wrong
	for _, args := range [][]string{{"token"}, {"show"}, {"list"}, {"refresh"}, {"revoke"}, {"rekey"}} {
		r := h.run(args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "key "+ids["primary"]) || !strings.Contains(r.stderr, "which the keyset does not hold") {
			t.Errorf("%v with the wrong keyset: %+v", args, r)
		}
		noSecrets(t, r, tokenSecrets(stored[0])...)
	}
	if got := h.tokens(); len(got) != 1 || storetest.Diff(got[0], stored[0]) != nil {
		t.Fatalf("the store changed: %v", storetest.Diff(got[0], stored[0]))
	}
	// Without a keyset, an encrypted store is refused, not handed to Zoho.
	delete(h.env, envKeysetFile)
	if r := h.run("token"); r.code != exitUsage || !strings.Contains(r.stderr, "stored encrypted: give the store's keyset") {
		t.Errorf("token without a keyset: %+v", r)
	}
	if got := h.tokens(); storetest.Diff(got[0], stored[0]) != nil {
		t.Fatal("the store changed")
	}
}

// TestKeysetFromEnvironment: ZOHOAUTH_KEYSET holds the keyset itself (as
// JSON or base64), not a path; with ZOHOAUTH_KEYSET_FILE too it is
// ambiguous (exit 2) unless --keyset decides; keys rotate cannot edit a
// variable.
func TestKeysetFromEnvironment(t *testing.T) {
	h := newHarness(t)
	ks := h.newKeyset("keyset.json")
	data, err := os.ReadFile(ks)
	if err != nil {
		t.Fatal(err)
	}
	h.env[envKeyset] = base64.StdEncoding.EncodeToString(data)
	h.login()
	sealedUnder(t, h.tokens())
	h.env[envKeyset] = string(data)
	h.must("token")
	h.env[envKeyset] = ks // a path where the keyset belongs
	if r := h.run("token"); r.code != exitUsage || !strings.Contains(r.stderr, "neither a JSON keyset nor its base64") {
		t.Errorf("a path in %s: %+v", envKeyset, r)
	}
	h.env[envKeyset] = string(data)
	h.env[envKeysetFile] = ks
	if r := h.run("token"); r.code != exitUsage || !strings.Contains(r.stderr, "both") {
		t.Errorf("both variables: %+v", r)
	}
	h.must("token", "--keyset", ks)
	delete(h.env, envKeysetFile)
	if r := h.run("keys", "rotate"); r.code != exitUsage || !strings.Contains(r.stderr, "give --keyset FILE") {
		t.Errorf("rotate of a variable: %+v", r)
	}
	if r := h.run("list", "--keyset-mode", "sideways"); r.code != exitUsage {
		t.Errorf("a bad --keyset-mode: %+v", r)
	}
}

// TestRetiredKeyStillInUse: two stores share a keyset; one is rekeyed and
// the old key retired (retire checks the store it is given); the other
// store's values are then under a key the keyset no longer holds: reading
// them fails with exit 2 naming the key, never a fallback, and nothing in
// that store is overwritten.
func TestRetiredKeyStillInUse(t *testing.T) {
	h := newHarness(t)
	ks := h.newKeyset("keyset.json")
	h.env[envKeysetFile] = ks
	h.login()
	other := "sqlite:" + filepath.Join(t.TempDir(), "other.db")
	h.must("migrate", "--from", h.storeURL, "--to", other)
	ids, _ := h.keyList(ks, false)
	old := ids["primary"]
	h.must("keys", "rotate")
	h.must("keys", "promote")
	h.must("rekey")
	h.must("keys", "retire", old)
	before := h.rawTokens(other)
	r := h.run("token", "--store", other)
	if r.code != exitUsage || !strings.Contains(r.stderr, "encrypted under key "+old) {
		t.Fatalf("a value under a retired key: %+v", r)
	}
	if after := h.rawTokens(other); storetest.Diff(after[0], before[0]) != nil {
		t.Fatal("the other store changed")
	}
	if r := h.run("rekey", "--store", other); r.code != exitUsage || !regexp.MustCompile(`key `+old).MatchString(r.stderr) {
		t.Errorf("rekey of values under a retired key: %+v", r)
	}
}

// TestKeysListCountsPlainValues: keys list --store shows a store being
// encrypted in place: plain values counted, then none after
// rekey --keyset-mode migrate; strict mode refuses the plain store.
func TestKeysListCountsPlainValues(t *testing.T) {
	h := newHarness(t)
	h.login() // plain
	ks := h.newKeyset("keyset.json")
	// Plain: the client secret, grant, refresh and access token.
	r := h.must("keys", "list", "--keyset", ks, "--store", h.storeURL)
	if !strings.Contains(r.stderr, "1 token in") || !strings.Contains(r.stderr, "4 values plain") {
		t.Errorf("keys list of a plain store: %s", r.stderr)
	}
	if r := h.run("token", "--keyset", ks); r.code != exitUsage || !strings.Contains(r.stderr, "stored plain") || !strings.Contains(r.stderr, "--keyset-mode migrate") {
		t.Errorf("strict mode over a plain store: %+v", r)
	}
	h.must("token", "--keyset", ks, "--keyset-mode", "migrate")
	h.must("rekey", "--keyset", ks, "--keyset-mode", "migrate")
	sealedUnder(t, h.tokens())
	r = h.must("keys", "list", "--keyset", ks, "--store", h.storeURL)
	if !strings.Contains(r.stderr, "0 values plain") {
		t.Errorf("keys list after the encryption: %s", r.stderr)
	}
	// And back: unseal.
	h.must("rekey", "--keyset", ks, "--keyset-mode", "unseal")
	for _, tok := range h.tokens() {
		for _, v := range tokenSecrets(tok) {
			if sealed.IsSealed(v) {
				t.Fatal("a value is still encrypted after unseal")
			}
		}
	}
	h.must("token")
}
