package tokenserver_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/tokenserver"
)

// TestDeniedCalls: a missing, malformed, wrong, revoked or expired key is
// 401, a key out of its scope is 403; each is a JSON error, logged with the
// key id and without any secret, and changes nothing in the store nor at
// Zoho.
func TestDeniedCalls(t *testing.T) {
	e := newEnv(t, envOpts{})
	ann := e.login("ann@example.com", clientA, secretA)
	bob := e.login("bob@example.com", clientB, secretB)
	annOnly := e.key(tokenserver.Scope{Users: []string{"ann@example.com"}, Clients: []string{clientA}})
	revoked, rec, _ := e.keys.CreateKey(context.Background(), tokenserver.KeySpec{Name: "old", Scope: tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}}}, time.Now())
	if err := e.keys.RevokeKey(context.Background(), rec.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	expired, _, _ := e.keys.CreateKey(context.Background(), tokenserver.KeySpec{Name: "short", TTL: time.Millisecond, Scope: tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}}}, time.Now().Add(-time.Hour))
	wrong := annOnly[:len(annOnly)-4] + "AAAA"
	if wrong == annOnly {
		wrong = annOnly[:len(annOnly)-4] + "BBBB"
	}

	snap, stats := e.snapshot(), e.emu.Stats()
	tests := []struct {
		name, method, path, key string
		body                    any
		status                  int
		code                    string
	}{
		{"no key", "GET", "/v1/token?user=" + ann.UserName, "", nil, 401, "unauthorized"},
		{"malformed key", "GET", "/v1/token?user=" + ann.UserName, "hello", nil, 401, "unauthorized"},
		{"wrong secret", "GET", "/v1/token?user=" + ann.UserName, wrong, nil, 401, "unauthorized"},
		{"revoked key", "GET", "/v1/token?user=" + ann.UserName, revoked, nil, 401, "key_revoked"},
		{"expired key", "DELETE", "/v1/tokens", expired, nil, 401, "key_expired"},
		{"other user by name", "GET", "/v1/token?user=" + bob.UserName, annOnly, nil, 403, "out_of_scope"},
		{"other user by e-mail", "GET", "/v1/token?user=bob@example.com", annOnly, nil, 403, "out_of_scope"},
		{"other client", "GET", "/v1/token?user=ann@example.com&client_id=" + clientB, annOnly, nil, 403, "out_of_scope"},
		{"find other user", "POST", "/v1/tokens/find", annOnly, map[string]string{"user_name": bob.UserName}, 403, "out_of_scope"},
		{"find other by id", "GET", "/v1/tokens/" + bob.ID, annOnly, nil, 403, "out_of_scope"},
		{"overwrite other", "POST", "/v1/tokens", annOnly, map[string]string{"id": bob.ID, "access_token": "x"}, 403, "out_of_scope"},
		{"move own token to other user", "POST", "/v1/tokens", annOnly, map[string]string{"id": ann.ID, "user_name": bob.UserName}, 403, "out_of_scope"},
		{"save for other user", "POST", "/v1/tokens", annOnly, map[string]string{"user_name": "carl@example.com:1", "client_id": clientA, "access_token": "x"}, 403, "out_of_scope"},
		{"delete other", "DELETE", "/v1/tokens/" + bob.ID, annOnly, nil, 403, "out_of_scope"},
		{"revoke other", "POST", "/v1/revoke", annOnly, map[string]string{"id": bob.ID}, 403, "out_of_scope"},
		{"revoke a client with others' tokens", "POST", "/v1/revoke", annOnly, map[string]string{"client_id": clientB}, 403, "out_of_scope"},
		{"revoked key on the list", "GET", "/v1/tokens", revoked, nil, 401, "key_revoked"},
	}
	for _, tt := range tests {
		a := e.do(tt.method, tt.path, tt.key, tt.body)
		if a.status != tt.status || a.errorCode(t) != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, a.status, a.body, tt.status, tt.code)
		}
		if ct := a.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", tt.name, ct)
		}
	}
	if !sameTokens(snap, e.snapshot()) {
		t.Error("denied calls changed the store")
	}
	if st := e.emu.Stats(); st.TokenRequests != stats.TokenRequests || st.Revokes != stats.Revokes {
		t.Errorf("denied calls reached Zoho: %+v", st)
	}
	// Each denial is logged, with a key id where there is one, and no secret.
	logs := e.logs.String()
	denials := 0
	for line := range strings.Lines(logs) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "zohoauth serve: denied" {
			denials++
		}
	}
	if denials != len(tests) {
		t.Errorf("%d denials logged, want %d", denials, len(tests))
	}
	for _, s := range append(secretsOf(ann, bob), annOnly, wrong, revoked, expired) {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds a secret or a key")
		}
	}
	if !strings.Contains(logs, rec.ID) {
		t.Error("the revoked key's id is not in the log")
	}

	// The key's own user works.
	if a := e.do("GET", "/v1/token?user=ann@example.com", annOnly, nil); a.status != 200 {
		t.Errorf("in scope: %d %s", a.status, a.body)
	}
	// A scoped list and delete-all see only the scope.
	if a := e.do("GET", "/v1/tokens", annOnly, nil); strings.Contains(string(a.body), bob.UserName) {
		t.Errorf("scoped list shows another user: %s", a.body)
	}
	if a := e.do("DELETE", "/v1/tokens", annOnly, nil); a.status != 200 || a.json(t)["deleted"] != float64(1) {
		t.Errorf("scoped delete all: %d %s", a.status, a.body)
	}
	if all := e.snapshot(); len(all) != 1 || all[0].ID != bob.ID {
		t.Errorf("after scoped delete all: %v", all)
	}
}

