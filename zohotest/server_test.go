package zohotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/zohotest"
)

const (
	clientID     = "1000.CLIENTID"
	clientSecret = "client-secret-xyz"
	redirectURI  = "http://127.0.0.1:9999/callback"
	email        = "ann@example.com"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newServer starts an emulator with a fake clock, one client and one user.
func newServer(t testing.TB, opts zohotest.Options) (*zohotest.Server, *clock.Fake) {
	t.Helper()
	fake := clock.NewFake(t0)
	if opts.Clock == nil {
		opts.Clock = fake
	}
	s := zohotest.NewServer(opts)
	t.Cleanup(s.Close)
	s.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret, RedirectURIs: []string{redirectURI}})
	s.AddUser(zohotest.User{Email: email, ZGID: "700", OrgID: "800", UserID: "900"})
	return s, fake
}

// call sends a request and decodes a JSON answer (nil when the body is empty).
func call(t testing.TB, method, u string, form url.Values, header http.Header) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return resp.StatusCode, nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: body is not JSON: %q", method, u, b)
	}
	return resp.StatusCode, m
}

func exchangeForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "client_secret": {clientSecret}, "code": {code}}
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID}, "client_secret": {clientSecret}, "refresh_token": {rt}}
}

// login exchanges a fresh self-client grant code and returns the tokens.
func login(t testing.TB, s *zohotest.Server) (access, refresh string) {
	t.Helper()
	code, err := s.IssueGrant(clientID, "", "ZohoCRM.users.READ", "ZohoCRM.org.READ")
	if err != nil {
		t.Fatal(err)
	}
	status, m := call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(code), nil)
	if status != 200 || m["access_token"] == nil || m["refresh_token"] == nil {
		t.Fatalf("exchange: %d %v", status, m)
	}
	return m["access_token"].(string), m["refresh_token"].(string)
}

func auth(tok string) http.Header {
	return http.Header{"Authorization": {"Zoho-oauthtoken " + tok}}
}

func TestGrantExchangeAndRefresh(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	code, err := s.IssueGrant(clientID, email, "ZohoCRM.users.READ")
	if err != nil {
		t.Fatal(err)
	}
	status, m := call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(code), nil)
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	for _, k := range []string{"access_token", "refresh_token"} {
		v, _ := m[k].(string)
		if !strings.HasPrefix(v, "1000.") || len(v) != 5+32+1+32 {
			t.Errorf("%s = %q, want 1000.<hex>.<hex>", k, v)
		}
	}
	if m["api_domain"] != s.URL || m["token_type"] != "Bearer" || m["expires_in"] != float64(3600) {
		t.Errorf("answer %v", m)
	}
	if _, ok := m["expires_in_sec"]; ok {
		t.Errorf("expires_in_sec in the current shape: %v", m)
	}
	rt := m["refresh_token"].(string)

	status, m = call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil)
	if status != 200 || m["access_token"] == nil || m["expires_in"] != float64(3600) {
		t.Fatalf("refresh: %d %v", status, m)
	}
	if _, ok := m["refresh_token"]; ok {
		t.Errorf("refresh answer carries a refresh_token: %v", m)
	}
	st := s.Stats()
	if st.GrantExchanges != 1 || st.Refreshes != 1 || st.TokenRequests != 2 || st.Errors != 0 {
		t.Errorf("stats %+v", st)
	}
	if st.ActiveAccessTokens != 2 || st.ActiveRefreshTokens != 1 {
		t.Errorf("gauges %+v", st)
	}
}

func TestQueryStringParameters(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	code, _ := s.IssueGrant(clientID, "")
	status, m := call(t, "POST", s.URL+"/oauth/v2/token?"+exchangeForm(code).Encode(), nil, nil)
	if status != 200 || m["refresh_token"] == nil {
		t.Fatalf("query-string exchange: %d %v", status, m)
	}
	status, m = call(t, "POST", s.URL+"/oauth/v2/token?"+refreshForm(m["refresh_token"].(string)).Encode(), nil, nil)
	if status != 200 || m["access_token"] == nil {
		t.Fatalf("query-string refresh: %d %v", status, m)
	}
}

func TestLegacyExpiresIn(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{LegacyExpiresIn: true})
	code, _ := s.IssueGrant(clientID, "")
	_, m := call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(code), nil)
	if m["expires_in"] != float64(3600000) || m["expires_in_sec"] != float64(3600) {
		t.Errorf("legacy shape: %v", m)
	}
}

