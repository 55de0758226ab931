package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// scanAll reads every token of data with a rowScanner of the given chunk
// size.
func scanAll(data []byte, chunk int) ([]*zohoauth.Token, error) {
	sc := newRowScanner(bytes.NewReader(data), chunk)
	var out []*zohoauth.Token
	for {
		t, err := sc.token()
		if err != nil {
			return nil, err
		}
		if t == nil {
			return out, nil
		}
		out = append(out, t)
	}
}

// FuzzRowScanner checks that the scanner of a walk, whatever its chunk
// size (records, quoted fields and CRLFs cut at every place), reads the
// tokens Parse reads, and fails where Parse fails with the same
// *ParseError (but for ids used twice, which only Parse checks).
func FuzzRowScanner(f *testing.F) {
	for _, name := range []string{"python.txt", "java.txt", "node.txt", "typescript.txt", "legacy9.txt", "windows-crcrlf.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(3))
	}
	for _, s := range []string{
		"", Header, "\ufeff" + Header + "1,a,,,,,,,,\r\n",
		Header + "1,\"a\"\"b\",,,,,,,,\r\n2,\"\r\n\",,,,,,,,",
		Header + "1,\"x\"y,,,,,,,,\r\n", Header + "1,\"open,,,,,,,,\r\n",
		Header + "1,a,,,,,,,,\r\n2,b,,,,,,,\r\n",
		strings.Replace(Header, crlf, "\r", 1) + "1,a,,,,,,,,\r2,b,,,,,,,,\r",
	} {
		for _, chunk := range []uint8{0, 1, 2, 5, 40} {
			f.Add([]byte(s), chunk)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		want, _, perr := parse(data)
		got, serr := scanAll(data, 1+int(chunk%64))
		var pe *ParseError
		switch {
		case perr == nil && serr != nil:
			t.Fatalf("Parse reads the file, the scanner fails: %v", serr)
		case perr == nil:
			if err := sameTokens(got, want); err != nil {
				t.Fatal(err)
			}
		case errors.As(perr, &pe) && strings.HasPrefix(pe.Reason, "id already used"):
			// Only Parse checks that ids are distinct.
		default:
			var se *ParseError
			if !errors.As(serr, &se) || *se != *pe {
				t.Fatalf("Parse fails with %v, the scanner with %v", perr, serr)
			}
		}
	})
}

func sameTokens(got, want []*zohoauth.Token) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d tokens, want %d", len(got), len(want))
	}
	for i := range got {
		if *got[i] != *want[i] {
			return fmt.Errorf("token %d (id %s) differs", i, want[i].ID)
		}
	}
	return nil
}

// walkFile writes data as a token file changed well before now (not
// racy) and returns a new store of it.
func walkFile(t *testing.T, data []byte) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), DefaultFile)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	s, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// walkTokens returns n tokens in the store's id order, with ids of equal
// value ("7", "07") and values that need quotes and span lines.
func walkTokens(n int) []*zohoauth.Token {
	var out []*zohoauth.Token
	for i := 1; len(out) < n; i++ {
		for _, id := range []string{"0" + strconv.Itoa(i), strconv.Itoa(i)} {
			if i%5 != 0 && id[0] == '0' {
				continue
			}
			tk := &zohoauth.Token{ID: id, UserName: fmt.Sprintf("u%s@example.com:%d", id, i), ClientID: "1000.C",
				RefreshToken: "1000.refresh." + id, AccessToken: "1000.access." + id,
				Expiry: time.UnixMilli(1_800_000_000_000 + int64(i)), APIDomain: "https://www.zohoapis.eu"}
			if i%11 == 0 {
				tk.GrantToken = "a \"grant\",\r\nover two lines"
			}
			out = append(out, tk)
		}
	}
	return out[:n]
}