// TestBadInput: unknown user, malformed JSON, a body over the limit, data
// after the JSON, an unknown field, a wrong method, a bad id: each a clear
// JSON error, nothing changed.
func TestBadInput(t *testing.T) {
	e := newEnv(t, envOpts{cfg: tokenserver.Config{MaxBodyBytes: 1024}})
	e.login("ann@example.com", clientA, secretA)
	snap, stats := e.snapshot(), e.emu.Stats()
	huge := `{"user_name":"` + strings.Repeat("a", 4096) + `"}`
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"unknown user", "GET", "/v1/token?user=nobody@example.com", nil, 404, "not_found"},
		{"unknown full user", "GET", "/v1/token?user=nobody@example.com:1", nil, 404, "not_found"},
		{"no user", "GET", "/v1/token", nil, 400, "missing_parameter"},
		{"malformed JSON", "POST", "/v1/tokens", `{"user_name":`, 400, "malformed_json"},
		{"not an object", "POST", "/v1/tokens/find", `["x"]`, 400, "malformed_json"},
		{"wrong type", "POST", "/v1/tokens", `{"expiry_time":12}`, 400, "malformed_json"},
		{"empty body", "POST", "/v1/tokens", "", 400, "malformed_json"},
		{"trailing data", "POST", "/v1/tokens", `{"user_name":"a:1","access_token":"x"} {}`, 400, "malformed_json"},
		{"unknown field", "POST", "/v1/tokens", `{"user_name":"a:1","access_token":"x","admin":true}`, 400, "malformed_json"},
		{"huge body", "POST", "/v1/tokens", huge, 413, "body_too_large"},
		{"huge revoke", "POST", "/v1/revoke", huge, 413, "body_too_large"},
		{"bad expiry", "POST", "/v1/tokens", `{"user_name":"a:1","access_token":"x","expiry_time":"soon"}`, 400, "malformed_token"},
		{"find with no key", "POST", "/v1/tokens/find", `{"client_id":"x"}`, 400, "malformed_token"},
		{"bad id", "GET", "/v1/tokens/abc", nil, 400, "invalid_id"},
		{"bad id in save", "POST", "/v1/tokens", `{"id":"x1","access_token":"x"}`, 400, "invalid_id"},
		{"wrong method", "POST", "/v1/token?user=x", nil, 405, "method_not_allowed"},
		{"wrong method on tokens", "PUT", "/v1/tokens", "{}", 405, "method_not_allowed"},
		{"wrong method on revoke", "GET", "/v1/revoke", nil, 405, "method_not_allowed"},
		{"no such endpoint", "GET", "/v2/token", nil, 404, "not_found"},
	}
	for _, tt := range tests {
		a := e.do(tt.method, tt.path, e.admin, tt.body)
		if a.status != tt.status || a.errorCode(t) != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, a.status, a.body, tt.status, tt.code)
		}
		if tt.status == 405 && a.header.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", tt.name)
		}
		if strings.Contains(string(a.body), strings.Repeat("a", 100)) {
			t.Errorf("%s: the answer quotes the input", tt.name)
		}
	}
	if !sameTokens(snap, e.snapshot()) {
		t.Error("bad input changed the store")
	}
	if st := e.emu.Stats(); st.TokenRequests != stats.TokenRequests {
		t.Error("bad input reached Zoho")
	}
}

// TestRateLimit: a key over its rate gets 429 with Retry-After; another
// key is not affected; time lets it through again.
func TestRateLimit(t *testing.T) {
	clk := clock.NewFake(time.Now())
	e := newEnv(t, envOpts{cfg: tokenserver.Config{Clock: clk, Rate: 1, Burst: 2}})
	e.login("ann@example.com", clientA, secretA)
	k := e.key(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}})
	for i := range 2 {
		if a := e.do("GET", "/v1/token?user=ann@example.com", k, nil); a.status != 200 {
			t.Fatalf("request %d: %d %s", i, a.status, a.body)
		}
	}
	a := e.do("GET", "/v1/token?user=ann@example.com", k, nil)
	if a.status != 429 || a.errorCode(t) != "rate_limited" || a.header.Get("Retry-After") == "" {
		t.Errorf("over the limit: %d %s", a.status, a.body)
	}
	if a := e.do("GET", "/v1/token?user=ann@example.com", e.admin, nil); a.status != 200 {
		t.Errorf("another key: %d", a.status)
	}
	clk.Advance(time.Second)
	if a := e.do("GET", "/v1/token?user=ann@example.com", k, nil); a.status != 200 {
		t.Errorf("after a second: %d", a.status)
	}
}
