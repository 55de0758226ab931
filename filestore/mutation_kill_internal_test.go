package filestore

// Tests of unexported helpers, written for mutants of scripts/mutation.sh
// that lived: each names the line it guards.

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

	"github.com/zohoauth/zohoauth"
)

// TestCleanTempsReportsWhatItCannotRemove kills the mutant err == nil of
// atomic.go:91: a leftover temporary it cannot remove (here a non-empty
// directory of that name) is an error, the others are removed all the same,
// and files of other names are left alone.
func TestCleanTempsReportsWhatItCannotRemove(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.csv")
	left := filepath.Join(dir, ".tokens.csv.tmp-1")
	stuck := filepath.Join(dir, ".tokens.csv.tmp-2")
	other := filepath.Join(dir, "tokens.csv.bak")
	for _, f := range []string{path, left, other, filepath.Join(stuck, "x")} {
		if err := os.MkdirAll(filepath.Dir(f), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := cleanTemps(path); err == nil {
		t.Error("cleanTemps = nil with a temporary it cannot remove")
	}
	if _, err := os.Stat(left); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the removable temporary is still there: %v", err)
	}
	for _, f := range []string{path, other} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("cleanTemps removed %s: %v", filepath.Base(f), err)
		}
	}
	if err := os.RemoveAll(stuck); err != nil {
		t.Fatal(err)
	}
	if err := cleanTemps(path); err != nil {
		t.Errorf("cleanTemps with nothing to clean = %v", err)
	}
}

// TestHeaderWidthMessage kills the mutants of csv.go:146 (the older
// format's width in the message): a header of the wrong width names both
// widths a file may have, 10 columns or the older 9.
func TestHeaderWidthMessage(t *testing.T) {
	_, err := header([]string{"id", "user_name", "client_id"}, 1)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 1 || pe.Reason != "header has 3 fields, want 10 (or 9 in the older format)" {
		t.Fatalf("header of 3 fields = %#v", err)
	}
}

// TestHeaderFieldMessage kills the mutant i-1 of csv.go:154: a header
// field that is not the column's name is named by its 1-based position.
func TestHeaderFieldMessage(t *testing.T) {
	fields := []string{"id", "user_name", "client_id", "client_secret", "refresh_token", "access_token", "grant_token", "expiry", "redirect_url", "api_domain"}
	_, err := header(fields, 1)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Reason != "header field 8 is not expiry_time" {
		t.Fatalf("header with expiry for expiry_time = %#v", err)
	}
}

// TestParseCarriageReturnAtEndOfQuotedField kills the mutant <= of
// csv.go:276: a file that ends inside a quoted field right after a
// carriage return is a parse error, not an index out of range.
func TestParseCarriageReturnAtEndOfQuotedField(t *testing.T) {
	data := []byte("id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\n1,\"u\r")
	_, err := Parse(data)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Parse of a file ending in an open quoted field = %v, want a *ParseError", err)
	}
}

// TestSaveOneLongField kills the mutants of csv.go:388 and 389 that
// subtract a field's length from the write buffer's size: a file of one
// token with one long field is written (a negative size would panic) and
// read back whole.
func TestSaveOneLongField(t *testing.T) {
	long := strings.Repeat("x", 4096)
	for _, f := range []struct {
		name string
		set  func(*zohoauth.Token)
	}{
		{"user_name", func(t *zohoauth.Token) { t.UserName = long + "@example.com:1" }},
		{"client_id", func(t *zohoauth.Token) { t.ClientID = long }},
		{"access_token", func(t *zohoauth.Token) { t.AccessToken = long }},
		{"grant_token", func(t *zohoauth.Token) { t.GrantToken = long }},
		{"redirect_url", func(t *zohoauth.Token) { t.RedirectURL = "https://example.com/" + long }},
		{"api_domain", func(t *zohoauth.Token) { t.APIDomain = "https://" + long + ".example.com" }},
	} {
		t.Run(f.name, func(t *testing.T) {
			s, err := New(filepath.Join(t.TempDir(), DefaultFile))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			tok := &zohoauth.Token{RefreshToken: "r"}
			f.set(tok)
			want := tok.Clone()
			if err := s.SaveToken(context.Background(), tok); err != nil {
				t.Fatal(err)
			}
			got, err := s.FindTokenByID(context.Background(), tok.ID)
			want.ID = tok.ID
			if err != nil || *got != *want {
				t.Fatalf("read back %v, %v; want %v", got, err, want)
			}
		})
	}
}

