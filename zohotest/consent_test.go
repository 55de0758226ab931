package zohotest_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/zohotest"
)

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func authURL(s *zohotest.Server, mod func(url.Values)) string {
	q := url.Values{
		"scope": {"ZohoCRM.users.READ,ZohoCRM.org.READ"}, "client_id": {clientID}, "response_type": {"code"},
		"access_type": {"offline"}, "redirect_uri": {redirectURI}, "state": {"st-123"}, "prompt": {"consent"},
	}
	if mod != nil {
		mod(q)
	}
	return s.URL + "/oauth/v2/auth?" + q.Encode()
}

var requestRE = regexp.MustCompile(`name="request" value="([^"]+)"`)

// consent opens the consent page and clicks action ("approve" or "deny");
// it returns the redirect's query.
func consent(t *testing.T, s *zohotest.Server, u, action string) url.Values {
	t.Helper()
	resp, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `id="approve"`) {
		t.Fatalf("consent page: %d %s", resp.StatusCode, b)
	}
	m := requestRE.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no request id in %s", b)
	}
	resp, err = noRedirect.PostForm(s.URL+"/oauth/v2/auth/approve", url.Values{"request": {string(m[1])}, "user": {email}, "action": {action}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return redirectQuery(t, resp)
}

func redirectQuery(t *testing.T, resp *http.Response) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirectURI {
		t.Fatalf("redirected to %s", loc)
	}
	return loc.Query()
}

func TestConsentFlow(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{Location: "eu"})
	q := consent(t, s, authURL(s, nil), "approve")
	if q.Get("state") != "st-123" || q.Get("location") != "eu" || q.Get("accounts-server") != s.URL || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	form := exchangeForm(q.Get("code"))
	form.Set("redirect_uri", redirectURI)
	_, m := call(t, "POST", q.Get("accounts-server")+"/oauth/v2/token", form, nil)
	if m["access_token"] == nil || m["refresh_token"] == nil {
		t.Fatalf("exchange: %v", m)
	}
	st := s.Stats()
	if st.ConsentPages != 1 || st.Consents != 1 || st.GrantsIssued != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestConsentRefreshTokenRules(t *testing.T) {
	tests := []struct {
		name        string
		mod         func(url.Values)
		wantRefresh bool
	}{
		{"offline with prompt=consent", nil, true},
		{"offline without prompt, already consented", func(q url.Values) { q.Del("prompt") }, false},
		{"online", func(q url.Values) { q.Set("access_type", "online") }, false},
	}
	s, _ := newServer(t, zohotest.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := consent(t, s, authURL(s, tt.mod), "approve")
			form := exchangeForm(q.Get("code"))
			form.Set("redirect_uri", redirectURI)
			_, m := call(t, "POST", s.URL+"/oauth/v2/token", form, nil)
			if m["access_token"] == nil || (m["refresh_token"] != nil) != tt.wantRefresh {
				t.Errorf("exchange: %v, want refresh token %v", m, tt.wantRefresh)
			}
		})
	}
	// The first consent ever gives a refresh token even without prompt.
	s2, _ := newServer(t, zohotest.Options{})
	q := consent(t, s2, authURL(s2, func(q url.Values) { q.Del("prompt") }), "approve")
	form := exchangeForm(q.Get("code"))
	form.Set("redirect_uri", redirectURI)
	if _, m := call(t, "POST", s2.URL+"/oauth/v2/token", form, nil); m["refresh_token"] == nil {
		t.Errorf("first consent: %v", m)
	}
}

func TestConsentCodeNeedsItsRedirectURI(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{AutoApprove: true})
	for _, ru := range []string{"", "http://127.0.0.1:9999/other"} {
		resp, err := noRedirect.Get(authURL(s, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		q := redirectQuery(t, resp)
		form := exchangeForm(q.Get("code"))
		if ru != "" {
			form.Set("redirect_uri", ru)
		}
		if _, m := call(t, "POST", s.URL+"/oauth/v2/token", form, nil); m["error"] != "invalid_redirect_uri" {
			t.Errorf("redirect_uri %q: %v", ru, m)
		}
	}
}

func TestConsentDeny(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	q := consent(t, s, authURL(s, nil), "deny")
	if q.Get("error") != "access_denied" || q.Get("code") != "" || q.Get("state") != "st-123" {
		t.Errorf("deny redirect %v", q)
	}
}

func TestAutoApprove(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{AutoApprove: true})
	resp, err := noRedirect.Get(authURL(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	q := redirectQuery(t, resp)
	if q.Get("code") == "" || q.Get("location") != "us" || q.Get("accounts-server") != s.URL {
		t.Errorf("auto-approve redirect %v", q)
	}
}

func TestConsentErrors(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{AutoApprove: true})
	pages := []struct {
		name string
		mod  func(url.Values)
	}{
		{"unknown client", func(q url.Values) { q.Set("client_id", "nope") }},
		{"missing client", func(q url.Values) { q.Del("client_id") }},
		{"unregistered redirect uri", func(q url.Values) { q.Set("redirect_uri", "http://evil.example/cb") }},
		{"missing redirect uri", func(q url.Values) { q.Del("redirect_uri") }},
	}
	for _, tt := range pages {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := noRedirect.Get(authURL(s, tt.mod))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(string(b), `id="error"`) {
				t.Errorf("%d %q %s, want an error page", resp.StatusCode, resp.Header.Get("Location"), b)
			}
		})
	}
	redirects := []struct {
		name, want string
		mod        func(url.Values)
	}{
		{"response type token", "unsupported_response_type", func(q url.Values) { q.Set("response_type", "token") }},
		{"no scope", "invalid_scope", func(q url.Values) { q.Del("scope") }},
	}
	for _, tt := range redirects {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := noRedirect.Get(authURL(s, tt.mod))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if q := redirectQuery(t, resp); q.Get("error") != tt.want || q.Get("code") != "" {
				t.Errorf("redirect %v, want error %s", q, tt.want)
			}
		})
	}
	// An unknown or reused consent request is an error page.
	resp, err := noRedirect.PostForm(s.URL+"/oauth/v2/auth/approve", url.Values{"request": {"nope"}, "action": {"approve"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Errorf("unknown request: %d", resp.StatusCode)
	}
}

func TestConsentGrantLimit(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{AutoApprove: true})
	for range zohotest.MaxGrantsPerWindow {
		if _, err := s.IssueGrant(clientID, ""); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := noRedirect.Get(authURL(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if q := redirectQuery(t, resp); q.Get("error") != "access_denied" {
		t.Errorf("redirect %v, want access_denied", q)
	}
}
