package main

import (
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

func TestParseFlagsAnywhere(t *testing.T) {
	h := newHarness(t)
	a := h.app(nil, nil, nil)
	for _, tt := range []struct {
		args []string
		want []string
		user string
	}{
		{[]string{"GET", "/x", "--user", "u"}, []string{"GET", "/x"}, "u"},
		{[]string{"--user", "u", "GET", "/x"}, []string{"GET", "/x"}, "u"},
		{[]string{"GET", "--user=u", "/x"}, []string{"GET", "/x"}, "u"},
		{[]string{"--", "--user", "-x"}, []string{"--user", "-x"}, ""},
		{[]string{"GET", "--", "--user"}, []string{"GET", "--user"}, ""},
	} {
		c := a.apiCmd()
		err := c.ParseFlags(tt.args)
		user, _ := c.Flags().GetString("user")
		if got := c.Flags().Args(); err != nil || !slices.Equal(got, tt.want) || user != tt.user {
			t.Errorf("parse(%q) = %q, user %q, %v; want %q, user %q", tt.args, got, user, err, tt.want, tt.user)
		}
	}
}

func TestTimeLeft(t *testing.T) {
	now := t0
	for _, tt := range []struct {
		expiry time.Time
		want   string
	}{
		{time.Time{}, "-"},
		{now.Add(59*time.Minute + 12*time.Second), "59m12s"},
		{now.Add(65 * time.Minute), "1h05m"},
		{now.Add(5 * time.Second), "5s"},
		{now.Add(-3 * time.Minute), "expired 3m00s ago"},
		{now.Add(-50 * time.Hour), "expired 2d2h ago"},
	} {
		if got := timeLeft(zohoauth.Token{Expiry: tt.expiry}, now); got != tt.want {
			t.Errorf("timeLeft(%v) = %q, want %q", tt.expiry, got, tt.want)
		}
	}
}

func TestDataCenter(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "",
		"https://www.zohoapis.eu":      "eu",
		"https://sandbox.zohoapis.com": "us/sandbox",
		"https://www.zohoapis.com.au/": "au",
		"http://127.0.0.1:8920":        "127.0.0.1:8920",
		"not a url":                    "not a url",
	} {
		if got := dataCenter(in); got != want {
			t.Errorf("dataCenter(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("a\nb\r\n  c \n"); got != "a b c" || strings.Contains(got, "\n") {
		t.Errorf("oneLine = %q", got)
	}
}

func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"90d", "36h", "1d12h", "45m", "", "d", "-1d", "1dx", "9999999999d", "1d-30h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseAge(s)
		if err == nil && d <= 0 {
			t.Fatalf("parseAge(%q) = %v, nil: not positive", s, d)
		}
	})
}

func FuzzAPIURL(f *testing.F) {
	f.Add("https://www.zohoapis.eu", "/crm/v8/Leads")
	f.Add("http://127.0.0.1:1", "http://127.0.0.1:1/x")
	f.Add("https://www.zohoapis.com", "https://evil.example/x")
	f.Add("", "//evil.example/x")
	f.Fuzz(func(t *testing.T, domain, path string) {
		got, err := apiURL(domain, path)
		if err != nil {
			return
		}
		if domain == "" {
			domain = "https://www.zohoapis.com"
		}
		// The request goes to the token's own API domain, and nowhere else.
		u, err := url.Parse(got)
		base, _ := url.Parse(domain)
		if err != nil || u.Host != base.Host || u.Scheme != base.Scheme {
			t.Fatalf("apiURL(%q, %q) = %q: another host (%v)", domain, path, got, err)
		}
	})
}

// TestDocIsTrue checks that the package doc names every command and every
// flag each command takes, as --help lists them, and that each command's
// usage line names every one of its flags.
func TestDocIsTrue(t *testing.T) {
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src[:strings.Index(string(src), "package main")])
	h := newHarness(t)
	flagRe := regexp.MustCompile(`(?m)^\s+(?:-(\w), )?--([\w-]+)`)
	cmds := subcommands(h.app(nil, nil, nil).rootCmd())
	if len(cmds) < 14 {
		t.Fatalf("only %d commands", len(cmds))
	}
	for _, c := range cmds {
		name := c.Name()
		if !strings.Contains(doc, "// "+name+" ") && !strings.Contains(doc, "// "+name+"\n") {
			t.Errorf("the package doc has no section for %s", name)
		}
		r := h.run(name, "--help")
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: zohoauth "+name) {
			t.Errorf("%s --help: %+v", name, r)
			continue
		}
		usage, _, _ := strings.Cut(r.stdout, "\n")
		matches := flagRe.FindAllStringSubmatch(r.stdout, -1)
		if len(matches) < 2 { // at least --store and --accounts-url
			t.Errorf("%s --help lists %d flags", name, len(matches))
		}
		for _, m := range matches {
			short, long := m[1], m[2]
			if long == "help" {
				continue
			}
			if !strings.Contains(doc, "--"+long) {
				t.Errorf("the package doc does not mention %s's flag --%s", name, long)
			}
			if short != "" && !regexp.MustCompile(`-`+short+`[ |,]`).MatchString(doc) {
				t.Errorf("the package doc does not mention %s's flag -%s", name, short)
			}
			if !strings.Contains(usage, "--"+long) {
				t.Errorf("%s's usage line lacks --%s: %s", name, long, usage)
			}
		}
	}
}

func TestSelectorFindsByFullUserName(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	for _, args := range [][]string{
		{"show", "--user", tok.UserName, "--client-id", testClientID},
		{"show", "--user", tok.UserName},
		{"show", "--user", strings.ToUpper(testEmail)},
	} {
		if r := h.must(args...); !strings.Contains(r.stdout, "id:            "+tok.ID) {
			t.Errorf("%v: %s", args, r.stdout)
		}
	}
	if r := h.run("show", "--user", tok.UserName, "--client-id", "1000.OTHER"); r.code != exitNotFound {
		t.Errorf("another client: %+v", r)
	}
}