// TestLockFileTakenAfterGiveUpIsReleased kills the mutant of
// filelock.go:42: a lock the background wait takes after its caller gave up
// is released at once, so the next caller gets it.
func TestLockFileTakenAfterGiveUpIsReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.csv.lock")
	release, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	gaveUp, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := lockFile(gaveUp, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lockFile of a held lock = %v, want the deadline", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	// The abandoned wait now takes the lock and must give it back. Our
	// own TryLock may win the race for it first: take it a few times, with
	// a pause (an OS lock has no clock to inject) in which the abandoned
	// wait, woken by the release, takes it.
	for i := range 5 {
		time.Sleep(5 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		again, err := lockFile(ctx, path)
		cancel()
		if err != nil {
			t.Fatalf("lockFile %d after the holder released = %v; the abandoned wait kept the lock", i, err)
		}
		if err := again(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLeaseFreeAtExpiry kills the mutant < of leaselock.go:59: a lease is
// free from the instant it expires, as memory's lock is (its owner's
// Extend fails from that instant).
func TestLeaseFreeAtExpiry(t *testing.T) {
	l := lease{owner: [16]byte{1}, expires: 100}
	for _, c := range []struct {
		now  int64
		free bool
	}{{99, false}, {100, true}, {101, true}} {
		if got := l.free(c.now); got != c.free {
			t.Errorf("lease expiring at 100: free(%d) = %v, want %v", c.now, got, c.free)
		}
	}
	if !(lease{expires: 1 << 62}).free(0) {
		t.Error("a lease without owner is not free")
	}
}

// TestParseCRAtTheEndOfAnOpenQuotedField kills the mutant r.pos-1 of
// csv.go:284: a file that ends with a CR inside a quoted field never
// closed (a torn write) is a ParseError naming the field's line, not an
// index out of range.
func TestParseCRAtTheEndOfAnOpenQuotedField(t *testing.T) {
	for _, data := range []string{
		Header + "1,\"user\r",
		Header + "1,\"user\r\n",
		Header + "\"\r",
	} {
		_, err := Parse([]byte(data))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 2 || !strings.Contains(pe.Reason, "not closed") {
			t.Errorf("Parse(%q) = %v, want a ParseError of line 2: quoted field not closed", data, err)
		}
	}
}

// TestTornFileSettleBoundaries kills the mutants of store.go:704 (>= and
// <= at ±settleWindow: a version changed exactly settleWindow ago, or
// that far in the future, is not recent) and 710 (== '\r': a file that
// grew by a row cut before its line break is unfinished, even when what
// was written parses).
func TestTornFileSettleBoundaries(t *testing.T) {
	ctx := t.Context()
	s, path, freeze, slept := tornStore(t)
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindTokenByID(ctx, "10"); err != nil {
		t.Fatal(err)
	}
	slept()

	// A row being appended: it parses, but has no line break yet.
	writeInPlace(t, path, string(whole)+"12,g@h.com:1,cid,cs,rt12,at12,,1795879420615,,https://www.zoh")
	freeze(0)
	if got, err := s.FindTokenByID(ctx, "12"); !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("a row cut before its line break was read: %v, %v", got, err)
	}
	if d := slept(); d == 0 {
		t.Fatal("a file that grew by an unfinished row was not read again")
	}

	// Emptied exactly settleWindow ago, or stamped that far ahead: not
	// being written, an empty store at once.
	for _, age := range []time.Duration{settleWindow, -settleWindow} {
		writeInPlace(t, path, string(whole))
		freeze(2 * settleWindow)
		if _, err := s.FindTokenByID(ctx, "10"); err != nil {
			t.Fatal(err)
		}
		writeInPlace(t, path, "")
		freeze(age)
		if _, err := s.FindTokenByID(ctx, "10"); !errors.Is(err, zohoauth.ErrNotFound) {
			t.Fatalf("a file emptied %v ago: %v, want ErrNotFound", age, err)
		}
		if d := slept(); d != 0 {
			t.Fatalf("a file emptied %v ago was read again after %v", age, d)
		}
	}
}

// TestHoldsRecordOfSeveralIDs kills the mutants of lifecycle.go:264
// (len(ids) != 1: with several ids, a record of any of them counts, not
// only of the first), 273 (len(data) >= 0: the scan of a side file without
// the ids ends) and 275 (i > 0: an empty line, an operator's edit, ends a
// line like any other).
func TestHoldsRecordOfSeveralIDs(t *testing.T) {
	data := []byte(lifecycleHeader + "\n1,x\n\n22,y\n")
	for _, tc := range []struct {
		ids  []string
		want bool
	}{
		{[]string{"22"}, true},
		{[]string{"2"}, false},
		{[]string{"9", "22"}, true},
		{[]string{"9", "2"}, false},
		{[]string{"22", "9"}, true},
	} {
		if got := holdsRecordOf(data, tc.ids); got != tc.want {
			t.Errorf("holdsRecordOf(%q) = %v, want %v", tc.ids, got, tc.want)
		}
	}
}

// TestLifecycleEmptyLineIsNotTorn kills the mutant i <= 0 of
// lifecycle.go:340: an empty line in the side file is a line with the
// wrong number of fields, not a torn last line.
func TestLifecycleEmptyLineIsNotTorn(t *testing.T) {
	_, err := parseLifecycles([]byte(lifecycleHeader + "\n\n"))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || strings.Contains(pe.Reason, "torn") {
		t.Fatalf("parseLifecycles(header, empty line) = %v, want a ParseError of line 2 that is not a torn write", err)
	}
}

// TestWalkRestartsFromAnotherID kills the mutant w.last != after of
// pager.go:136: a page asked after an id other than where the kept walk
// ended (here the first page again) starts a new walk instead of resuming
// the old one.
func TestWalkRestartsFromAnotherID(t *testing.T) {
	want := walkTokens(10)
	s := walkFile(t, marshal(t, want))
	for i := range 2 {
		page, err := s.TokensAfter(t.Context(), "", 3)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameTokens(page, want[:3]); err != nil {
			t.Fatalf("first page, walk %d: %v", i+1, err)
		}
	}
	page, err := s.TokensAfter(t.Context(), want[2].ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameTokens(page, want[3:6]); err != nil {
		t.Fatalf("second page: %v", err)
	}
}

// TestWalkOfRepeatedIDFails kills the mutant compareOrder(…) > 0 of
// pager.go:242: a file that holds one id twice is not streamed (the walk
// would hand out both tokens); the whole read refuses it.
func TestWalkOfRepeatedIDFails(t *testing.T) {
	tokens := walkTokens(4)
	dup := tokens[2].Clone()
	dup.ID = tokens[1].ID
	data := marshal(t, tokens)
	row := appendRow(nil, dup, crlf)
	i := bytes.Index(data, appendRow(nil, tokens[2], crlf))
	data = append(append(append([]byte{}, data[:i]...), row...), data[i:]...)
	s := walkFile(t, data)
	if page, err := s.TokensAfter(t.Context(), "", 10); err == nil {
		t.Fatalf("TokensAfter of a file with id %s twice = %d tokens, no error", dup.ID, len(page))
	}
}

// TestRowCacheChangesLineBreak kills the mutant c.eol == eol of
// rowcache.go:43: after a file written with CRLF, one written with LF
// copies no CRLF line.
func TestRowCacheChangesLineBreak(t *testing.T) {
	tokens := walkTokens(5)
	var c rowCache
	if got, want := c.file(tokens, crlf), appendRows(nil, tokens, crlf); !bytes.Equal(got, want) {
		t.Fatalf("CRLF file:\n%q\nwant\n%q", got, want)
	}
	if got, want := c.file(tokens, lf), appendRows(nil, tokens, lf); !bytes.Equal(got, want) {
		t.Fatalf("LF file after a CRLF one:\n%q\nwant\n%q", got, want)
	}
}

// TestLifecycleBadTimeNamesItsColumn kills the mutant names[1-i] of
// lifecycle.go:380: a time that is not epoch milliseconds is reported
// with its own column's name.
func TestLifecycleBadTimeNamesItsColumn(t *testing.T) {
	for i, col := range []string{"login_at", "last_used_at", "last_refresh_at", "last_failure_at", "exhausted_at"} {
		f := []string{"1", "", "", "", "", "", "0", "0", `""`}
		f[1+i] = "yesterday"
		_, err := parseLifecycles([]byte(lifecycleHeader + "\n" + strings.Join(f, ",") + "\n"))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != 2 || pe.Column != col {
			t.Errorf("a bad %s: %v, want a ParseError of line 2, column %s", col, err, col)
		}
	}
}

// TestWalkOfUnfinishedFileWaits kills the mutant sc.last != '\r' of
// pager.go:424: a file without its last line break, changed half a second
// ago (past the racy window, inside the settle window), is not streamed:
// the whole read waits for the writer to finish.
func TestWalkOfUnfinishedFileWaits(t *testing.T) {
	want := walkTokens(5)
	data := marshal(t, want)
	path := filepath.Join(t.TempDir(), DefaultFile)
	if err := os.WriteFile(path, data[:len(data)-len(crlf)], 0o600); err != nil {
		t.Fatal(err)
	}
	mtime := time.Now().Add(-settleWindow / 2)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	s, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var slept time.Duration
	s.sleep = func(d time.Duration) { slept += d }
	s.now = func() time.Time { return mtime.Add(settleWindow / 2) }
	page, err := s.TokensAfter(t.Context(), "", 10)
	if err != nil || len(page) != len(want) {
		t.Fatalf("TokensAfter of an unfinished file = %d tokens, %v", len(page), err)
	}
	if slept == 0 {
		t.Fatal("an unfinished file changed within the settle window was streamed at once")
	}
}
