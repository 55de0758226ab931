package zohotest_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/zohotest"
)

func TestRefreshThrottle(t *testing.T) {
	s, fake := newServer(t, zohotest.Options{})
	_, rt := login(t, s)
	for i := range zohotest.MaxRefreshesPerWindow {
		if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil); m["access_token"] == nil {
			t.Fatalf("refresh %d denied: %v", i+1, m)
		}
	}
	// The 11th, and every later one in the same window, is denied with
	// Zoho's exact body and HTTP 200.
	for _, d := range []time.Duration{0, time.Minute, 9*time.Minute - time.Millisecond} {
		fake.Set(t0.Add(d))
		resp, err := http.Post(s.URL+"/oauth/v2/token", "application/x-www-form-urlencoded", strings.NewReader(refreshForm(rt).Encode()))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		const want = `{"error_description":"You have made too many requests continuously. Please try again after some time.","error":"Access Denied","status":"failure"}`
		if resp.StatusCode != 200 || string(b) != want {
			t.Fatalf("at +%v: %d %s, want 200 %s", d, resp.StatusCode, b, want)
		}
	}
	// A new window allows 10 more.
	fake.Set(t0.Add(zohotest.LimitWindow))
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil); m["access_token"] == nil {
		t.Fatalf("refresh in the next window denied: %v", m)
	}
	// The limit is per refresh token: another one is not throttled.
	_, rt2 := login(t, s)
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt2), nil); m["access_token"] == nil {
		t.Fatalf("other refresh token throttled: %v", m)
	}
	st := s.Stats()
	if st.Throttled != 3 || st.Refreshes != zohotest.MaxRefreshesPerWindow+2 {
		t.Errorf("stats %+v", st)
	}
}

func TestActiveAccessTokenLimit(t *testing.T) {
	s, fake := newServer(t, zohotest.Options{})
	first, rt := login(t, s)
	tokens := []string{first}
	// 10 refreshes per window: spread 20 refreshes over 2 windows.
	for i := range 20 {
		if i == 10 {
			fake.Advance(zohotest.LimitWindow)
			// still within the hour, so every token is live
		}
		_, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil)
		if m["access_token"] == nil {
			t.Fatalf("refresh %d: %v", i, m)
		}
		tokens = append(tokens, m["access_token"].(string))
	}
	// 21 tokens made, 15 may live: the 6 oldest are gone.
	for i, at := range tokens {
		status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at))
		want := 200
		if i < len(tokens)-zohotest.MaxActiveAccessTokens {
			want = 401
		}
		if status != want {
			t.Errorf("token %d: status %d, want %d", i, status, want)
		}
	}
	if st := s.Stats(); st.AccessTokensEvicted != 6 || st.ActiveAccessTokens != 15 {
		t.Errorf("stats %+v", st)
	}
}

func TestRefreshTokenLimit(t *testing.T) {
	s, fake := newServer(t, zohotest.Options{})
	var ats, rts []string
	for range zohotest.MaxRefreshTokens + 1 {
		code, err := s.IssueGrant(clientID, "")
		if err != nil {
			t.Fatal(err)
		}
		_, m := call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(code), nil)
		ats = append(ats, m["access_token"].(string))
		rts = append(rts, m["refresh_token"].(string))
		fake.Advance(time.Minute) // stay under the grant-code limit
	}
	// The 21st deleted the oldest refresh token and its access token.
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rts[0]), nil); m["error"] != "invalid_code" {
		t.Errorf("oldest refresh token still works: %v", m)
	}
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(ats[0])); status != 401 {
		t.Errorf("access token of the deleted refresh token: %d", status)
	}
	for i := 1; i < len(rts); i++ {
		if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(ats[i])); status != 200 {
			t.Errorf("access token %d: %d", i, status)
		}
	}
	if st := s.Stats(); st.ActiveRefreshTokens != zohotest.MaxRefreshTokens {
		t.Errorf("stats %+v", st)
	}
}

func TestGrantCodeLimit(t *testing.T) {
	s, fake := newServer(t, zohotest.Options{})
	s.AddClient(zohotest.Client{ID: "other", Secret: "s"})
	for i := range zohotest.MaxGrantsPerWindow {
		fake.Advance(time.Second)
		if _, err := s.IssueGrant(clientID, ""); err != nil {
			t.Fatalf("grant %d: %v", i, err)
		}
	}
	if _, err := s.IssueGrant(clientID, ""); !errors.Is(err, zohotest.ErrThrottled) {
		t.Fatalf("11th grant: %v, want ErrThrottled", err)
	}
	if _, err := s.IssueGrant("other", ""); err != nil {
		t.Fatalf("other client throttled: %v", err)
	}
	// Sliding window: 10 minutes after the first one, one slot is free again.
	fake.Set(t0.Add(zohotest.LimitWindow + time.Second))
	if _, err := s.IssueGrant(clientID, ""); err != nil {
		t.Fatalf("grant after the window: %v", err)
	}
	if _, err := s.IssueGrant(clientID, ""); !errors.Is(err, zohotest.ErrThrottled) {
		t.Fatalf("grant: %v, want ErrThrottled", err)
	}
}

