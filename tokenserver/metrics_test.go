package tokenserver_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/tokenserver"
)

// scrape reads /metrics with key (none when empty) in Prometheus's text
// format, and parses it.
func (e *env) scrape(key string) (map[string]*dto.MetricFamily, string) {
	e.t.Helper()
	a := e.do("GET", "/metrics", key, nil)
	if a.status != http.StatusOK {
		e.t.Fatalf("GET /metrics: %d %s", a.status, a.body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(a.body))
	if err != nil {
		e.t.Fatalf("GET /metrics: not Prometheus text: %v\n%s", err, a.body)
	}
	return fams, string(a.body)
}

// value returns the value of the counter or gauge name whose labels
// include labels, and whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		}
	}
	return 0, false
}

func requestLabels(route, method string, status string) map[string]string {
	return map[string]string{"http_route": route, "http_request_method": method, "http_response_status_code": status}
}

// TestMetricsCountRefreshAndRequests: after GET /v1/token refreshed an
// expired token, /metrics (read with a metrics-only key) shows one
// refresh of the Authenticator, the request counted under its route and
// status, the 401 and 403 calls counted as denied by reason; and the
// scrape holds no secret, no API key and no user name.
func TestMetricsCountRefreshAndRequests(t *testing.T) {
	first := newEnv(t, envOpts{})
	old := first.login("ann@example.com", clientA, secretA)
	bob := first.login("bob@example.com", clientB, secretB)
	if err := first.store.SaveToken(context.Background(), &zohoauth.Token{ID: old.ID, Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOpts{store: first.store, emu: first.emu, metrics: true})
	annKey := e.key(tokenserver.Scope{Users: []string{"ann@example.com"}, Clients: []string{clientA}})
	scraper := e.key(tokenserver.Scope{Metrics: true})
	before := e.emu.Stats()

	if a := e.do("GET", "/v1/token?user="+old.UserName+"&client_id="+clientA, annKey, nil); a.status != 200 {
		t.Fatalf("GET /v1/token: %d %s", a.status, a.body)
	}
	if st := e.emu.Stats(); st.Refreshes != before.Refreshes+1 {
		t.Fatalf("%d refreshes at the emulator, want 1", st.Refreshes-before.Refreshes)
	}
	if a := e.do("GET", "/v1/token?user="+bob.UserName, annKey, nil); a.status != 403 {
		t.Fatalf("out of scope: %d %s", a.status, a.body)
	}
	if a := e.do("GET", "/v1/token?user="+old.UserName, "", nil); a.status != 401 {
		t.Fatalf("no key: %d %s", a.status, a.body)
	}
	refreshed, _ := e.store.FindTokenByID(context.Background(), old.ID)

	fams, text := e.scrape(scraper)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"zohoauth_refreshes_total", map[string]string{"zohoauth_action": "refresh", "zohoauth_outcome": "refreshed"}, 1},
		{"zohoauth_server_requests_total", requestLabels("/v1/token", "GET", "200"), 1},
		{"zohoauth_server_requests_total", requestLabels("/v1/token", "GET", "403"), 1},
		{"zohoauth_server_requests_total", requestLabels("/v1/token", "GET", "401"), 1},
		{"zohoauth_server_denied_total", map[string]string{"zohoauth_reason": tokenserver.ReasonOutOfScope}, 1},
		{"zohoauth_server_denied_total", map[string]string{"zohoauth_reason": tokenserver.ReasonNoKey}, 1},
	} {
		if got, ok := value(fams, c.name, c.labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if _, ok := value(fams, "zohoauth_refreshes_total", map[string]string{"zohoauth_outcome": "failed"}); ok {
		t.Error("a failed renewal counted")
	}
	// The scrape itself is counted once it is answered: the second shows
	// the first.
	fams, _ = e.scrape(scraper)
	if got, _ := value(fams, "zohoauth_server_requests_total", requestLabels("/metrics", "GET", "200")); got != 1 {
		t.Errorf("scrapes counted %v, want 1", got)
	}

	secrets := append(secretsOf(old, bob, refreshed), annKey, scraper, e.admin, secretA, secretB,
		"ann@example.com", "bob@example.com", old.UserName, bob.UserName)
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("the scrape holds a secret, a key or a user name (%d bytes)", len(s))
		}
	}
}

