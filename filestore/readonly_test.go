package filestore_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storekit"
)

// changes are the calls that would write the token file, each with the
// message Zoho's SDK gives its failure.
func changes(t *testing.T, s *filestore.Store) []struct {
	name, msg string
	call      func() error
} {
	ctx := t.Context()
	return []struct {
		name, msg string
		call      func() error
	}{
		{"SaveToken", storekit.MsgSaveTokenFile, func() error { return s.SaveToken(ctx, childToken(2)) }},
		{"SaveTokens", storekit.MsgSaveTokenFile, func() error { return s.SaveTokens(ctx, []*zohoauth.Token{childToken(2)}) }},
		{"SwapToken", storekit.MsgSaveTokenFile, func() error {
			old, err := s.FindTokenByID(ctx, "1")
			if err != nil {
				return err
			}
			return s.SwapToken(ctx, old, &zohoauth.Token{AccessToken: "new"})
		}},
		{"DeleteToken", storekit.MsgDeleteTokenFile, func() error { return s.DeleteToken(ctx, "1") }},
		{"DeleteTokens", storekit.MsgDeleteTokensFile, func() error { return s.DeleteTokens(ctx) }},
		{"UpdateLifecycle", filestore.MsgLifecycle, func() error {
			_, err := s.UpdateLifecycle(ctx, "1", func(l *zohoauth.Lifecycle) error { l.Failures++; return nil })
			return err
		}},
		{"DeleteLifecycle", filestore.MsgLifecycle, func() error { return s.DeleteLifecycle(ctx, "1") }},
		{"Lock", "", func() error {
			lk, err := s.Lock(ctx, "token-1", time.Minute)
			if err == nil {
				_ = lk.Unlock(ctx)
			}
			return err
		}},
	}
}

// TestReadOnlyFileKept checks that a token file without write permission for
// its owner (chmod u-w) is a read-only store: reads work, every change
// fails with an error matching filestore.ErrReadOnly, and the file keeps
// its bytes and its mode. The store goes by the mode bits, so this holds
// for root too, whom the system would let write.
func TestReadOnlyFileKept(t *testing.T) {
	for _, mode := range []fs.FileMode{0o400, 0o440, 0o444, 0o000} {
		t.Run(mode.String(), func(t *testing.T) {
			s := newStore(t)
			mustSave(t, s, childToken(1))
			if err := os.Chmod(s.Path(), mode); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(s.Path())
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range changes(t, s) {
				err := c.call()
				if !errors.Is(err, filestore.ErrReadOnly) {
					t.Errorf("%s on a %v file: %v, want ErrReadOnly", c.name, mode, err)
				}
				if c.msg != "" && !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: c.msg}) {
					t.Errorf("%s: %v, want TOKEN_STORE %q", c.name, err, c.msg)
				}
				if after, _ := os.ReadFile(s.Path()); !bytes.Equal(after, before) {
					t.Fatalf("%s changed a read-only file", c.name)
				}
				if m := fileMode(t, s.Path()); m != mode {
					t.Fatalf("%s changed the file's mode to %v", c.name, m)
				}
			}
			if _, err := os.Stat(s.Path() + filestore.LockDirSuffix); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Lock on a read-only store made the lock directory: %v", err)
			}
			if mode&0o400 != 0 {
				if got, err := s.FindTokenByID(t.Context(), "1"); err != nil || got.ID != "1" {
					t.Fatalf("read of a read-only file: %v", err)
				}
			}

			// Writable again, the store writes again, keeping the mode's
			// other bits (never widening them).
			if err := os.Chmod(s.Path(), mode|0o200); err != nil {
				t.Fatal(err)
			}
			mustSave(t, s, childToken(2))
			if m, want := fileMode(t, s.Path()), (mode|0o200)&0o600; m != want {
				t.Errorf("file made writable again has mode %v after a save, want %v", m, want)
			}
		})
	}
}

// TestStricterModeKept checks that a write never widens the file's mode:
// a file the user made stricter than WithMode keeps its mode, and a wider
// one is narrowed to WithMode.
func TestStricterModeKept(t *testing.T) {
	for _, tc := range []struct {
		with, file, want fs.FileMode
	}{
		{0o640, 0o600, 0o600}, // the user took the group's read away
		{0o640, 0o604, 0o600},
		{0o640, 0o644, 0o640},
		{0o600, 0o640, 0o600},
		{0o600, 0o666, 0o600},
		{0o644, 0o700, 0o600},
	} {
		s := newStore(t, filestore.WithMode(tc.with))
		mustSave(t, s, childToken(1))
		if err := os.Chmod(s.Path(), tc.file); err != nil {
			t.Fatal(err)
		}
		mustSave(t, s, childToken(2))
		if m := fileMode(t, s.Path()); m != tc.want {
			t.Errorf("WithMode(%v), file %v: rewritten with %v, want %v", tc.with, tc.file, m, tc.want)
		}
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestReadOnlyDirectory checks that a token file in a directory without
// write permission for its owner is read without creating anything there
// (no lock file, no lock directory) and that every change fails with
// filestore.ErrReadOnly, creating nothing either. The store goes by the
// directory's mode bits, so this holds for root too.
func TestReadOnlyDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, filestore.DefaultFile)
	if err := os.WriteFile(path, readTestdata(t, "python.txt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
	before := dirNames(t, dir)

	s, err := filestore.New(path)
	if err != nil {
		t.Fatalf("New in a read-only directory: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for range 2 {
		all, err := s.Tokens(t.Context())
		if err != nil || len(all) != len(pythonTokens) {
			t.Fatalf("Tokens in a read-only directory: %d tokens, %v", len(all), err)
		}
	}
	if got, err := s.FindToken(t.Context(), &zohoauth.Token{UserName: "a@b.com:123"}); err != nil || got.ID != "1" {
		t.Fatalf("FindToken in a read-only directory: %v", err)
	}
	for _, c := range changes(t, s) {
		if err := c.call(); !errors.Is(err, filestore.ErrReadOnly) {
			t.Errorf("%s in a read-only directory: %v, want ErrReadOnly", c.name, err)
		}
	}
	if after := dirNames(t, dir); !slices.Equal(after, before) {
		t.Fatalf("the read-only directory changed: %v, was %v", after, before)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, readTestdata(t, "python.txt")) {
		t.Fatal("the token file changed")
	}
}
