package tokenserver_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/tokenserver"
)

// consoleClient is a browser-like client of the console: a cookie jar, no
// redirect following.
type consoleClient struct {
	t    *testing.T
	e    *env
	http *http.Client
}

func newConsoleClient(t *testing.T, e *env) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *consoleClient) get(path string) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.http.Get(c.e.http.URL + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufCopy(&b, resp)
	return resp, b.String()
}

func (c *consoleClient) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.http.PostForm(c.e.http.URL+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufCopy(&b, resp)
	return resp, b.String()
}

func bufCopy(b *strings.Builder, resp *http.Response) (int64, error) {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := resp.Body.Read(buf)
		b.Write(buf[:k])
		n += int64(k)
		if err != nil {
			return n, nil
		}
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in the page: %s", page)
	}
	return m[1]
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestConsoleSessionAndCSRF: the console's login needs its CSRF token and
// an admin key; the session cookie is HttpOnly, SameSite=Strict and scoped
// to /console; every form needs the session's CSRF token (a forged revoke
// changes nothing); a revoked admin key ends its sessions.
func TestConsoleSessionAndCSRF(t *testing.T) {
	e := newEnv(t, envOpts{metrics: true})
	ann := e.login("ann@example.com", clientA, secretA)
	plain := e.key(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}})
	c := newConsoleClient(t, e)

	resp, page := c.get("/console/")
	if resp.StatusCode != 200 || !strings.Contains(page, `name="key"`) {
		t.Fatalf("login page: %d %s", resp.StatusCode, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	lc := cookieNamed(resp, "zohoauth_login")
	if lc == nil || !lc.HttpOnly || lc.SameSite != http.SameSiteStrictMode {
		t.Errorf("login CSRF cookie: %+v", lc)
	}
	loginCSRF := csrfOf(t, page)

	// without the CSRF token, with a non-admin key, with a bad key: no session
	for name, form := range map[string]url.Values{
		"no csrf":     {"key": {e.admin}},
		"wrong csrf":  {"key": {e.admin}, "csrf": {"x" + loginCSRF}},
		"not admin":   {"key": {plain}, "csrf": {loginCSRF}},
		"not a key":   {"key": {"zak_nothing"}, "csrf": {loginCSRF}},
		"unknown key": {"key": {"zak_000000000000_" + strings.Repeat("A", 43)}, "csrf": {loginCSRF}},
	} {
		resp, _ := c.post("/console/login", form)
		if resp.StatusCode != 401 && resp.StatusCode != 403 || cookieNamed(resp, "zohoauth_console") != nil {
			t.Errorf("login %s: %d, cookie %v", name, resp.StatusCode, cookieNamed(resp, "zohoauth_console"))
		}
		_, page := c.get("/console/") // a new login CSRF token each time
		loginCSRF = csrfOf(t, page)
	}

	resp, _ = c.post("/console/login", url.Values{"key": {e.admin}, "csrf": {loginCSRF}})
	sc := cookieNamed(resp, "zohoauth_console")
	if resp.StatusCode != http.StatusSeeOther || sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode || sc.Path != "/console" || sc.Secure {
		t.Fatalf("admin login: %d, cookie %+v", resp.StatusCode, sc)
	}
	resp, page = c.get("/console/")
	if !strings.Contains(page, ann.Email()) || !strings.Contains(page, "revoke-"+ann.ID) {
		t.Fatalf("home page: %d %s", resp.StatusCode, page)
	}
	for _, s := range secretsOf(ann) {
		if strings.Contains(page, s) {
			t.Error("the console page shows a secret")
		}
	}
	csrf := csrfOf(t, page)

	// forged revokes: no CSRF token, another token, no session
	snap, stats := e.snapshot(), e.emu.Stats()
	if resp, _ := c.post("/console/revoke", url.Values{"id": {ann.ID}}); resp.StatusCode != 403 {
		t.Errorf("revoke without CSRF: %d", resp.StatusCode)
	}
	if resp, _ := c.post("/console/revoke", url.Values{"id": {ann.ID}, "csrf": {loginCSRF}}); resp.StatusCode != 403 {
		t.Errorf("revoke with a wrong CSRF: %d", resp.StatusCode)
	}
	anon := newConsoleClient(t, e)
	if resp, _ := anon.post("/console/revoke", url.Values{"id": {ann.ID}, "csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke without session: %d", resp.StatusCode)
	}
	if resp, _ := c.get("/console/revoke?id=" + ann.ID); resp.StatusCode != 200 {
		t.Errorf("the confirmation page: %d", resp.StatusCode)
	}
	if !sameTokens(snap, e.snapshot()) || e.emu.Stats().Revokes != stats.Revokes {
		t.Fatal("a forged or unconfirmed revoke changed something")
	}

	// a new API key from the console: shown once, stored as a hash
	resp, page = c.post("/console/keys/create", url.Values{"csrf": {csrf}, "name": {"billing"}, "users": {"ann@example.com"}, "clients": {clientA}})
	m := regexp.MustCompile(`zak_[0-9a-f]{12}_[A-Za-z0-9_-]{43}`).FindString(page)
	if resp.StatusCode != 200 || m == "" {
		t.Fatalf("create key: %d %s", resp.StatusCode, page)
	}
	if a := e.do("GET", "/v1/token?user=ann@example.com", m, nil); a.status != 200 {
		t.Errorf("the console's new key: %d %s", a.status, a.body)
	}
	if a := e.do("GET", "/metrics", m, nil); a.status != 403 {
		t.Errorf("a console key without the metrics right on /metrics: %d", a.status)
	}
	resp, page = c.post("/console/keys/create", url.Values{"csrf": {csrf}, "name": {"prometheus"}, "metrics": {"on"}})
	scraper := regexp.MustCompile(`zak_[0-9a-f]{12}_[A-Za-z0-9_-]{43}`).FindString(page)
	if resp.StatusCode != 200 || scraper == "" {
		t.Fatalf("create a metrics key: %d %s", resp.StatusCode, page)
	}
	if rec, err := e.keys.Authenticate(scraper, time.Now()); err != nil || !rec.Metrics || rec.Admin || len(rec.Users) > 0 {
		t.Errorf("the console's metrics key: %+v %v", rec, err)
	}
	if a := e.do("GET", "/metrics", scraper, nil); a.status != 200 {
		t.Errorf("the console's metrics key on /metrics: %d", a.status)
	}
	if _, page := c.get("/console/"); !strings.Contains(page, "<th>metrics</th>") {
		t.Error("the console's key table has no metrics column")
	}

	// revoking the admin key ends the session
	k, err := e.keys.Authenticate(e.admin, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.keys.RevokeKey(context.Background(), k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, page := c.get("/console/"); !strings.Contains(page, `name="key"`) {
		t.Error("a revoked admin key's session still works")
	}
	if !strings.Contains(e.logs.String(), "console form with a bad CSRF token") {
		t.Error("a bad CSRF token was not logged")
	}
}

// TestConsoleCookieSecureUnderTLS: with TLS configured, the console's
// cookies are Secure.
func TestConsoleCookieSecureUnderTLS(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t, t.TempDir())
	s := newServer(t, tokenserver.Config{CertFile: certFile, KeyFile: keyFile})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/console/", nil))
	c := cookieNamed(&http.Response{Header: rec.Header()}, "zohoauth_login")
	if c == nil || !c.Secure || !c.HttpOnly {
		t.Errorf("login cookie under TLS: %+v", c)
	}
}
