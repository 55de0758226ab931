//go:build unix

package sqlstore_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storetest"
)

// withUmask runs the rest of the test with the process's umask set to mask.
// The umask belongs to the process: tests that call it must not run in
// parallel.
func withUmask(t *testing.T, mask int) {
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

// wantMode fails t unless the file at path has the permission bits want.
func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %v, want %v", filepath.Base(path), got, want)
	}
}

// TestSQLiteFileModes checks that a new database and its -wal and -shm files
// are created 0600 under a umask of 022 (which would give 0644).
func TestSQLiteFileModes(t *testing.T) {
	withUmask(t, 0o022)
	path := filepath.Join(t.TempDir(), "zohooauth.db")
	s := openSQLite(t, path)
	if err := s.SaveToken(t.Context(), storetest.Token(1, "c")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		wantMode(t, p, 0o600)
	}
}

// TestSQLiteTightensWiderFile checks that opening a database whose file
// (and -wal, -shm and -journal files) other users can read makes them
// 0600, and that a stricter mode is kept.
func TestSQLiteTightensWiderFile(t *testing.T) {
	withUmask(t, 0o022)
	dir := t.TempDir()
	path := filepath.Join(dir, "zohooauth.db")
	s := openSQLite(t, path)
	if err := s.SaveToken(t.Context(), storetest.Token(1, "c")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files := []string{path, path + "-wal", path + "-shm", path + "-journal"}
	for _, p := range files {
		if err := os.WriteFile(p, nil, 0o644); err != nil && p != path {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A hot journal would be played back: keep an empty one, which is not.
	openSQLite(t, path)
	for _, p := range files {
		if _, err := os.Stat(p); os.IsNotExist(err) && p == path+"-journal" {
			continue // SQLite removed the empty journal
		}
		wantMode(t, p, 0o600)
	}

	strict := filepath.Join(dir, "strict.db")
	openSQLite(t, strict).Close()
	if err := os.Chmod(strict, 0o400); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlite.Open(t.Context(), strict); err == nil {
		s.Close()
	}
	wantMode(t, strict, 0o400)
}
