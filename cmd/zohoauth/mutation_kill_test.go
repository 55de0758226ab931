package main

// Tests written for mutants of scripts/mutation.sh that lived: each names
// the line it guards. Their names start with TestMigrate, the tests the
// mutation run selects for migrate.go.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storeurl"
)

// TestMigrateBatchOfOne kills the mutant batch <= 1 of migrate.go:51: a
// batch of one token is the smallest allowed, and a copy and verification
// a token at a time complete.
func TestMigrateBatchOfOne(t *testing.T) {
	h := newHarness(t)
	from, _ := writeTokenFile(t, 3)
	r := h.must("migrate", "--from", from, "--to", "memory:", "--batch", "1")
	if !strings.Contains(r.stderr, "copied 3 tokens") || !strings.Contains(r.stderr, "verified 3 of 3") {
		t.Errorf("migrate --batch 1: %q", r.stderr)
	}
}

// TestMigrateIDsOfEqualValue kills the mutants of migrate.go:247: the
// verification keeps a target token whose id has the value of the page's
// last id ("7" after "007") for the next page, where the source's token of
// that id comes.
func TestMigrateIDsOfEqualValue(t *testing.T) {
	h := newHarness(t)
	data, err := filestore.Marshal([]*zohoauth.Token{
		{ID: "007", UserName: "a@example.com:1", ClientID: "1000.MIGRATE", RefreshToken: "1000.refresh.a"},
		{ID: "7", UserName: "b@example.com:2", ClientID: "1000.MIGRATE", RefreshToken: "1000.refresh.b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sdk_tokens.txt")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.must("migrate", "--from", "file:"+path, "--to", "memory:", "--batch", "1")
	if !strings.Contains(r.stderr, "copied 2 tokens") || !strings.Contains(r.stderr, "verified 2 of 2") {
		t.Errorf("migrate of ids 007 and 7: %q", r.stderr)
	}
}

// TestMigrateSourceChangedEndsTheBar kills the mutant err != nil of
// migrate.go:254: on a terminal, when the source changed during the
// migration, the verification's bar ends its line before the error, which
// starts a line of its own.
func TestMigrateSourceChangedEndsTheBar(t *testing.T) {
	h := newHarness(t)
	h.isTerm = true
	const n = 20
	from, _ := writeTokenFile(t, n)
	to := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	var stderr bytes.Buffer
	a := h.app(nil, &bytes.Buffer{}, &stderr)
	wrapOpened(a, to, func(s storeurl.Store) storeurl.Store {
		return &changingStore{Store: s, t: t, from: from, total: n}
	})
	if code := a.main(context.Background(), []string{"migrate", "--from", from, "--to", to}); code == 0 {
		t.Fatalf("migrate while the source changed: exit 0, %q", stderr.String())
	}
	out := stderr.String()
	i := strings.Index(out, "the source changed during the migration")
	if i < 0 || !strings.Contains(out, "\rverifying") {
		t.Fatalf("migrate while the source changed: %q", out)
	}
	if line := out[strings.LastIndexByte(out[:i], '\n')+1 : i]; strings.Contains(line, "verifying") {
		t.Errorf("the error shares the bar's line: %q", out)
	}
}

// TestMigrateErrorNamesTenIDs kills the mutant <= of migrate.go:292: an
// error names the first 10 ids and counts the others.
func TestMigrateErrorNamesTenIDs(t *testing.T) {
	var ids []string
	for i := 1; i <= 12; i++ {
		ids = appendFew(ids, strconv.Itoa(i))
	}
	if got, want := idList(ids, 12), "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 2 more"; got != want {
		t.Errorf("idList of 12 ids = %q, want %q", got, want)
	}
}