// TestMetricsOpenMetricsFormat: a scraper asking for OpenMetrics gets it,
// ended by "# EOF".
func TestMetricsOpenMetricsFormat(t *testing.T) {
	e := newEnv(t, envOpts{metrics: true})
	req, _ := http.NewRequest("GET", e.http.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/openmetrics-text") ||
		!strings.HasSuffix(b.String(), "# EOF\n") {
		t.Errorf("OpenMetrics scrape: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), b.String())
	}
	if !strings.Contains(b.String(), "zohoauth_tokens") {
		t.Error("the Authenticator's gauge of tokens is missing")
	}
}

// TestMetricsNeedKeyWithRight: /metrics without a key is 401 JSON, with a
// key without the metrics right 403 JSON, with a revoked metrics key 401;
// the metrics and admin keys read it, and a metrics-only key gets no
// token. Every refusal is counted.
func TestMetricsNeedKeyWithRight(t *testing.T) {
	e := newEnv(t, envOpts{metrics: true})
	tok := e.login("ann@example.com", clientA, secretA)
	tokensOnly := e.key(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}, Secrets: true})
	scraper := e.key(tokenserver.Scope{Metrics: true})
	revoked := e.key(tokenserver.Scope{Metrics: true})
	id := strings.Split(revoked, "_")[1]
	if err := e.keys.RevokeKey(context.Background(), id, time.Now()); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name, key string
		status    int
		code      string
	}{
		{"no key", "", 401, "unauthorized"},
		{"wrong key", "zak_000000000000_" + strings.Repeat("A", 43), 401, "unauthorized"},
		{"revoked metrics key", revoked, 401, "key_revoked"},
		{"token key without the metrics right", tokensOnly, 403, "out_of_scope"},
	} {
		a := e.do("GET", "/metrics", c.key, nil)
		if a.status != c.status || a.errorCode(t) != c.code || a.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s %q", c.name, a.status, a.body, a.header.Get("Content-Type"))
		}
		if strings.Contains(string(a.body), "zohoauth_") {
			t.Errorf("%s: metrics in a refusal", c.name)
		}
	}
	if a := e.do("POST", "/metrics", scraper, nil); a.status != 405 {
		t.Errorf("POST /metrics: %d", a.status)
	}
	e.scrape(scraper)
	fams, _ := e.scrape(e.admin)
	if a := e.do("GET", "/v1/token?user="+tok.UserName, scraper, nil); a.status != 403 {
		t.Errorf("a metrics-only key got a token: %d", a.status)
	}
	for reason, want := range map[string]float64{
		tokenserver.ReasonNoKey: 1, tokenserver.ReasonInvalidKey: 1,
		tokenserver.ReasonRevokedKey: 1, tokenserver.ReasonOutOfScope: 1,
	} {
		if got, _ := value(fams, "zohoauth_server_denied_total", map[string]string{"zohoauth_reason": reason}); got != want {
			t.Errorf("denied %s = %v, want %v", reason, got, want)
		}
	}
}

// TestMetricsPublicOnLoopbackOnly: MetricsPublic is refused on an address
// that is not loopback; on loopback it answers a caller on loopback
// without a key, still refuses a caller from elsewhere without one, and
// still checks a key that is given.
func TestMetricsPublicOnLoopbackOnly(t *testing.T) {
	base := newEnv(t, envOpts{})
	for _, addr := range []string{"0.0.0.0:8921", ":8921", "192.0.2.1:8921", "[::]:8921", "example.com:8921"} {
		_, err := tokenserver.New(base.store, base.auth, base.keys, tokenserver.Config{Addr: addr, MetricsPublic: true, Insecure: true, CertFile: "", KeyFile: ""})
		if !errors.Is(err, tokenserver.ErrMetricsPublic) {
			t.Errorf("MetricsPublic on %s: %v", addr, err)
		}
	}
	if err := tokenserver.CheckMetricsPublic("0.0.0.0:8921", false); err != nil {
		t.Errorf("not public: %v", err)
	}

	e := newEnv(t, envOpts{metrics: true, cfg: tokenserver.Config{Addr: "127.0.0.1:0", MetricsPublic: true}})
	e.scrape("")
	if a := e.do("GET", "/metrics", "zak_000000000000_"+strings.Repeat("A", 43), nil); a.status != 401 {
		t.Errorf("a wrong key on public metrics: %d", a.status)
	}
	if a := e.do("GET", "/v1/tokens", "", nil); a.status != 401 {
		t.Errorf("public metrics opened the API: %d", a.status)
	}
	for _, remote := range []string{"192.0.2.7:40000", "[2001:db8::1]:40000", "10.0.0.1:1"} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = remote
		w := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(w, req)
		if w.Code != 401 || strings.Contains(w.Body.String(), "zohoauth_") {
			t.Errorf("public metrics from %s: %d %s", remote, w.Code, w.Body.String())
		}
	}
}

