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

// TestLifecycleTopTokenDeletedByAnotherProgram is the reuse of an id: a
// program that does not know about lifecycle records (Zoho's SDK, an
// editor) deletes the token with the greatest id from the CSV file, which
// leaves its record; the next token saved takes the same id (the greatest
// plus one, as Zoho's SDKs give it) and must start with no record, not
// inherit the old one's ExhaustedAt, LoginAt and Failures. The other
// records stay. A second insert, with no orphan left, leaves the side file
// as it is (it is not rewritten).
func TestLifecycleTopTokenDeletedByAnotherProgram(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, filestore.WithRecheck(0))
	a := mustSave(t, s, storetest.Token(1, "A"))
	b := mustSave(t, s, storetest.Token(2, "A"))
	for _, id := range []string{a.ID, b.ID} {
		if _, err := s.UpdateLifecycle(ctx, id, func(l *zohoauth.Lifecycle) error { *l = storetest.FullLifecycle(id); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	// Another program deletes b's line, the last of the file, and renames
	// the new file over the old one as an editor does (a rewrite in place
	// that shrinks the file looks torn for a moment, see the package doc).
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.TrimRight(data, "\r\n")
	cut := bytes.LastIndexByte(body, '\n') + 1
	if !bytes.Contains(body[cut:], []byte(b.RefreshToken)) {
		t.Fatalf("the last line of the file is not b's")
	}
	tmp := s.Path() + ".edit"
	if err := os.WriteFile(tmp, data[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, s.Path()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindTokenByID(ctx, b.ID); !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("b is still found after the other program deleted it: %v", err)
	}
	c := mustSave(t, s, storetest.Token(3, "A"))
	if c.ID != b.ID {
		t.Fatalf("the new token has id %s, want %s (the greatest plus one)", c.ID, b.ID)
	}
	if l, err := s.Lifecycle(ctx, c.ID); err != nil || !l.IsZero() {
		t.Fatalf("the new token %s has the record %+v (%v), want none", c.ID, l, err)
	}
	if l, err := s.Lifecycle(ctx, a.ID); err != nil || l.Failures != storetest.FullLifecycle(a.ID).Failures {
		t.Fatalf("a's record changed: %+v, %v", l, err)
	}
	before, err := os.Stat(s.LifecyclePath())
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, storetest.Token(4, "A"))
	after, err := os.Stat(s.LifecyclePath())
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Fatal("an insert with no orphan record rewrote the side file")
	}
}

// TestLifecycleOrphanInBadSideFile checks that a save that creates an id
// whose record is in a side file that cannot be parsed is refused (a
// *ParseError), and writes neither file: the new token would otherwise be
// stored beside a record it must not inherit.
func TestLifecycleOrphanInBadSideFile(t *testing.T) {
	s := newStore(t)
	a := mustSave(t, s, storetest.Token(1, "A"))
	bad := []byte("id,login_at\n2,1\n")
	if err := os.WriteFile(s.LifecyclePath(), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(s.Path())
	var pe *filestore.ParseError
	if err := s.SaveToken(t.Context(), storetest.Token(2, "A")); !errors.As(err, &pe) {
		t.Fatalf("SaveToken of id 2 beside a bad side file holding 2 = %v, want a *ParseError", err)
	}
	if after, _ := os.ReadFile(s.Path()); !bytes.Equal(after, before) {
		t.Fatal("a refused save wrote the token file")
	}
	if after, _ := os.ReadFile(s.LifecyclePath()); !bytes.Equal(after, bad) {
		t.Fatal("a side file that cannot be parsed was rewritten")
	}
	// An update of a stored token does not read the side file.
	mustSave(t, s, &zohoauth.Token{ID: a.ID, AccessToken: "1000.access.again"})
}
