package zohoauth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
)

func TestLookupEnvironment(t *testing.T) {
	cases := []struct {
		in       string
		dc       string
		kind     zohoauth.Kind
		accounts string
	}{
		{"us", "us", zohoauth.Production, "https://accounts.zoho.com"},
		{"EU", "eu", zohoauth.Production, "https://accounts.zoho.eu"},
		{"https://www.zohoapis.com", "us", zohoauth.Production, "https://accounts.zoho.com"},
		{"https://sandbox.zohoapis.eu/", "eu", zohoauth.Sandbox, "https://accounts.zoho.eu"},
		{"https://developer.zohoapis.com.au", "au", zohoauth.Developer, "https://accounts.zoho.com.au"},
		{"https://accounts.zohocloud.ca", "ca", zohoauth.Production, "https://accounts.zohocloud.ca"},
		{"https://accounts.zoho.com.cn/oauth/v2/token", "cn", zohoauth.Production, "https://accounts.zoho.com.cn"},
		{"https://accounts.zoho.uk", "uk", zohoauth.Production, "https://accounts.zoho.uk"},
		{"https://www.zohoapis.sa", "sa", zohoauth.Production, "https://accounts.zoho.sa"},
		{"in-sandbox", "in", zohoauth.Sandbox, "https://accounts.zoho.in"},
		{"jp/developer", "jp", zohoauth.Developer, "https://accounts.zoho.jp"},
	}
	for _, c := range cases {
		e, err := zohoauth.LookupEnvironment(c.in)
		if err != nil {
			t.Errorf("LookupEnvironment(%q): %v", c.in, err)
			continue
		}
		if e.DC != c.dc || e.Kind != c.kind || e.AccountsURL != c.accounts {
			t.Errorf("LookupEnvironment(%q) = %+v", c.in, e)
		}
	}
	for _, bad := range []string{"", "xx", "https://www.zohoapis.co", "us-staging", "https://evil.example/https://www.zohoapis.com"} {
		_, err := zohoauth.LookupEnvironment(bad)
		if !errors.Is(err, zohoauth.ErrUnknownEnvironment) || !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeEnvironment}) {
			t.Errorf("LookupEnvironment(%q) = %v, want ErrUnknownEnvironment", bad, err)
		}
	}
}

func TestEnvironments(t *testing.T) {
	envs := zohoauth.Environments()
	if len(envs) != 27 {
		t.Fatalf("%d environments, want 9 data centers × 3", len(envs))
	}
	seen := map[string]bool{}
	for _, e := range envs {
		back, err := zohoauth.LookupEnvironment(e.APIURL)
		if err != nil || back != e {
			t.Errorf("API URL %s looks up as %+v, %v", e.APIURL, back, err)
		}
		if seen[e.String()] {
			t.Errorf("duplicate %s", e)
		}
		seen[e.String()] = true
	}
	us, _ := zohoauth.EnvironmentOf("us", zohoauth.Production)
	if us.TokenURL() != "https://accounts.zoho.com/oauth/v2/token" || us.RevokeURL() != "https://accounts.zoho.com/oauth/v2/token/revoke" || us.AuthURL() != "https://accounts.zoho.com/oauth/v2/auth" {
		t.Errorf("US endpoints: %s %s %s", us.TokenURL(), us.RevokeURL(), us.AuthURL())
	}
	if _, err := zohoauth.EnvironmentOf("us", "staging"); !errors.Is(err, zohoauth.ErrUnknownEnvironment) {
		t.Errorf("EnvironmentOf(us, staging) = %v", err)
	}
}

// Only the https API URLs and accounts servers of the table, and the
// origins the caller allows, are trusted as a token's API domain.
func TestTrustedAPIDomain(t *testing.T) {
	for _, e := range zohoauth.Environments() {
		for _, in := range []string{e.APIURL, e.APIURL + "/", strings.ToUpper(e.APIURL), e.AccountsURL} {
			got, err := zohoauth.TrustedAPIDomain(in)
			if err != nil || !strings.EqualFold(got, strings.TrimSuffix(in, "/")) {
				t.Errorf("TrustedAPIDomain(%q) = %q, %v", in, got, err)
			}
		}
	}
	const emu = "http://127.0.0.1:8920"
	for _, c := range []struct{ in, want string }{
		{"http://127.0.0.1:8920", emu},
		{"http://127.0.0.1:8920/", emu},
		{"HTTP://127.0.0.1:8920", emu},
		{"https://www.zohoapis.eu", "https://www.zohoapis.eu"},
	} {
		if got, err := zohoauth.TrustedAPIDomain(c.in, "https://proxy.example", emu+"/"); err != nil || got != c.want {
			t.Errorf("TrustedAPIDomain(%q, allowed) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{
		"", "https://evil.example", "http://www.zohoapis.com", "https://www.zohoapis.com.evil.example",
		"https://evil.example/https://www.zohoapis.com", "https://www.zohoapis.com@evil.example",
		"https://www.zohoapis.com:x@evil.example", "https://evil.example#@www.zohoapis.com",
		"https://evil.example?@www.zohoapis.com", "https://www.zohoapis.com:443", "https://www.zohoapis.com.",
		"https://www.zohoapis.com/crm", "https://www.zohoapis.com?", "https://www.zohoapis.com#",
		"//www.zohoapis.com", "www.zohoapis.com", "https:www.zohoapis.com", "https:///www.zohoapis.com",
		"https://www.zohoapis.com\\@evil.example", "https://www%2ezohoapis.com", "ftp://www.zohoapis.com",
		" https://www.zohoapis.com", "https://www.zohoapis.com\n", "https://www.zohoapis.com\x00",
		"https://content.zohoapis.com", "https://zohoapis.com", "us", "https://127.0.0.1",
		// allowed origins are matched exactly: scheme, host and port
		"https://127.0.0.1:8920", "http://127.0.0.1:8921", "http://127.0.0.2:8920", "http://localhost:8920",
		"http://127.0.0.1:8920@evil.example", "http://user@127.0.0.1:8920",
	} {
		_, err := zohoauth.TrustedAPIDomain(bad, emu, "not a url", "https://proxy.example/path")
		if !errors.Is(err, zohoauth.ErrUntrustedAPIDomain) || !errors.Is(err, zohoauth.ErrUnknownEnvironment) ||
			!errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeEnvironment}) {
			t.Errorf("TrustedAPIDomain(%q) = %v, want ErrUntrustedAPIDomain", bad, err)
		}
	}
	// An allowed entry that is not a bare origin allows nothing.
	if _, err := zohoauth.TrustedAPIDomain("https://proxy.example", "https://proxy.example/path"); err == nil {
		t.Error("an allowed entry with a path allowed its host")
	}
}
