package zohotest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/zohotest"
)

// FuzzTokenEndpoint sends arbitrary form bodies and query strings to the
// token endpoint: every answer is HTTP 200 JSON with either an access_token
// or an error, and a bad request never spends the valid grant code.
func FuzzTokenEndpoint(f *testing.F) {
	for _, seed := range [][2]string{
		{"grant_type=authorization_code&client_id=1000.CLIENTID&client_secret=client-secret-xyz&code=CODE", ""},
		{"grant_type=refresh_token&client_id=1000.CLIENTID&client_secret=client-secret-xyz&refresh_token=x", ""},
		{"", "grant_type=authorization_code&code=CODE"},
		{"%zz&&==;", "a=%"},
		{"grant_type=authorization_code&grant_type=refresh_token", ""},
		{"client_id=1000.CLIENTID&client_id=other&code=CODE&code=CODE", "grant_type=authorization_code"},
	} {
		f.Add(seed[0], seed[1])
	}
	s := zohotest.NewUnstartedServer(zohotest.Options{})
	s.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret})
	s.AddUser(zohotest.User{Email: email})
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body, query string) {
		code, err := s.IssueGrant(clientID, "")
		if err != nil {
			s = zohotest.NewUnstartedServer(zohotest.Options{}) // grant-code limit reached: start afresh
			s.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret})
			s.AddUser(zohotest.User{Email: email})
			h = s.Handler()
			if code, err = s.IssueGrant(clientID, ""); err != nil {
				t.Fatal(err)
			}
		}
		body = strings.ReplaceAll(body, "CODE", code)
		query = strings.ReplaceAll(query, "CODE", code)
		req := httptest.NewRequest("POST", "/oauth/v2/token", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("not JSON: %q", rec.Body.String())
		}
		if (m["access_token"] == nil) == (m["error"] == nil) {
			t.Fatalf("want exactly one of access_token and error: %v", m)
		}
		if m["error"] != nil {
			// The code was not spent by the failed request.
			req := httptest.NewRequest("POST", "/oauth/v2/token", strings.NewReader(exchangeForm(code).Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if !strings.Contains(rec.Body.String(), "access_token") {
				t.Fatalf("grant code lost after a failed request: %s", rec.Body.String())
			}
		}
	})
}
