package zohoauth_test

import (
	"errors"
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
