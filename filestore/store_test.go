package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storetest"
)

// newStore returns a store of a new file in a temporary directory.
func newStore(t testing.TB, opts ...filestore.Option) *filestore.Store {
	t.Helper()
	s, err := filestore.New(filepath.Join(t.TempDir(), filestore.DefaultFile), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// claims are the capabilities the file store promises; the kit fails a
// claimed one that is missing instead of skipping its checks.
var claims = storetest.Claim(storetest.BatchSaver, storetest.CompareAndSwapper, storetest.Locker, storetest.LockChecker, storetest.Pager, storetest.LifecycleKeeper)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) zohoauth.Store { return newStore(t) }, claims)
}

// TestConformanceRecheckEveryRead runs the kit with the cache checked
// against the file on every read.
func TestConformanceRecheckEveryRead(t *testing.T) {
	storetest.Run(t, func(t *testing.T) zohoauth.Store { return newStore(t, filestore.WithRecheck(0)) }, claims)
}

func mustSave(t *testing.T, s zohoauth.Store, tok *zohoauth.Token) *zohoauth.Token {
	t.Helper()
	if err := s.SaveToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestFileMode(t *testing.T) {
	s := newStore(t)
	mustSave(t, s, childToken(1))
	if m := fileMode(t, s.Path()); m != 0o600 {
		t.Errorf("new file has mode %v, want 0600", m)
	}
	if m := fileMode(t, s.Path()+".lock"); m != 0o600 {
		t.Errorf("lock file has mode %v, want 0600", m)
	}

	// A file another program left readable by all is tightened.
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, childToken(2))
	if m := fileMode(t, s.Path()); m != 0o600 {
		t.Errorf("rewritten 0644 file has mode %v, want 0600", m)
	}

	g := newStore(t, filestore.WithMode(0o640))
	mustSave(t, g, childToken(1))
	if m := fileMode(t, g.Path()); m != 0o640 {
		t.Errorf("WithMode(0640) file has mode %v", m)
	}
}

// TestCorruptFileNeverRewritten checks that every method reports a file it
// cannot parse, naming the line and without its content, and that no write
// touches the file.
func TestCorruptFileNeverRewritten(t *testing.T) {
	s := newStore(t)
	corrupt := filestore.Header + "1,u:1,cid,cs,rt,at,,1795879420612,,\r\n" + "2,u:2,cid,\"" + secret + ",at,,,,\r\n"
	if err := os.WriteFile(s.Path(), []byte(corrupt), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, c := range []struct {
		name, msg string
		call      func() error
	}{
		{"FindToken", storekit.MsgGetTokenFile, func() error { _, err := s.FindToken(ctx, &zohoauth.Token{UserName: "u:1"}); return err }},
		{"FindTokenByID", storekit.MsgGetTokenByIDFile, func() error { _, err := s.FindTokenByID(ctx, "1"); return err }},
		{"Tokens", storekit.MsgGetTokensFile, func() error { _, err := s.Tokens(ctx); return err }},
		{"SaveToken", storekit.MsgSaveTokenFile, func() error { return s.SaveToken(ctx, childToken(3)) }},
		{"DeleteToken", storekit.MsgDeleteTokenFile, func() error { return s.DeleteToken(ctx, "1") }},
		{"DeleteTokens", storekit.MsgDeleteTokensFile, func() error { return s.DeleteTokens(ctx) }},
	} {
		err := c.call()
		var pe *filestore.ParseError
		if !errors.As(err, &pe) || pe.Line != 3 {
			t.Errorf("%s: error %v, want a *ParseError on line 3", c.name, err)
		}
		if !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: c.msg}) {
			t.Errorf("%s: error %v, want TOKEN_STORE %q", c.name, err, c.msg)
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "cid") {
			t.Errorf("%s: the error shows the file's content: %v", c.name, err)
		}
	}
	if got, _ := os.ReadFile(s.Path()); string(got) != corrupt {
		t.Fatal("the store rewrote a file it could not parse")
	}

	// Mended by hand, the file works again.
	if err := os.WriteFile(s.Path(), []byte(filestore.Header), 0o600); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, childToken(1))
}

