package filestore_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storekit"
)

func ms(n int64) time.Time { return time.UnixMilli(n) }

// pythonTokens are the tokens of testdata/python.txt, which Python's csv
// module wrote as Zoho's FileStore does.
var pythonTokens = []*zohoauth.Token{
	{ID: "1", UserName: "a@b.com:123", ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt1", AccessToken: "at1", Expiry: ms(1795879420612), RedirectURL: "https://x/cb", APIDomain: "https://www.zohoapis.com"},
	{ID: "2", UserName: "c@d.com:456", ClientID: "cid", ClientSecret: "cs", RefreshToken: `rt,2"q`, AccessToken: "at2", Expiry: ms(1795879420613), APIDomain: "https://www.zohoapis.eu"},
	{ID: "3", ClientID: "1000.CID", ClientSecret: "secret", GrantToken: "1000.grant.code", RedirectURL: "https://x/cb"},
	{ID: "10", UserName: "e@f.com:789", ClientID: "cid2", ClientSecret: "cs2", RefreshToken: "rt\r\nline", AccessToken: " leading space ", Expiry: ms(1795879420614), RedirectURL: "https://x/cb?a=1,b=2", APIDomain: "https://www.zohoapis.in"},
	{ID: "11", UserName: "ü 中文 🚀:1", ClientID: "cid", ClientSecret: "'; DROP TABLE oauthtoken; --", RefreshToken: "r\rcr", AccessToken: "a\nlf", Expiry: ms(-1), RedirectURL: `back\slash \" \\`, APIDomain: "trailing "},
}

// sdkTokens are the tokens of the files of the Java, Node and TypeScript
// SDKs in testdata.
var sdkTokens = []*zohoauth.Token{
	{ID: "1", UserName: "a@b.com:123", ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt1", AccessToken: "at1", Expiry: ms(1795879420612), RedirectURL: "https://x/cb", APIDomain: "https://www.zohoapis.com"},
	{ID: "2", UserName: "c@d.com:456", ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt2", AccessToken: "at2", Expiry: ms(1795879420613), APIDomain: "https://www.zohoapis.eu"},
}

func with(t *zohoauth.Token, change func(*zohoauth.Token)) *zohoauth.Token {
	c := t.Clone()
	change(c)
	return c
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// equalTokens reports the first difference between two token lists, by
// index and field name, without values.
func equalTokens(got, want []*zohoauth.Token) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d tokens, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		for _, f := range []struct {
			name string
			a, b string
		}{
			{"ID", g.ID, w.ID}, {"UserName", g.UserName, w.UserName}, {"ClientID", g.ClientID, w.ClientID},
			{"ClientSecret", g.ClientSecret, w.ClientSecret}, {"RefreshToken", g.RefreshToken, w.RefreshToken},
			{"AccessToken", g.AccessToken, w.AccessToken}, {"GrantToken", g.GrantToken, w.GrantToken},
			{"RedirectURL", g.RedirectURL, w.RedirectURL}, {"APIDomain", g.APIDomain, w.APIDomain},
		} {
			if f.a != f.b {
				return fmt.Errorf("token %d: %s differs", i, f.name)
			}
		}
		if !g.Expiry.Equal(w.Expiry) {
			return fmt.Errorf("token %d: Expiry %s, want %s", i, storekit.FormatExpiry(g.Expiry), storekit.FormatExpiry(w.Expiry))
		}
	}
	return nil
}

// TestParseSDKFiles reads files as each of Zoho's SDKs writes them.
func TestParseSDKFiles(t *testing.T) {
	legacy := []*zohoauth.Token{
		{ID: "1", UserName: "a@b.com", ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt1", AccessToken: "at1", Expiry: ms(1795879420612), RedirectURL: "https://x/cb"},
		{ID: "2", UserName: "c@d.com", ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt2"},
	}
	java := []*zohoauth.Token{sdkTokens[0], with(sdkTokens[1], func(t *zohoauth.Token) { t.RefreshToken = `rt,2"q` })}
	for _, tc := range []struct {
		file string
		want []*zohoauth.Token
	}{
		{"python.txt", pythonTokens},             // CRLF, redirect_uri, QUOTE_MINIMAL
		{"java.txt", java},                       // LF, redirect_url, every field quoted
		{"node.txt", sdkTokens},                  // LF, redirect_url, no quoting
		{"typescript.txt", sdkTokens},            // LF, user_mail
		{"legacy9.txt", legacy},                  // 9 columns, user_mail
		{"windows-crcrlf.txt", pythonTokens[:3]}, // Python's text mode on Windows
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := filestore.Parse(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if err := equalTokens(got, tc.want); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMarshalGolden checks that Marshal writes byte for byte what Python's
// csv module wrote for the same tokens in testdata/python.txt.
func TestMarshalGolden(t *testing.T) {
	got, err := filestore.Marshal(pythonTokens)
	if err != nil {
		t.Fatal(err)
	}
	if want := readTestdata(t, "python.txt"); !bytes.Equal(got, want) {
		t.Fatalf("Marshal wrote\n%q\nwant (Python's csv module)\n%q", got, want)
	}
	empty, err := filestore.Marshal(nil)
	if err != nil || string(empty) != filestore.Header {
		t.Fatalf("Marshal(nil) = %q, %v; want the header", empty, err)
	}
}

func TestMarshalRejects(t *testing.T) {
	tok := pythonTokens[0]
	for name, tokens := range map[string][]*zohoauth.Token{
		"no id":        {with(tok, func(t *zohoauth.Token) { t.ID = "" })},
		"bad id":       {with(tok, func(t *zohoauth.Token) { t.ID = "1a" })},
		"duplicate id": {tok, with(tok, func(t *zohoauth.Token) { t.UserName = "other" })},
	} {
		if _, err := filestore.Marshal(tokens); err == nil {
			t.Errorf("%s: Marshal succeeded", name)
		} else if strings.Contains(err.Error(), tok.ClientSecret) || strings.Contains(err.Error(), tok.RefreshToken) {
			t.Errorf("%s: the error shows a secret: %v", name, err)
		}
	}
}

func TestParseEmpty(t *testing.T) {
	for name, data := range map[string]string{
		"empty":            "",
		"header only":      filestore.Header,
		"header LF":        strings.TrimSuffix(filestore.Header, "\r\n") + "\n",
		"header no break":  strings.TrimSuffix(filestore.Header, "\r\n"),
		"blank lines":      "\r\n\n" + filestore.Header + "\r\n\r\n",
		"BOM":              "\ufeff" + filestore.Header,
		"legacy header":    "id,user_mail,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri\n",
		"java header only": string(readTestdata(t, "java.txt")[:bytes.IndexByte(readTestdata(t, "java.txt"), '\n')+1]),
	} {
		got, err := filestore.Parse([]byte(data))
		if err != nil || len(got) != 0 {
			t.Errorf("%s: Parse = %d tokens, %v; want an empty store", name, len(got), err)
		}
	}
}

const secret = "1000.SECRET-REFRESH-TOKEN"

// TestParseErrors checks that each kind of bad file gives a *ParseError on
// the right line, and that no error shows the content of the file.
func TestParseErrors(t *testing.T) {
	h := filestore.Header
	row := "1,u:1,cid," + secret + "," + secret + ",at,,1795879420612,,\r\n"
	for _, tc := range []struct {
		name   string
		data   string
		line   int
		column string
	}{
		{"too few fields", h + "1,u:1,cid," + secret + "\r\n", 2, ""},
		{"too many fields", h + strings.TrimSuffix(row, "\r\n") + "," + secret + "\r\n", 2, ""},
		{"9 fields under a 10-column header", h + "1,u,cid,cs," + secret + ",at,,1,x\r\n", 2, ""},
		{"unclosed quote", h + row + "2,u:2,cid,\"" + secret + ",at,,,,\r\n", 3, ""},
		{"text after closing quote", h + "1,u:1,cid,\"" + secret + "\"x,rt,at,,,,\r\n", 2, ""},
		{"non-numeric id", h + row + "x" + secret + ",u,c,s,r,a,,,,\r\n", 3, "id"},
		{"empty id", h + ",u,c,s,r,a,,,,\r\n", 2, "id"},
		{"id too long", h + "12345678901,u,c,s,r,a,,,,\r\n", 2, "id"},
		{"duplicate id", h + row + "\r\n" + row, 4, "id"},
		{"bad expiry", h + "1,u,c,s,r,a,,17958794206.5,,\r\n", 2, "expiry_time"},
		{"expiry with secret", h + "1,u,c,s,r,a,," + secret + ",,\r\n", 2, "expiry_time"},
		{"no header", row, 1, ""},
		{"unknown header", strings.Replace(h, "access_token", "token", 1) + row, 1, ""},
		{"short header", "id,user_name\r\n" + row, 1, ""},
		{"binary garbage", "\x00\xff\xfe" + secret + "\x01,\"\x02\n\x03", 1, ""},
		{"line count after quoted break", h + "1,u,c,\"s\r\nx\",r,a,,,,\r\n2,u2,c,s\r\n", 4, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := filestore.Parse([]byte(tc.data))
			var pe *filestore.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v, want a *ParseError", err)
			}
			if pe.Line != tc.line || pe.Column != tc.column {
				t.Errorf("error on line %d column %q, want line %d column %q: %v", pe.Line, pe.Column, tc.line, tc.column, err)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error shows the file's content: %v", err)
			}
		})
	}
}

// randomValue returns a string of the kinds of bytes that trouble CSV.
func randomValue(r *rand.Rand) string {
	parts := []string{"", "a", "Zoho", ",", "\"", "\"\"", "\r", "\n", "\r\n", " ", "\t", "ü", "🚀", "\x00", "\xff", "1000.", "'", "\\", "id"}
	var b strings.Builder
	for range r.IntN(8) {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

// TestRoundTrip checks the property that any tokens Marshal writes, Parse
// reads back unchanged.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 2000 {
		tokens := make([]*zohoauth.Token, r.IntN(5))
		for j := range tokens {
			tok := &zohoauth.Token{
				ID:           fmt.Sprint(j*int(r.Uint32()%1000) + j),
				UserName:     randomValue(r),
				ClientID:     randomValue(r),
				ClientSecret: randomValue(r),
				RefreshToken: randomValue(r),
				AccessToken:  randomValue(r),
				GrantToken:   randomValue(r),
				RedirectURL:  randomValue(r),
				APIDomain:    randomValue(r),
			}
			if r.IntN(4) > 0 {
				tok.Expiry = time.UnixMilli(r.Int64N(1<<45) - 1<<44)
			}
			tokens[j] = tok
		}
		data, err := filestore.Marshal(tokens)
		if err != nil {
			continue // duplicate ids drawn
		}
		got, err := filestore.Parse(data)
		if err != nil {
			t.Fatalf("case %d: Parse of Marshal's output: %v\n%q", i, err, data)
		}
		if err := equalTokens(got, tokens); err != nil {
			t.Fatalf("case %d: %v\n%q", i, err, data)
		}
	}
}

// FuzzParse checks that Parse never panics, that every error is a
// *ParseError on a line of the input, and that what Parse accepts Marshal
// writes and Parse reads back the same.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"python.txt", "java.txt", "node.txt", "typescript.txt", "legacy9.txt", "windows-crcrlf.txt"} {
		f.Add(readTestdata(f, name))
	}
	for _, s := range []string{
		"", filestore.Header, "id\r\n", "\"", "\"\"", "\r", "\n\r\n\r",
		filestore.Header + "1,,,,,,,,,\r\n",
		filestore.Header + "1,\"a\"\"b\",,,,,,,,\r\n2,\"\r\n\",,,,,,,,",
		filestore.Header + "1,a,,,,,,,,\r\n1,b,,,,,,,,\r\n",
		filestore.Header + "1,\"x\"y,,,,,,,,\r\n",
		filestore.Header + "01,a,,,,,,+5,,\r\n",
		strings.Replace(filestore.Header, "\r\n", "\n", 1) + "1,a,,,,,,,,\n2,\"\r\n\",,,,,,,,\n",
		strings.Replace(filestore.Header, "\r\n", "\r", 1) + "1,a,,,,,,,,\r",
		strings.Replace(filestore.Header, "\r\n", "\n", 1) + "1,a,,,,,,,,\r\n2,b,,,,,,,,\n",
		strings.TrimSuffix(filestore.Header, "\r\n"),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tokens, err := filestore.Parse(data)
		if err != nil {
			var pe *filestore.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 1; pe.Line < 1 || pe.Line > lines {
				t.Fatalf("error on line %d of a file of at most %d lines", pe.Line, lines)
			}
			return
		}
		out, err := filestore.Marshal(tokens)
		if err != nil {
			t.Fatalf("Marshal of parsed tokens: %v", err)
		}
		again, err := filestore.Parse(out)
		if err != nil {
			t.Fatalf("Parse of Marshal's output: %v", err)
		}
		if err := equalTokens(again, tokens); err != nil {
			t.Fatal(err)
		}
		if out2, _ := filestore.Marshal(again); !bytes.Equal(out, out2) {
			t.Fatal("Marshal is not stable")
		}
	})
}
