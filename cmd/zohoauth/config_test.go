package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreConfigErrorsExitUsage checks that a store that cannot work as
// configured exits 2 and says what to fix, rather than 5 ("try again
// later").
func TestStoreConfigErrorsExitUsage(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	// An empty file is a SQLite database: list opens it (a missing one it
	// would not create).
	if err := os.WriteFile(filepath.Join(dir, "z.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ url, want string }{
		{"sqlite:" + filepath.Join(dir, "z.db") + "?table=sqlite_master", "?table=NAME"},
		{"sqlite:" + dir, "not a directory"},
		{"sqlite:" + garbage, "not a SQLite database"},
		{"postgres://u:hunter2@127.0.0.1:1/db?sslmode=bogus", "sslmode is invalid"},
		{"mysql:root:hunter2@tcp(127.0.0.1:1/test", "fix the connection string"},
		{"mysql://root@127.0.0.1:1/db?table=staging;x", `bad query parameter "table"`},
		{"redis://127.0.0.1:1/0?foo=bar", "unknown parameter foo"},
	} {
		r := h.run("list", "--store", tt.url)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("--store %s: exit %d, stderr %q; want %d and %q", tt.url, r.code, r.stderr, exitUsage, tt.want)
		}
		if strings.Contains(r.stderr, "hunter2") {
			t.Errorf("the password shows: %s", r.stderr)
		}
	}
}