func filestoreAt(t *testing.T, path string, opts ...filestore.Option) *filestore.Store {
	t.Helper()
	s, err := filestore.New(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func copyTestdata(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), filestore.DefaultFile)
	if err := os.WriteFile(path, readTestdata(t, name), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKeepsZohoFile checks that a save into a file Zoho's Python SDK wrote
// changes only the saved token's line: every other byte stays as Python
// wrote it, so the SDKs read the file as before.
func TestKeepsZohoFile(t *testing.T) {
	path := copyTestdata(t, "python.txt")
	s := filestoreAt(t, path)
	up := &zohoauth.Token{UserName: "a@b.com:123", AccessToken: "at1-new", Expiry: ms(1795879999999)}
	mustSave(t, s, up)
	if up.ID != "1" || up.RefreshToken != "rt1" {
		t.Fatalf("save updated token %s, want 1 merged", up.ID)
	}
	want := bytes.Replace(readTestdata(t, "python.txt"), []byte("rt1,at1,,1795879420612,"), []byte("rt1,at1-new,,1795879999999,"), 1)
	if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
		t.Fatalf("file after save:\n%q\nwant\n%q", got, want)
	}
}

// TestUpgradesLegacyFile checks that the first write turns a 9-column file
// into the 10-column format, with an empty api_domain, and any SDK's header
// into Python's, keeping the file's line breaks (LF in the files of the
// Java, Node and TypeScript SDKs).
func TestUpgradesLegacyFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		lf   bool
	}{{"legacy9.txt", false}, {"java.txt", true}, {"node.txt", true}, {"typescript.txt", true}} {
		name := tc.name
		t.Run(name, func(t *testing.T) {
			path := copyTestdata(t, name)
			s := filestoreAt(t, path)
			before, err := s.Tokens(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			added := mustSave(t, s, childToken(1))
			if added.ID != "3" {
				t.Errorf("new token got id %s, want 3", added.ID)
			}
			data, _ := os.ReadFile(path)
			header := filestore.Header
			if tc.lf {
				header = strings.Replace(header, "\r\n", "\n", 1)
			}
			if !bytes.HasPrefix(data, []byte(header)) {
				t.Fatalf("file does not start with the Python header: %q", data)
			}
			want, _ := filestore.Marshal(append(before, added))
			if tc.lf {
				want = bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n"))
			}
			if !bytes.Equal(data, want) {
				t.Fatalf("file:\n%q\nwant\n%q", data, want)
			}
		})
	}
}

// TestSeesOtherWriters checks that two stores of one file (as two processes
// would have) see each other's writes at once.
func TestSeesOtherWriters(t *testing.T) {
	a := newStore(t)
	b := filestoreAt(t, a.Path())
	ctx := t.Context()
	tok := mustSave(t, a, childToken(1))
	if got, err := b.FindToken(ctx, &zohoauth.Token{UserName: tok.UserName}); err != nil || got.ID != tok.ID {
		t.Fatalf("b does not see a's save: %v", err)
	}
	mustSave(t, b, &zohoauth.Token{UserName: tok.UserName, AccessToken: "new"})
	if got, err := a.FindToken(ctx, &zohoauth.Token{UserName: tok.UserName}); err != nil || got.AccessToken != "new" {
		t.Fatalf("a does not see b's update: %v", err)
	}
	if err := a.DeleteToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.FindTokenByID(ctx, tok.ID); !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("b still finds a deleted token: %v", err)
	}
}

// TestSeesForeignWriters checks that a change made without the lock (by
// Zoho's SDK or an editor) is seen once the recheck interval has passed, and
// at once with WithRecheck(0), even when it keeps the file's size, inode and
// modification time.
func TestSeesForeignWriters(t *testing.T) {
	ctx := t.Context()
	path := copyTestdata(t, "node.txt")
	// Both versions of the file get one modification time, as two writes
	// within one tick of the file system's clock do. It lies in the future
	// so that the store sees it as recent however slow this machine is.
	tick := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := os.Chtimes(path, tick, tick); err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(time.Unix(1e9, 0))
	s := filestoreAt(t, path, filestore.WithClock(fake))
	q := &zohoauth.Token{UserName: "a@b.com:123"}
	if got, err := s.FindToken(ctx, q); err != nil || got.AccessToken != "at1" {
		t.Fatal(got, err)
	}
	rewrite := func() {
		t.Helper()
		data, _ := os.ReadFile(path)
		data = bytes.Replace(data, []byte(",at1,"), []byte(",AT1,"), 1)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0) // in place, as Zoho's SDKs write
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		f.Close()
		// Same size, same inode; put the modification time back as well.
		if err := os.Chtimes(path, tick, tick); err != nil {
			t.Fatal(err)
		}
	}
	rewrite()
	if got, _ := s.FindToken(ctx, q); got.AccessToken != "at1" {
		t.Fatal("read the file again before the recheck interval")
	}
	fake.Advance(filestore.DefaultRecheck)
	if got, _ := s.FindToken(ctx, q); got.AccessToken != "AT1" {
		t.Fatal("a change without the lock is not seen after the recheck interval")
	}

	every := filestoreAt(t, path, filestore.WithRecheck(0))
	if got, _ := every.FindToken(ctx, q); got.AccessToken != "AT1" {
		t.Fatal(got)
	}
	if err := os.WriteFile(path, bytes.Replace(readTestdata(t, "node.txt"), []byte(",at1,"), []byte(",at9,"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _ := every.FindToken(ctx, q); got.AccessToken != "at9" {
		t.Fatal("WithRecheck(0) does not see a change of the same size")
	}
}

func TestRemovesTempFilesOfKilledWriters(t *testing.T) {
	s := newStore(t)
	stale := filepath.Join(filepath.Dir(s.Path()), "."+filestore.DefaultFile+".tmp-12345")
	other := filepath.Join(filepath.Dir(s.Path()), "keep.txt")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mustSave(t, s, childToken(1))
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("a temporary file of a killed writer is left")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("removed another file")
	}
}

// TestLockWaitEndsWithContext checks that a save waiting for a lock held by
// another process gives up when its context ends, changing nothing.
func TestLockWaitEndsWithContext(t *testing.T) {
	s := newStore(t)
	mustSave(t, s, childToken(1))
	before, _ := os.ReadFile(s.Path())
	held := flock.New(s.Path() + ".lock")
	if err := held.Lock(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := s.SaveToken(ctx, childToken(2))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: storekit.MsgSaveTokenFile}) {
		t.Fatalf("SaveToken under a held lock = %v, want the deadline", err)
	}
	if after, _ := os.ReadFile(s.Path()); !bytes.Equal(before, after) {
		t.Fatal("the file changed")
	}
	// Reads need no lock.
	if _, err := s.FindTokenByID(t.Context(), "1"); err != nil {
		t.Fatal(err)
	}
	if err := held.Unlock(); err != nil {
		t.Fatal(err)
	}
	mustSave(t, s, childToken(2))
}