func TestIssueGrantErrors(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	if _, err := s.IssueGrant("nope", ""); !errors.Is(err, zohotest.ErrUnknownClient) {
		t.Errorf("unknown client: %v", err)
	}
	if _, err := s.IssueGrant(clientID, "bob@example.com"); !errors.Is(err, zohotest.ErrUnknownUser) {
		t.Errorf("unknown user: %v", err)
	}
	empty := zohotest.NewServer(zohotest.Options{})
	defer empty.Close()
	empty.AddClient(zohotest.Client{ID: "c"})
	if _, err := empty.IssueGrant("c", ""); !errors.Is(err, zohotest.ErrUnknownUser) {
		t.Errorf("no users: %v", err)
	}
}

func TestRevoke(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	at1, rt := login(t, s)
	_, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil)
	at2 := m["access_token"].(string)
	at3, rt3 := login(t, s)

	// Revoking an access token kills only it.
	status, m := call(t, "POST", s.URL+"/oauth/v2/token/revoke?token="+at3, nil, nil)
	if status != 200 || m["status"] != "success" {
		t.Fatalf("revoke access token: %d %v", status, m)
	}
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at3)); status != 401 {
		t.Errorf("revoked access token: %d", status)
	}
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt3), nil); m["access_token"] == nil {
		t.Errorf("refresh token of a revoked access token: %v", m)
	}

	// Revoking a refresh token kills it and its access tokens; the token may
	// come in the query string or the form body.
	status, m = call(t, "POST", s.URL+"/oauth/v2/token/revoke", mustForm("token", rt), nil)
	if status != 200 || m["status"] != "success" {
		t.Fatalf("revoke refresh token: %d %v", status, m)
	}
	for _, at := range []string{at1, at2} {
		if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at)); status != 401 {
			t.Errorf("access token of revoked refresh token: %d", status)
		}
	}
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil); m["error"] != "invalid_code" {
		t.Errorf("revoked refresh token: %v", m)
	}

	for _, tc := range []struct{ name, method, path string }{
		{"again", "POST", "/oauth/v2/token/revoke?token=" + rt},
		{"unknown", "POST", "/oauth/v2/token/revoke?token=1000.a.b"},
		{"missing", "POST", "/oauth/v2/token/revoke"},
	} {
		if status, m := call(t, tc.method, s.URL+tc.path, nil, nil); status != 400 || m["status"] == "success" {
			t.Errorf("%s: %d %v, want 400", tc.name, status, m)
		}
	}
	if status, _ := call(t, "GET", s.URL+"/oauth/v2/token/revoke?token="+rt3, nil, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("GET revoke: %d", status)
	}
	if st := s.Stats(); st.Revokes != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestExpireAndRevokeAll(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	at, rt := login(t, s)
	s.ExpireAccessTokens()
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at)); status != 401 {
		t.Errorf("expired token: %d", status)
	}
	_, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil)
	at2, _ := m["access_token"].(string)
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at2)); status != 200 {
		t.Errorf("refreshed token: %d", status)
	}
	s.RevokeAll()
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at2)); status != 401 {
		t.Errorf("after RevokeAll: %d", status)
	}
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil); m["error"] != "invalid_code" {
		t.Errorf("refresh after RevokeAll: %v", m)
	}
}

func TestAccessTokenTTL(t *testing.T) {
	s, fake := newServer(t, zohotest.Options{AccessTokenTTL: time.Minute, GrantTTL: time.Second})
	code, _ := s.IssueGrant(clientID, "")
	fake.Advance(time.Second)
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(code), nil); m["error"] != "invalid_code" {
		t.Errorf("code past GrantTTL: %v", m)
	}
	at, _ := login(t, s)
	fake.Advance(time.Minute - time.Millisecond)
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at)); status != 200 {
		t.Errorf("token before TTL: %d", status)
	}
	fake.Advance(time.Millisecond)
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at)); status != 401 {
		t.Errorf("token at TTL: %d", status)
	}
}

func TestRemoveClient(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	at, rt := login(t, s)
	code, _ := s.IssueGrant(clientID, "")
	s.RemoveClient(clientID)
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at)); status != 401 {
		t.Errorf("access token of a removed client: %d", status)
	}
	s.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret})
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil); m["error"] != "invalid_code" {
		t.Errorf("refresh token of a removed client: %v", m)
	}
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(code), nil); m["error"] != "invalid_code" {
		t.Errorf("grant code of a removed client: %v", m)
	}
	if st := s.Stats(); st.ActiveAccessTokens != 0 || st.ActiveRefreshTokens != 0 {
		t.Errorf("stats %+v", st)
	}
}

