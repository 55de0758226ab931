package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/storetest"
)

// leaks reports whether data holds 8 bytes in a row of one of secrets.
func leaks(data []byte, secrets []string) bool {
	for _, s := range secrets {
		for i := 0; i+8 <= len(s); i++ {
			if strings.Contains(string(data), s[i:i+8]) {
				return true
			}
		}
	}
	return false
}

// TestMigrateEncryptsAndBack: migrate copies a plain store into an
// encrypted token file (whose bytes hold no 8-byte piece of any secret),
// verified; then back into a plain store, equal to the original. A wrong
// --from-keyset fails (exit 2) before the target is written.
func TestMigrateEncryptsAndBack(t *testing.T) {
	h := newHarness(t)
	want := h.seedTokens(25)
	var secrets []string
	for _, tok := range want {
		secrets = append(secrets, tokenSecrets(tok)...)
	}
	ks := h.newKeyset("keyset.json")
	dir := t.TempDir()
	enc := filepath.Join(dir, "sdk_tokens.txt")
	r := h.must("migrate", "--from", h.storeURL, "--to", "file:"+enc, "--to-keyset", ks, "--batch", "7")
	if !strings.Contains(r.stderr, "verified 25 of 25") || !strings.Contains(r.stderr, "encrypted with the keyset file") {
		t.Errorf("migrate into an encrypted store: %s", r.stderr)
	}
	data, err := os.ReadFile(enc)
	if err != nil {
		t.Fatal(err)
	}
	if leaks(data, secrets) {
		t.Fatal("the encrypted token file holds a piece of a secret")
	}
	sealedUnder(t, h.rawTokens("file:"+enc))

	// Reading it without the keyset is refused.
	if r := h.run("list", "--store", "file:"+enc); r.code != exitUsage {
		t.Errorf("list of an encrypted store without a keyset: %+v", r)
	}

	// A wrong keyset: refused, and the target is not created.
	wrong := h.newKeyset("wrong.json")
	back := "sqlite:" + filepath.Join(dir, "back.db")
	if r := h.run("migrate", "--from", "file:"+enc, "--to", back, "--from-keyset", wrong); r.code != exitUsage || !strings.Contains(r.stderr, "which the keyset does not hold") {
		t.Errorf("migrate with the wrong keyset: %+v", r)
	}
	if got := h.rawTokens(back); len(got) != 0 {
		t.Errorf("the wrong keyset's migration wrote %d tokens", len(got))
	}

	// And back, with the global keyset for the source and none for the
	// target.
	r = h.must("migrate", "--from", "file:"+enc, "--to", back, "--keyset", ks, "--to-keyset", "none")
	if !strings.Contains(r.stderr, "the copy is plain") {
		t.Errorf("migrate back: %s", r.stderr)
	}
	got := h.rawTokens(back)
	if len(got) != len(want) {
		t.Fatalf("%d tokens back, want %d", len(got), len(want))
	}
	for i := range got {
		if d := storetest.Diff(got[i], want[i]); d != nil {
			t.Errorf("token %s came back different: %v", got[i].ID, d)
		}
		if sealed.IsSealed(got[i].RefreshToken) {
			t.Errorf("token %s came back encrypted", got[i].ID)
		}
	}
}
