package zohotest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/zohotest"
)

// The benchmarks drive the handler in-process (no sockets). Compare each with
// BenchmarkBaseline, a handler that parses the same form and writes a
// constant JSON answer: the ratio is the emulator's own cost.

func BenchmarkBaseline(b *testing.B) {
	answer, _ := json.Marshal(map[string]any{"access_token": "1000.x.y", "api_domain": "http://x", "token_type": "Bearer", "expires_in": 3600})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		_ = r.Form.Get("refresh_token")
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = w.Write(answer)
	})
	body := refreshForm("1000.aaaa.bbbb").Encode()
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, "POST", "/oauth/v2/token", body)
	}
}

func BenchmarkRefresh(b *testing.B) {
	fake := clock.NewFake(t0)
	s := zohotest.NewUnstartedServer(zohotest.Options{Clock: fake})
	h, tok := benchLogin(b, s)
	body := refreshForm(tok["refresh_token"].(string)).Encode()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i++; i%zohotest.MaxRefreshesPerWindow == 0 {
			fake.Advance(zohotest.LimitWindow) // stay under the throttle
		}
		if rec := serve(b, h, "POST", "/oauth/v2/token", body); !strings.Contains(rec.Body.String(), "access_token") {
			b.Fatal(rec.Body.String())
		}
	}
}

func BenchmarkCRMOrgParallel(b *testing.B) {
	s := zohotest.NewUnstartedServer(zohotest.Options{})
	h, tok := benchLogin(b, s)
	header := "Zoho-oauthtoken " + tok["access_token"].(string)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/crm/v8/org", nil)
			req.Header.Set("Authorization", header)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Error(rec.Code)
				return
			}
		}
	})
}

func serve(b *testing.B, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	b.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// benchLogin sets up a client and a user and exchanges a grant code through
// the handler.
func benchLogin(b *testing.B, s *zohotest.Server) (http.Handler, map[string]any) {
	s.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret})
	s.AddUser(zohotest.User{Email: email})
	h := s.Handler()
	code, err := s.IssueGrant(clientID, "")
	if err != nil {
		b.Fatal(err)
	}
	var tok map[string]any
	if err := json.Unmarshal(serve(b, h, "POST", "/oauth/v2/token", exchangeForm(code).Encode()).Body.Bytes(), &tok); err != nil {
		b.Fatal(err)
	}
	return h, tok
}