// loginCode exchanges a grant code of the client for the user and returns
// the refresh token.
func loginCode(t *testing.T, s *zohotest.Server, client, secret, user string) string {
	t.Helper()
	code, err := s.IssueGrant(client, user)
	if err != nil {
		t.Fatal(err)
	}
	form := exchangeForm(code)
	form.Set("client_id", client)
	form.Set("client_secret", secret)
	_, m := call(t, "POST", s.URL+"/oauth/v2/token", form, nil)
	rt, _ := m["refresh_token"].(string)
	if rt == "" {
		t.Fatalf("exchange: %v", m)
	}
	return rt
}

// Zoho's limit of refresh tokens is per user and per client: logins of the
// same user with another client, or of another user with the same client,
// evict nothing; a revoked refresh token frees its place.
func TestRefreshTokenLimitPerUserAndClient(t *testing.T) {
	s, fake := newServer(t, zohotest.Options{})
	s.AddClient(zohotest.Client{ID: "other", Secret: "other-secret"})
	s.AddUser(zohotest.User{Email: "bob@example.com"})
	otherClient := loginCode(t, s, "other", "other-secret", email)
	otherUser := loginCode(t, s, clientID, clientSecret, "bob@example.com")
	var rts []string
	for range zohotest.MaxRefreshTokens {
		fake.Advance(time.Minute) // stay under the grant-code limit
		rts = append(rts, loginCode(t, s, clientID, clientSecret, email))
	}
	if n := s.RefreshTokens(clientID, email); n != zohotest.MaxRefreshTokens {
		t.Fatalf("%d live refresh tokens, want %d", n, zohotest.MaxRefreshTokens)
	}
	// A revoke frees a place: the next login evicts nothing.
	if status, m := call(t, "POST", s.URL+"/oauth/v2/token/revoke?token="+rts[5], nil, nil); status != 200 {
		t.Fatalf("revoke: %d %v", status, m)
	}
	if n := s.RefreshTokens(clientID, email); n != zohotest.MaxRefreshTokens-1 {
		t.Fatalf("%d live refresh tokens after a revoke", n)
	}
	fake.Advance(time.Minute)
	rts = append(rts, loginCode(t, s, clientID, clientSecret, email))
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rts[0]), nil); m["access_token"] == nil {
		t.Fatalf("the oldest refresh token was evicted though a place was free: %v", m)
	}
	// The 21st live one evicts the oldest, and only it.
	fake.Advance(time.Minute)
	rts = append(rts, loginCode(t, s, clientID, clientSecret, email))
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rts[0]), nil); m["error"] != "invalid_code" {
		t.Fatalf("the oldest refresh token survived the 21st: %v", m)
	}
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rts[1]), nil); m["access_token"] == nil {
		t.Fatalf("the second oldest was evicted too: %v", m)
	}
	if n := s.RefreshTokens(clientID, email); n != zohotest.MaxRefreshTokens {
		t.Fatalf("%d live refresh tokens, want %d", n, zohotest.MaxRefreshTokens)
	}
	form := refreshForm(otherClient)
	form.Set("client_id", "other")
	form.Set("client_secret", "other-secret")
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", form, nil); m["access_token"] == nil {
		t.Errorf("the user's refresh token of another client was evicted: %v", m)
	}
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(otherUser), nil); m["access_token"] == nil {
		t.Errorf("another user's refresh token was evicted: %v", m)
	}
	if st := s.Stats(); st.RefreshTokensEvicted != 1 {
		t.Errorf("evicted %d, want 1", st.RefreshTokensEvicted)
	}
}

// The 16th live access token of a refresh token invalidates the oldest,
// whichever grant minted it: the access token of the login counts.
func TestActiveAccessTokenLimitCountsTheLogin(t *testing.T) {
	s, fake := newServer(t, zohotest.Options{})
	first, rt := login(t, s)
	var last string
	for i := range zohotest.MaxActiveAccessTokens - 1 {
		if i == zohotest.MaxRefreshesPerWindow {
			fake.Advance(zohotest.LimitWindow)
		}
		_, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil)
		last, _ = m["access_token"].(string)
		if last == "" {
			t.Fatalf("refresh %d: %v", i, m)
		}
	}
	// 15 live: the login's one still works.
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(first)); status != 200 {
		t.Fatalf("the 1st of 15 live access tokens: %d", status)
	}
	_, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil)
	if m["access_token"] == nil {
		t.Fatal(m)
	}
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(first)); status != 401 {
		t.Fatalf("the oldest access token after the 16th: %d, want 401", status)
	}
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(last)); status != 200 {
		t.Fatalf("a recent access token: %d", status)
	}
}