func TestTokenErrors(t *testing.T) {
	s, fake := newServer(t, zohotest.Options{})
	s.AddClient(zohotest.Client{ID: "other", Secret: "other-secret"})
	_, rt := login(t, s)
	used, _ := s.IssueGrant(clientID, "")
	call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(used), nil)
	expired, _ := s.IssueGrant(clientID, "")
	otherCode, _ := s.IssueGrant("other", "")
	fake.Advance(3*time.Minute + time.Millisecond)
	valid, _ := s.IssueGrant(clientID, "")

	with := func(f url.Values, k, v string) url.Values {
		g := url.Values{}
		for kk, vv := range f {
			g[kk] = vv
		}
		if v == "" {
			g.Del(k)
		} else {
			g.Set(k, v)
		}
		return g
	}
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"wrong client id", with(exchangeForm(valid), "client_id", "1000.NOPE"), "invalid_client"},
		{"missing client id", with(exchangeForm(valid), "client_id", ""), "invalid_client"},
		{"wrong secret", with(exchangeForm(valid), "client_secret", "nope"), "invalid_client_secret"},
		{"missing secret", with(exchangeForm(valid), "client_secret", ""), "invalid_client_secret"},
		{"reused code", exchangeForm(used), "invalid_code"},
		{"expired code", exchangeForm(expired), "invalid_code"},
		{"unknown code", exchangeForm("1000.abc.def"), "invalid_code"},
		{"missing code", with(exchangeForm(valid), "code", ""), "invalid_code"},
		{"code of another client", exchangeForm(otherCode), "invalid_code"},
		{"redirect uri not registered", with(exchangeForm(valid), "redirect_uri", "http://evil/"), "invalid_redirect_uri"},
		{"unknown refresh token", refreshForm("1000.aaa.bbb"), "invalid_code"},
		{"missing refresh token", with(refreshForm(rt), "refresh_token", ""), "invalid_code"},
		{"refresh wrong secret", with(refreshForm(rt), "client_secret", "x"), "invalid_client_secret"},
		{"refresh wrong client", with(refreshForm(rt), "client_id", "other"), "invalid_client_secret"},
		{"missing grant type", with(exchangeForm(valid), "grant_type", ""), "unsupported_grant_type"},
		{"unknown grant type", with(exchangeForm(valid), "grant_type", "password"), "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, m := call(t, "POST", s.URL+"/oauth/v2/token", tt.form, nil)
			if status != 200 {
				t.Errorf("status %d, want 200 as Zoho", status)
			}
			if m["error"] != tt.want || m["access_token"] != nil {
				t.Errorf("answer %v, want error %q", m, tt.want)
			}
		})
	}
	// After all those errors the valid code still works once.
	status, m := call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(valid), nil)
	if status != 200 || m["access_token"] == nil {
		t.Fatalf("valid code after errors: %v", m)
	}
	if got := s.Stats().Errors; got != len(tests) {
		t.Errorf("Errors = %d, want %d", got, len(tests))
	}
}

func TestCRMUsersAndOrg(t *testing.T) {
	s, fake := newServer(t, zohotest.Options{})
	at, _ := login(t, s)

	status, m := call(t, "GET", s.URL+"/crm/v8/users?type=CurrentUser", nil, auth(at))
	if status != 200 {
		t.Fatalf("users: %d %v", status, m)
	}
	users := m["users"].([]any)
	u := users[0].(map[string]any)
	if len(users) != 1 || u["email"] != email || u["id"] != "900" {
		t.Errorf("users: %v", m)
	}
	status, m = call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at))
	if status != 200 {
		t.Fatalf("org: %d %v", status, m)
	}
	org := m["org"].([]any)[0].(map[string]any)
	if org["zgid"] != "700" || org["id"] != "800" {
		t.Errorf("org: %v", m)
	}

	fake.Advance(time.Hour)
	tests := []struct {
		name   string
		header http.Header
		code   string
	}{
		{"expired token", auth(at), "INVALID_TOKEN"},
		{"unknown token", auth("1000.x.y"), "INVALID_TOKEN"},
		{"bearer scheme", http.Header{"Authorization": {"Bearer " + at}}, "AUTHENTICATION_FAILURE"},
		{"no header", nil, "AUTHENTICATION_FAILURE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/crm/v8/users?type=CurrentUser", "/crm/v8/org", "/crm/v8/Leads?fields=Last_Name"} {
				status, m := call(t, "GET", s.URL+path, nil, tt.header)
				if status != 401 || m["code"] != tt.code || m["status"] != "error" {
					t.Errorf("%s: %d %v, want 401 %s", path, status, m, tt.code)
				}
			}
		})
	}
	if st := s.Stats(); st.CRMRequests != 2+3*len(tests) || st.Unauthorized != 3*len(tests) {
		t.Errorf("stats %+v", st)
	}
}

func TestInvalidTokenBodyIsZohos(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	req, _ := http.NewRequest("GET", s.URL+"/crm/v8/org", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken 1000.bad.bad")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	const want = `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`
	if resp.StatusCode != 401 || string(b) != want {
		t.Errorf("got %d %s, want 401 %s", resp.StatusCode, b, want)
	}
}

func TestEnvironment(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	env := s.Environment()
	if env.DC != "us" || env.Kind != "production" || env.APIURL != s.URL || env.AccountsURL != s.URL || env.FileUploadURL != s.URL {
		t.Errorf("environment %+v", env)
	}
	if env.TokenURL() != s.URL+"/oauth/v2/token" {
		t.Errorf("token URL %s", env.TokenURL())
	}
}

func mustForm(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}
