package filestore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// tornStore returns a store of a token file holding python.txt whose wall
// clock stands still at the modification time of the file's current
// version (so that any version looks just written) and whose pauses only
// add up; slept returns their sum since the last call.
func tornStore(t *testing.T) (s *Store, path string, freeze func(age time.Duration), slept func() time.Duration) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "python.txt"))
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), DefaultFile)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = New(path, WithRecheck(0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var total time.Duration
	s.sleep = func(d time.Duration) { total += d }
	freeze = func(age time.Duration) {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		now := fi.ModTime().Add(age)
		s.now = func() time.Time { return now }
	}
	slept = func() time.Duration { d := total; total = 0; return d }
	freeze(0)
	return s, path, freeze, slept
}

// writeInPlace writes data over the file at path in place, as Zoho's SDKs
// do (the same inode).
func writeInPlace(t *testing.T, path string, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTornFileNotCached checks that a read meeting a file that another
// program is rewriting in place (empty, cut inside a line, cut at a line
// end) waits at most settleMax, answers from the last whole version, and
// never caches the torn one; that a finished rewrite is read at once; and
// that a file that stays empty longer than settleWindow is an empty store.
func TestTornFileNotCached(t *testing.T) {
	ctx := t.Context()
	s, path, freeze, slept := tornStore(t)
	q := &zohoauth.Token{UserName: "e@f.com:789"}
	find := func() (*zohoauth.Token, error) { return s.FindToken(ctx, q) }
	if got, err := find(); err != nil || got.ID != "10" {
		t.Fatalf("first read: %v", err)
	}
	if d := slept(); d != 0 {
		t.Fatalf("a whole file was read again after %v", d)
	}
	whole, _ := os.ReadFile(path)
	for _, torn := range []struct{ name, data string }{
		{"empty", ""},
		{"cut in the header", Header[:20]},
		{"cut in a row", string(whole[:len(whole)-7])},
		{"cut at a line end", string(whole[:len(Header)])},
		{"cut in a quoted line break", string(whole[:bytes.Index(whole, []byte("rt\r\n"))+4])},
	} {
		writeInPlace(t, path, torn.data)
		freeze(0)
		for i := range 3 {
			got, err := find()
			if err != nil || got.ID != "10" {
				t.Fatalf("%s, read %d: %v, want the last whole version", torn.name, i, err)
			}
			d := slept()
			if i == 0 && (d == 0 || d > settleMax) {
				t.Fatalf("%s: the read waited %v, want more than 0 and at most %v", torn.name, d, settleMax)
			}
			if i > 0 && d != 0 {
				t.Fatalf("%s: read %d of an unchanged torn file waited %v again", torn.name, i, d)
			}
		}
		if s.snap == nil || s.snap.table == nil || s.snap.table.Len() != 5 {
			t.Fatalf("%s: the torn file was cached", torn.name)
		}
	}

	// The rewrite finishes: read at once.
	writeInPlace(t, path, string(whole[:len(whole)-len("trailing \r\n")])+"TRAILING \r\n")
	freeze(0)
	if got, err := s.FindTokenByID(ctx, "11"); err != nil || got.APIDomain != "TRAILING " {
		t.Fatalf("after the rewrite: %v, %v", got, err)
	}
	if d := slept(); d != 0 {
		t.Fatalf("a finished rewrite was read after %v", d)
	}

	// A file emptied long ago is an empty store.
	writeInPlace(t, path, "")
	freeze(2 * settleWindow)
	if _, err := find(); !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("an old empty file: %v, want ErrNotFound", err)
	}
	if d := slept(); d != 0 {
		t.Fatalf("an old empty file was read again after %v", d)
	}
}

// TestTornFileNotWritten checks that a change never writes back a file
// that another program is rewriting in place: it waits for the file to
// settle, up to settleWindow, and fails with errUnsettled, leaving the file
// as it was; once the file is older than that, it is taken as it is.
func TestTornFileNotWritten(t *testing.T) {
	ctx := t.Context()
	s, path, freeze, slept := tornStore(t)
	if _, err := s.FindTokenByID(ctx, "1"); err != nil {
		t.Fatal(err)
	}
	writeInPlace(t, path, Header[:20])
	freeze(0)
	err := s.DeleteToken(ctx, "1")
	if !errors.Is(err, errUnsettled) || !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: storekit.MsgDeleteTokenFile}) {
		t.Fatalf("DeleteToken on a torn file: %v, want errUnsettled", err)
	}
	if d := slept(); d < settleWindow || d > settleWindow+settleMax {
		t.Fatalf("the change waited %v, want %v to %v", d, settleWindow, settleWindow+settleMax)
	}
	if got, _ := os.ReadFile(path); string(got) != Header[:20] {
		t.Fatalf("the torn file was rewritten: %q", got)
	}

	// A file that lost rows in place is no sign for a change: it is what
	// another program wrote.
	writeInPlace(t, path, Header+"5,u:5,cid,cs,rt5,,,,,\r\n")
	freeze(0)
	if err := s.DeleteToken(ctx, "5"); err != nil {
		t.Fatal(err)
	}
	if d := slept(); d != 0 {
		t.Fatalf("a change of a whole file waited %v", d)
	}
	if got, _ := os.ReadFile(path); string(got) != Header {
		t.Fatalf("file after the delete: %q", got)
	}
}