func TestMissingDirectory(t *testing.T) {
	if _, err := filestore.New(filepath.Join(t.TempDir(), "no", "such", "dir", filestore.DefaultFile)); err == nil {
		t.Fatal("New in a missing directory succeeded")
	}
}

// TestDeleteTokensWritesHeader checks that deleting every token leaves the
// header, as Zoho's SDKs do.
func TestDeleteTokensWritesHeader(t *testing.T) {
	path := copyTestdata(t, "python.txt")
	s := filestoreAt(t, path)
	if err := s.DeleteTokens(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != filestore.Header {
		t.Fatalf("file after DeleteTokens: %q", got)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := filestore.New("")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Path() != filestore.DefaultFile {
		t.Fatalf("Path() = %q", s.Path())
	}
	mustSave(t, s, childToken(1))
	if _, err := os.Stat(filestore.DefaultFile); err != nil {
		t.Fatal(err)
	}
}

// TestFailedWriteChangesNothing checks that a save whose write fails leaves
// the caller's token as it was and the store's view at the file.
func TestFailedWriteChangesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tokens")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := filestoreAt(t, filepath.Join(dir, filestore.DefaultFile), filestore.WithRecheck(0))
	mustSave(t, s, childToken(1))
	if err := os.RemoveAll(dir); err != nil { // now no file can be written there
		t.Fatal(err)
	}
	for name, save := range map[string]func(*zohoauth.Token) error{
		"SaveToken":  func(tok *zohoauth.Token) error { return s.SaveToken(t.Context(), tok) },
		"SaveTokens": func(tok *zohoauth.Token) error { return s.SaveTokens(t.Context(), []*zohoauth.Token{tok}) },
	} {
		tok := childToken(2)
		err := save(tok)
		if !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: storekit.MsgSaveTokenFile}) {
			t.Fatalf("%s into a removed directory: %v", name, err)
		}
		if tok.ID != "" {
			t.Errorf("%s failed but gave the token id %s", name, tok.ID)
		}
		if all, err := s.Tokens(t.Context()); err != nil || len(all) != 0 {
			t.Errorf("%s failed; the store holds %d tokens (%v), want the file's 0", name, len(all), err)
		}
	}
}

// TestSaveTokensWritesOnce checks that a batch is one atomic rewrite.
func TestSaveTokensWritesOnce(t *testing.T) {
	s := newStore(t)
	batch := []*zohoauth.Token{childToken(1), childToken(2), childToken(3)}
	if err := s.SaveTokens(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(s.Path())
	tokens, err := filestore.Parse(data)
	if err != nil || len(tokens) != 3 || batch[2].ID != "3" {
		t.Fatalf("file holds %d tokens (%v), last id %q", len(tokens), err, batch[2].ID)
	}
}

// TestSymlinkKept checks that a token file reached through a symbolic link
// is replaced where the link points, and the link stays.
func TestSymlinkKept(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real-tokens.txt")
	link := filepath.Join(dir, filestore.DefaultFile)
	if err := os.WriteFile(target, readTestdata(t, "python.txt"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	s := filestoreAt(t, link)
	mustSave(t, s, childToken(1))
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	data, _ := os.ReadFile(target)
	if tokens, err := filestore.Parse(data); err != nil || len(tokens) != len(pythonTokens)+1 {
		t.Fatalf("target holds %d tokens (%v)", len(tokens), err)
	}
}

// TestSwapOneWinnerTwoStores races swaps from one read over two stores on
// the same file: two processes.
func TestSwapOneWinnerTwoStores(t *testing.T) {
	a := newStore(t)
	b, err := filestore.New(a.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	storetest.SwapOneWinner(t, a, b)
}
