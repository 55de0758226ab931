package main

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zohoauth/zohoauth"
)

// hostileName sets the terminal's title (OSC), clears the screen (CSI),
// forges a line (CR LF) and hides text with bidi and C1 controls.
const hostileName = "\x1b]0;pwned\x07ev\x1b[2Jil@example.com\r\nID 99  forged@example.com\u202e\u0085\u009b31m\x7f\xff:42"

// controlFree fails if s holds a control character other than newline
// (and tab, in what tabwriter pads with spaces anyway), a C1 control,
// a bidi override or invalid UTF-8.
func controlFree(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s is not valid UTF-8: %q", what, s)
	}
	for _, r := range s {
		if (r < ' ' && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x2028 || r == 0x2029 {
			t.Errorf("%s holds %U: %q", what, r, s)
			return
		}
	}
}

// list, show and the other commands' messages print stored text with its
// control characters escaped: a hostile user name, client id, redirect URL
// or API domain cannot drive the terminal nor forge a line. JSON output
// escapes them by itself.
func TestTableOutputEscapesControlCharacters(t *testing.T) {
	h := newHarness(t)
	s := h.store()
	tok := &zohoauth.Token{UserName: hostileName, ClientID: "1000.\x1b[31mRED", ClientSecret: "s3cr3t-value", RefreshToken: "1000.refresh-value",
		AccessToken: "1000.access-value", Expiry: t0.Add(-48 * time.Hour), RedirectURL: "http://127.0.0.1/cb\x1b]8;;http://evil\x07",
		APIDomain: "https://www.zohoapis.com\r\nfake: row"}
	if err := s.SaveToken(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"list"}, {"show"}, {"show", "--reveal"}, {"show", "--id", tok.ID},
		{"purge", "--older-than", "1h", "--dry-run"}, {"delete", "--id", tok.ID},
	} {
		r := h.run(args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		controlFree(t, strings.Join(args, " ")+" stdout", r.stdout)
		controlFree(t, strings.Join(args, " ")+" stderr", r.stderr)
		if strings.Contains(r.stdout+r.stderr, "\nID 99") {
			t.Errorf("%v: a forged line: %q", args, r.stdout)
		}
		switch args[0] {
		case "list":
			if n := strings.Count(r.stdout, "\n"); n != 2 {
				t.Errorf("list: %d lines, want a header and one row: %q", n, r.stdout)
			}
			if !strings.Contains(r.stdout, `\x1b]0;pwned\aev\x1b[2J`) {
				t.Errorf("list: the escaped name is not shown: %q", r.stdout)
			}
		case "show":
			if !strings.Contains(r.stdout, `\r\nID 99`) {
				t.Errorf("show: the escaped name is not shown: %q", r.stdout)
			}
		}
	}
}

func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"ada@example.com:7001":   "ada@example.com:7001",
		"josé@exämple.com 東京":    "josé@exämple.com 東京",
		"":                       "",
		"a\x1b[31mb":             `a\x1b[31mb`,
		"a\r\nb\tc":              `a\r\nb\tc`,
		"\x9b\u009b\u202e\u2028": `\x9b\u009b\u202e\u2028`,
		"x\x7fy\x00":             `x\x7fy\x00`,
	} {
		if got := printable(in); got != want {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// An error line that quotes a hostile value is escaped too.
func TestErrorLineEscapesControlCharacters(t *testing.T) {
	h := newHarness(t)
	h.login()
	r := h.run("show", "--user", "\x1b]0;pwned\x07x@example.com")
	if r.code != exitNotFound {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	controlFree(t, "stderr", r.stderr)
	if !strings.Contains(r.stderr, `\x1b]0;pwned\a`) {
		t.Fatalf("stderr %q", r.stderr)
	}
}