func marshal(t *testing.T, tokens []*zohoauth.Token) []byte {
	t.Helper()
	data, err := Marshal(tokens)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// walkAll walks s with zohoauth.EachPage.
func walkAll(t *testing.T, s *Store, size int) []*zohoauth.Token {
	t.Helper()
	var out []*zohoauth.Token
	if err := zohoauth.EachPage(context.Background(), s, size, func(page []*zohoauth.Token) error {
		out = append(out, page...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWalkStreams checks that a walk of a file in id order reads every
// token once, in order, a page at a time, without loading the file into
// the store, at several page sizes, and from an id in the middle.
func TestWalkStreams(t *testing.T) {
	want := walkTokens(2_500)
	data := marshal(t, want)
	// A file of more than one chunk, with a BOM (the offsets a walk
	// resumes at count it), and with LF line breaks.
	for name, variant := range map[string][]byte{
		"bom": append([]byte("\ufeff"), data...),
		"lf":  []byte(strings.ReplaceAll(string(data), "\r\n", "\n")),
	} {
		if len(variant) <= chunkSize {
			t.Fatalf("%s: a file of %d bytes fits in one chunk", name, len(variant))
		}
		wantv, err := Parse(variant) // the LF file's values hold LF, not CRLF
		if err != nil {
			t.Fatal(err)
		}
		s := walkFile(t, variant)
		if err := sameTokens(walkAll(t, s, 7), wantv); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s.snap != nil {
			t.Errorf("%s: the walk loaded the file into the store", name)
		}
	}
	s := walkFile(t, data)
	for _, size := range []int{1, 7, 1000, 5000} {
		if err := sameTokens(walkAll(t, s, size), want); err != nil {
			t.Fatalf("page size %d: %v", size, err)
		}
	}
	page, err := s.TokensAfter(context.Background(), want[1199].ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameTokens(page, want[1200:1210]); err != nil {
		t.Fatalf("TokensAfter(%s): %v", want[1199].ID, err)
	}
	if s.snap != nil {
		t.Error("the walks loaded the file into the store")
	}
	if s.Close(); s.pager.walk != nil {
		t.Error("Close left a walk open")
	}
}

// TestWalkUnsortedFile checks that a file not in id order (an editor moved
// a line) is paged in id order all the same, loaded whole.
func TestWalkUnsortedFile(t *testing.T) {
	want := walkTokens(300)
	rev := slices.Clone(want)
	slices.Reverse(rev)
	s := walkFile(t, marshal(t, rev))
	if err := sameTokens(walkAll(t, s, 100), want); err != nil {
		t.Fatal(err)
	}
	if s.snap == nil {
		t.Error("an unsorted file was streamed")
	}
}

// TestWalkBadRowMidFile checks that a row that cannot be parsed, after
// pages of good ones, fails the first page already with the *ParseError
// that names its line: a walk hands out nothing of a file it cannot read
// through.
func TestWalkBadRowMidFile(t *testing.T) {
	for name, bad := range map[string]string{
		"torn":          "2501,u@example.com:1,1000.C\r\n",
		"id":            "x1,u@example.com:1,1000.C,,,,,,,\r\n",
		"expiry":        "2501,u@example.com:1,1000.C,,,,,soon,,\r\n",
		"dup":           "2500,u@example.com:1,1000.C,,,,,,,\r\n",
		"unclosed":      "2501,\"u@example.com:1,1000.C,,,,,,,\r\n",
		"after a quote": "2501,\"u\"x,1000.C,,,,,,,\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			good := marshal(t, walkTokens(3_000))
			lines := strings.SplitAfter(string(good), "\r\n")
			line := 0 // the file line of the row at index 2500 of lines
			for _, l := range lines[:2500] {
				line += 1 + strings.Count(strings.TrimSuffix(l, "\r\n"), "\r\n")
			}
			data := strings.Join(lines[:2500], "") + bad + strings.Join(lines[2500:], "")
			_, perr := Parse([]byte(data))
			var want *ParseError
			if !errors.As(perr, &want) {
				t.Fatalf("Parse: %v", perr)
			}
			s := walkFile(t, []byte(data))
			page, err := s.TokensAfter(context.Background(), "", 1000)
			var pe *ParseError
			if !errors.As(err, &pe) || *pe != *want || len(page) != 0 {
				t.Fatalf("TokensAfter: %d tokens, %v; want %v", len(page), err, want)
			}
			if name != "dup" && name != "unclosed" && pe.Line != line+1 {
				t.Errorf("error on line %d, the bad row is on line %d", pe.Line, line+1)
			}
		})
	}
}

// TestWalkAcrossChange checks that a walk that meets a new version of the
// file, written by another store, goes on in that version after the last
// id it returned.
func TestWalkAcrossChange(t *testing.T) {
	want := walkTokens(250)
	s := walkFile(t, marshal(t, want))
	ctx := context.Background()
	first, err := s.TokensAfter(ctx, "", 100)
	if err != nil || len(first) != 100 {
		t.Fatalf("first page: %d tokens, %v", len(first), err)
	}
	other, err := New(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// Change a token of the first page and one of the second, and add one.
	for _, tk := range []*zohoauth.Token{{ID: want[5].ID, AccessToken: "new"}, {ID: want[150].ID, AccessToken: "new"}} {
		if err := other.SaveToken(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	added := &zohoauth.Token{UserName: "added@example.com:1", ClientID: "1000.C", RefreshToken: "r"}
	if err := other.SaveToken(ctx, added); err != nil {
		t.Fatal(err)
	}
	// Not racy: the walk streams the new version too.
	past := time.Now().Add(-time.Minute)
	if err := os.Chtimes(s.Path(), past, past); err != nil {
		t.Fatal(err)
	}
	var rest []*zohoauth.Token
	after := first[len(first)-1].ID
	for {
		page, err := s.TokensAfter(ctx, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, page...)
		if len(page) < 100 {
			break
		}
		after = page[len(page)-1].ID
	}
	if first[5].AccessToken == "new" {
		t.Error("the first page, read before the change, shows it")
	}
	if len(rest) != 151 || rest[50].AccessToken != "new" || rest[150].ID != added.ID {
		t.Errorf("after the change: %d tokens; want the 150 left, one changed, and the new one", len(rest))
	}
	if s.snap != nil {
		t.Error("the walk loaded the file into the store")
	}
}

// TestWalkRacyFile checks that a file changed a moment ago, which a writer
// may still be writing, is read as any read reads it, not streamed.
func TestWalkRacyFile(t *testing.T) {
	want := walkTokens(10)
	s := walkFile(t, marshal(t, want))
	now := time.Now()
	if err := os.Chtimes(s.Path(), now, now); err != nil {
		t.Fatal(err)
	}
	if err := sameTokens(walkAll(t, s, 3), want); err != nil {
		t.Fatal(err)
	}
	if s.snap == nil {
		t.Error("a racy file was streamed")
	}
}

// TestDeleteTokensStreamed checks that DeleteTokens of a file the store
// has not loaded checks it a chunk at a time instead of loading it, keeps
// its line break, and still refuses to rewrite a file it cannot parse.
func TestDeleteTokensStreamed(t *testing.T) {
	ctx := context.Background()
	good := marshal(t, walkTokens(2_500))
	lfFile := []byte(strings.ReplaceAll(string(good), "\r\n", "\n"))
	for name, tc := range map[string]struct {
		data     []byte
		streamed bool
		want     string // the file after DeleteTokens; "" for unchanged, with an error
	}{
		"crlf":     {good, true, Header},
		"lf":       {lfFile, true, strings.Replace(Header, crlf, lf, 1)},
		"unsorted": {marshal(t, reversed(walkTokens(50))), false, Header},
		"bad row":  {[]byte(string(good) + "2501,x\r\n"), false, ""},
	} {
		t.Run(name, func(t *testing.T) {
			s := walkFile(t, tc.data)
			s.mu.Lock()
			streamed := s.unread() != nil
			s.mu.Unlock()
			if streamed != tc.streamed {
				t.Errorf("streamed %v, want %v", streamed, tc.streamed)
			}
			err := s.DeleteTokens(ctx)
			got, _ := os.ReadFile(s.Path())
			switch {
			case tc.want == "":
				var pe *ParseError
				if !errors.As(err, &pe) || !bytes.Equal(got, tc.data) {
					t.Fatalf("DeleteTokens of a bad file: %v; file unchanged %v", err, bytes.Equal(got, tc.data))
				}
			case err != nil || string(got) != tc.want:
				t.Fatalf("DeleteTokens: %v, file %q, want %q", err, got, tc.want)
			}
		})
	}
	// A store that holds the tokens, and a racy file, are not checked again.
	s := walkFile(t, good)
	if _, err := s.Tokens(ctx); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	if s.unread() != nil {
		t.Error("a loaded store read the file for DeleteTokens")
	}
	s.mu.Unlock()
	s = walkFile(t, good)
	now := time.Now()
	if err := os.Chtimes(s.Path(), now, now); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	if s.unread() != nil {
		t.Error("a racy file was streamed for DeleteTokens")
	}
	s.mu.Unlock()
}

func reversed(tokens []*zohoauth.Token) []*zohoauth.Token {
	out := slices.Clone(tokens)
	slices.Reverse(out)
	return out
}