// TestMetricsNotServedWithoutHandler: without Config.Metrics, /metrics is
// an unknown endpoint, even to an admin key.
func TestMetricsNotServedWithoutHandler(t *testing.T) {
	e := newEnv(t, envOpts{})
	if a := e.do("GET", "/metrics", e.admin, nil); a.status != 404 || a.errorCode(t) != "not_found" {
		t.Errorf("/metrics without a handler: %d %s", a.status, a.body)
	}
}

// TestMetricsRateLimitedAndLabels: a call over a key's rate limit is
// counted by key id; a token id in the path, an unknown path and a made-up
// method never become label values.
func TestMetricsRateLimitedAndLabels(t *testing.T) {
	e := newEnv(t, envOpts{metrics: true, cfg: tokenserver.Config{Clock: clock.NewFake(time.Now())}})
	tok := e.login("ann@example.com", clientA, secretA)
	slow := e.key(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}, Rate: 1, Burst: 1})
	slowID := strings.Split(slow, "_")[1]
	if a := e.do("GET", "/v1/tokens/"+tok.ID, slow, nil); a.status != 200 {
		t.Fatalf("first call: %d %s", a.status, a.body)
	}
	if a := e.do("GET", "/v1/tokens/"+tok.ID, slow, nil); a.status != 429 {
		t.Fatalf("second call at the same instant: %d %s", a.status, a.body)
	}
	e.do("GET", "/no-such-path-xyzzy", "", nil)
	e.do("FROBNICATE", "/v1/token", "", nil)

	fams, text := e.scrape(e.admin)
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"zohoauth_server_rate_limited_total", map[string]string{"zohoauth_key_id": slowID}},
		{"zohoauth_server_denied_total", map[string]string{"zohoauth_reason": tokenserver.ReasonRateLimited}},
		{"zohoauth_server_requests_total", requestLabels("/v1/tokens/{id}", "GET", "200")},
		{"zohoauth_server_requests_total", requestLabels("/v1/tokens/{id}", "GET", "429")},
		{"zohoauth_server_requests_total", requestLabels("other", "GET", "404")},
		{"zohoauth_server_requests_total", requestLabels("/v1/token", "_OTHER", "405")},
	} {
		if got, _ := value(fams, c.name, c.labels); got != 1 {
			t.Errorf("%s%v = %v, want 1", c.name, c.labels, got)
		}
	}
	for _, s := range []string{"xyzzy", "FROBNICATE", `"/v1/tokens/` + tok.ID + `"`} {
		if strings.Contains(text, s) {
			t.Errorf("the scrape holds %q", s)
		}
	}
}

// TestMetricsOfTwoServersApart: two services in one process, each with its
// PrometheusMetrics, count apart (no process-wide registry).
func TestMetricsOfTwoServersApart(t *testing.T) {
	a := newEnv(t, envOpts{metrics: true})
	b := newEnv(t, envOpts{metrics: true})
	a.do("GET", "/healthz", "", nil)
	a.do("GET", "/healthz", "", nil)
	b.do("GET", "/healthz", "", nil)
	fa, _ := a.scrape(a.admin)
	fb, _ := b.scrape(b.admin)
	ga, _ := value(fa, "zohoauth_server_requests_total", requestLabels("/healthz", "GET", "200"))
	gb, _ := value(fb, "zohoauth_server_requests_total", requestLabels("/healthz", "GET", "200"))
	if ga != 2 || gb != 1 {
		t.Errorf("healthz counted %v and %v, want 2 and 1", ga, gb)
	}
}
