package zohotest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/zohotest"
)

// newClient returns an HTTP client with its own connection pool, so the test
// can close it.
func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}}
}

func postForm(c *http.Client, u string, form url.Values) (map[string]any, error) {
	resp, err := c.PostForm(u, form)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var m map[string]any
	err = json.NewDecoder(resp.Body).Decode(&m)
	return m, err
}

// TestConcurrentRefreshThrottle sends 1,000 refreshes of one refresh token at
// once (to the handler in-process, so that all 1,000 run together): exactly
// MaxRefreshesPerWindow succeed, the rest are throttled.
func TestConcurrentRefreshThrottle(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	_, rt := login(t, s)
	h := s.Handler()
	body := refreshForm(rt).Encode()
	var ok, denied, other atomic.Int64
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			req := httptest.NewRequest("POST", "/oauth/v2/token", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var m map[string]any
			err := json.Unmarshal(rec.Body.Bytes(), &m)
			switch {
			case err != nil:
				t.Error(err)
			case m["access_token"] != nil:
				ok.Add(1)
			case m["error"] == "Access Denied":
				denied.Add(1)
			default:
				other.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != zohotest.MaxRefreshesPerWindow || denied.Load() != 1000-zohotest.MaxRefreshesPerWindow || other.Load() != 0 {
		t.Errorf("ok %d, denied %d, other %d", ok.Load(), denied.Load(), other.Load())
	}
	st := s.Stats()
	if st.TokenRequests != 1001 || st.Refreshes != zohotest.MaxRefreshesPerWindow || st.Throttled != 990 {
		t.Errorf("stats %+v", st)
	}
}

// TestConcurrentMixedLoad runs 1,000 goroutines doing every kind of call at
// once, under -race.
func TestConcurrentMixedLoad(t *testing.T) {
	s, fake := newServer(t, zohotest.Options{})
	c := newClient()
	defer c.CloseIdleConnections()
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Go(func() {
			switch i % 5 {
			case 0:
				code, err := s.IssueGrant(clientID, "")
				if err != nil {
					return // the grant-code limit
				}
				if m, err := postForm(c, s.URL+"/oauth/v2/token", exchangeForm(code)); err != nil || m["access_token"] == nil {
					t.Errorf("exchange: %v %v", m, err)
				}
			case 1:
				if _, err := postForm(c, s.URL+"/oauth/v2/token", refreshForm("1000.x.y")); err != nil {
					t.Error(err)
				}
			case 2:
				resp, err := c.Get(s.URL + "/crm/v8/org")
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			case 3:
				_ = s.Stats()
				fake.Advance(time.Millisecond)
			case 4:
				s.Inject(zohotest.Fault{Path: "/nowhere"})
				s.AddUser(zohotest.User{Email: "u" + string(rune('a'+i%26)) + "@example.com"})
			}
		})
	}
	wg.Wait()
	if st := s.Stats(); st.Requests < 400 {
		t.Errorf("stats %+v", st)
	}
}

func TestCloseLeaksNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	s := zohotest.NewServer(zohotest.Options{})
	s.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret})
	s.AddUser(zohotest.User{Email: email})
	c := newClient()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			code, err := s.IssueGrant(clientID, "")
			if err != nil {
				return
			}
			if _, err := postForm(c, s.URL+"/oauth/v2/token", exchangeForm(code)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	s.Inject(zohotest.Fault{Delay: time.Hour, Times: -1})
	go func() {
		if resp, err := c.Get(s.URL + "/crm/v8/org"); err == nil {
			resp.Body.Close()
		}
	}()
	for s.Stats().FaultsInjected == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Close()
	s.Close() // twice is fine
	c.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLogsNoSecrets drives every endpoint with a debug logger and checks that
// no token, code or secret reaches the log.
func TestLogsNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, _ := newServer(t, zohotest.Options{Logger: logger, AutoApprove: true})
	secrets := []string{clientSecret}
	code, _ := s.IssueGrant(clientID, "")
	secrets = append(secrets, code)
	_, m := call(t, "POST", s.URL+"/oauth/v2/token?"+exchangeForm(code).Encode(), nil, nil)
	at, rt := m["access_token"].(string), m["refresh_token"].(string)
	secrets = append(secrets, at, rt)
	call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil)
	call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(code), nil) // reused: an error line
	call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at))
	call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at+"x"))
	resp, err := noRedirect.Get(authURL(s, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	secrets = append(secrets, redirectQuery(t, resp).Get("code"))
	call(t, "POST", s.URL+"/oauth/v2/token/revoke?token="+rt, nil, nil)
	call(t, "POST", s.URL+"/oauth/v2/token/revoke?token="+rt, nil, nil)

	mu.Lock()
	log := buf.String()
	mu.Unlock()
	if !strings.Contains(log, "invalid_code") || !strings.Contains(log, "INVALID_TOKEN") {
		t.Fatalf("log lacks the outcomes:\n%s", log)
	}
	for _, sec := range secrets {
		if strings.Contains(log, sec) {
			t.Errorf("log contains a secret %.12s…:\n%s", sec, log)
		}
	}
	for _, sec := range secrets[:1] {
		c := zohotest.Client{ID: clientID, Secret: sec}
		if strings.Contains(fmtAll(c), sec) {
			t.Errorf("Client prints its secret")
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestHandlerOnOwnListener serves Handler with http.Serve, as the CLI does:
// the redirect's accounts-server and api_domain come from the Host header.
func TestHandlerOnOwnListener(t *testing.T) {
	s := zohotest.NewUnstartedServer(zohotest.Options{AutoApprove: true})
	defer s.Close()
	s.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret, RedirectURIs: []string{redirectURI}})
	s.AddUser(zohotest.User{Email: email})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s.Handler()}
	done := make(chan struct{})
	go func() { _ = srv.Serve(l); close(done) }()
	defer func() { srv.Close(); <-done }()
	base := "http://" + l.Addr().String()
	resp, err := noRedirect.Get(base + "/oauth/v2/auth?" + url.Values{"client_id": {clientID}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "scope": {"ZohoCRM.users.READ"}, "access_type": {"offline"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	q := redirectQuery(t, resp)
	if q.Get("accounts-server") != base {
		t.Errorf("accounts-server %q, want %q", q.Get("accounts-server"), base)
	}
	form := exchangeForm(q.Get("code"))
	form.Set("redirect_uri", redirectURI)
	_, m := call(t, "POST", base+"/oauth/v2/token", form, nil)
	if m["api_domain"] != base || m["refresh_token"] == nil {
		t.Errorf("exchange %v", m)
	}
}

func TestStartOnOwnListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := zohotest.NewUnstartedServer(zohotest.Options{})
	s.Listener = l
	s.Start()
	defer s.Close()
	if s.URL != "http://"+l.Addr().String() {
		t.Errorf("URL %s on %s", s.URL, l.Addr())
	}
	if status, _ := call(t, "GET", s.URL+"/oauth/serverinfo", nil, nil); status != 200 {
		t.Errorf("serverinfo %d", status)
	}
}

func fmtAll(v any) string { return fmt.Sprintf("%v %+v %#v %s", v, v, v, v) }

// TestConcurrentCodeReuse exchanges one grant code from 200 goroutines at
// once: exactly one gets tokens.
func TestConcurrentCodeReuse(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	code, err := s.IssueGrant(clientID, "")
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	body := exchangeForm(code).Encode()
	var ok, invalid atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			req := httptest.NewRequest("POST", "/oauth/v2/token", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch {
			case strings.Contains(rec.Body.String(), "access_token"):
				ok.Add(1)
			case rec.Body.String() == `{"error":"invalid_code"}`:
				invalid.Add(1)
			default:
				t.Errorf("answer %s", rec.Body.String())
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 || invalid.Load() != 199 {
		t.Errorf("ok %d, invalid %d", ok.Load(), invalid.Load())
	}
	st := s.Stats()
	if st.Calls["POST /oauth/v2/token"] != 200 || st.GrantExchanges != 1 || st.Errors != 199 {
		t.Errorf("stats %+v", st)
	}
}
