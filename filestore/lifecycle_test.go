package filestore_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storetest"
)

// TestLifecycleProcesses runs storetest.MultiProcessLifecycle: 4 processes
// of 16 goroutines increment the same records 3 times each, through the
// file lock, and none is lost.
func TestLifecycleProcesses(t *testing.T) {
	opts := processOptions()
	opts.LockRounds = 3
	opts.Check = nil
	opts.Claims = []storetest.Capability{storetest.LifecycleKeeper}
	storetest.MultiProcessLifecycle(t, openFile, opts)
}

// TestLifecycleLeavesZohoFile checks that records live in the side file
// only: the token file keeps its bytes through updates and deletes of
// records, and Zoho's parser still reads it.
func TestLifecycleLeavesZohoFile(t *testing.T) {
	s := newStore(t)
	a := mustSave(t, s, storetest.Token(1, "A"))
	mustSave(t, s, storetest.Token(2, "A"))
	before, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateLifecycle(t.Context(), a.ID, func(l *zohoauth.Lifecycle) error {
		*l = storetest.FullLifecycle(a.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLifecycle(t.Context(), "2"); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(s.Path()); !bytes.Equal(after, before) {
		t.Fatal("a lifecycle update changed the token file")
	}
	if s.LifecyclePath() != s.Path()+filestore.LifecycleSuffix {
		t.Fatalf("LifecyclePath = %s", s.LifecyclePath())
	}
	if m := fileMode(t, s.LifecyclePath()); m != 0o600 {
		t.Fatalf("side file mode %v, want 0600", m)
	}
}

// TestLifecycleHostileIDsWriteNothing checks that ids that would name a
// path or break the file's lines are refused before the lock is taken:
// no side file appears and nothing is created outside the directory.
func TestLifecycleHostileIDsWriteNothing(t *testing.T) {
	s := newStore(t)
	for _, id := range []string{"../../x", "1; DROP TABLE", "1\n2,,,,,,,0,0,\"\"", "1,2"} {
		_, err := s.UpdateLifecycle(t.Context(), id, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil })
		if !errors.Is(err, zohoauth.ErrInvalidID) {
			t.Fatalf("UpdateLifecycle(%q) = %v, want ErrInvalidID", id, err)
		}
	}
	if _, err := os.Stat(s.LifecyclePath()); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("refused updates made the side file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.Path()), "..", "..", "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("an update wrote ../../x: %v", err)
	}
}

// TestLifecycleModeKeptTight checks that the side file is never wider than
// the store's mode: a side file made world-writable (by a careless
// operator, or planted wide) is rewritten 0600, and a stricter one keeps
// its mode.
func TestLifecycleModeKeptTight(t *testing.T) {
	for _, tc := range []struct{ file, want fs.FileMode }{
		{0o666, 0o600}, {0o644, 0o600}, {0o600, 0o600}, {0o200, 0o200},
	} {
		s := newStore(t)
		a := mustSave(t, s, storetest.Token(1, "A"))
		update := func(n int) {
			t.Helper()
			if _, err := s.UpdateLifecycle(t.Context(), a.ID, func(l *zohoauth.Lifecycle) error { l.Failures = n; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		update(1)
		if err := os.Chmod(s.LifecyclePath(), tc.file); err != nil {
			t.Fatal(err)
		}
		update(2)
		if m := fileMode(t, s.LifecyclePath()); m != tc.want {
			t.Errorf("side file %v rewritten with %v, want %v", tc.file, m, tc.want)
		}
	}
}

// TestLifecycleReadOnlySideFile checks that a side file its owner made
// read-only is never written (ErrReadOnly), while reads and token saves
// still work.
func TestLifecycleReadOnlySideFile(t *testing.T) {
	s := newStore(t)
	a := mustSave(t, s, storetest.Token(1, "A"))
	if _, err := s.UpdateLifecycle(t.Context(), a.ID, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(s.LifecyclePath(), 0o400); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(s.LifecyclePath())
	_, err := s.UpdateLifecycle(t.Context(), a.ID, func(l *zohoauth.Lifecycle) error { l.Failures = 2; return nil })
	if !errors.Is(err, filestore.ErrReadOnly) {
		t.Fatalf("UpdateLifecycle on a read-only side file = %v, want ErrReadOnly", err)
	}
	if after, _ := os.ReadFile(s.LifecyclePath()); !bytes.Equal(after, before) {
		t.Fatal("a read-only side file was rewritten")
	}
	if l, err := s.Lifecycle(t.Context(), a.ID); err != nil || l.Failures != 1 {
		t.Fatalf("Lifecycle = %+v, %v", l, err)
	}
	mustSave(t, s, storetest.Token(2, "A"))
}

// TestLifecycleBadSideFileKept checks that a side file that cannot be parsed
// (edited by hand, truncated) is reported with a *ParseError and never
// rewritten, by an update or by the cascade of DeleteToken, which then
// deletes nothing.
func TestLifecycleBadSideFileKept(t *testing.T) {
	s := newStore(t)
	a := mustSave(t, s, storetest.Token(1, "A"))
	bad := []byte("id,login_at\n1,2\n")
	if err := os.WriteFile(s.LifecyclePath(), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	var pe *filestore.ParseError
	if _, err := s.Lifecycle(t.Context(), a.ID); !errors.As(err, &pe) {
		t.Fatalf("Lifecycle on a bad side file = %v, want a *ParseError", err)
	}
	if _, err := s.UpdateLifecycle(t.Context(), a.ID, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil }); !errors.As(err, &pe) {
		t.Fatalf("UpdateLifecycle on a bad side file = %v, want a *ParseError", err)
	}
	if err := s.DeleteToken(t.Context(), a.ID); !errors.As(err, &pe) {
		t.Fatalf("DeleteToken with a bad side file = %v, want a *ParseError", err)
	}
	if after, _ := os.ReadFile(s.LifecyclePath()); !bytes.Equal(after, bad) {
		t.Fatal("a side file that cannot be parsed was rewritten")
	}
	if _, err := s.FindTokenByID(t.Context(), a.ID); err != nil {
		t.Fatalf("DeleteToken deleted the token although its record could not be deleted: %v", err)
	}
}
