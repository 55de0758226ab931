package filestore

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLineBreaks checks that a file written back with the line break parse
// found reads back as the same tokens with the same line break, and that an
// LF file gets no CR from the writer (only from values that hold one).
func FuzzLineBreaks(f *testing.F) {
	lfHeader := strings.Replace(Header, crlf, lf, 1)
	for _, name := range []string{"python.txt", "java.txt", "node.txt", "typescript.txt", "legacy9.txt", "windows-crcrlf.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", Header, lfHeader, strings.TrimSuffix(Header, crlf),
		lfHeader + "1,a,,,,,,,,\n2,\"x\r\ny\",,,,,,,,\n",
		lfHeader + "1,a,,,,,,,,\r\n",
		Header + "1,a,,,,,,,,\n",
		"\n" + lfHeader,
		"\ufeff" + lfHeader + "1,,,,,,,,,",
		strings.Replace(Header, crlf, "\r", 1) + "1,a,,,,,,,,\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tokens, eol, err := parse(data)
		if err != nil {
			return
		}
		if eol != crlf && eol != lf {
			t.Fatalf("line break %q", eol)
		}
		out, err := appendFile(nil, tokens, eol)
		if err != nil {
			t.Fatalf("appendFile of parsed tokens: %v", err)
		}
		again, eol2, err := parse(out)
		if err != nil {
			t.Fatalf("parse of appendFile's output: %v", err)
		}
		if eol2 != eol {
			t.Fatalf("written with %q, read back as %q", eol, eol2)
		}
		want, _ := Marshal(tokens)
		if got, _ := Marshal(again); !bytes.Equal(got, want) {
			t.Fatal("tokens differ after a write with the file's line break")
		}
		if eol == lf {
			var values int
			for _, tok := range tokens {
				for _, v := range []string{tok.UserName, tok.ClientID, tok.ClientSecret, tok.RefreshToken,
					tok.AccessToken, tok.GrantToken, tok.RedirectURL, tok.APIDomain} {
					values += strings.Count(v, "\r")
				}
			}
			if n := bytes.Count(out, []byte("\r")); n != values {
				t.Fatalf("an LF file written with %d CR, its values hold %d", n, values)
			}
		}
	})
}

// FuzzFieldEnd checks fieldEnd, which reads eight bytes at a time, against
// the plain loop over bytes, from every start.
func FuzzFieldEnd(f *testing.F) {
	for _, s := range []string{"", ",", "abc", "abcdefgh,", "abcdefghijklmno\r\n", "\x2c\x2d\x0a\x0b\x0c\x0d\xff\x80",
		"\xac\xad\x8a\x8d,,,", "1000.0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i := 0; i <= len(s); i++ {
			want := i
			for want < len(s) && s[want] != ',' && s[want] != '\r' && s[want] != '\n' {
				want++
			}
			if got := fieldEnd(s, i); got != want {
				t.Fatalf("fieldEnd(%q, %d) = %d, want %d", s, i, got, want)
			}
		}
	})
}
