package tokenserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/tokenserver"
	"github.com/zohoauth/zohoauth/zohotest"
)

const (
	clientA = "1000.CLIENTA"
	clientB = "1000.CLIENTB"
	secretA = "client-a-secret-0123456789"
	secretB = "client-b-secret-0123456789"
)

// logBuffer is a goroutine-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is one token service over a store, an emulator, and a key file.
type env struct {
	t     testing.TB
	emu   *zohotest.Server
	store zohoauth.Store
	ac    *accounts.Client
	auth  *auth.Authenticator
	keys  *tokenserver.KeyFile
	srv   *tokenserver.Server
	http  *httptest.Server
	logs  *logBuffer
	admin string // an admin key
	prom  *tokenserver.PrometheusMetrics
	act   *tokenserver.Activity // with envOpts.activity
}

type envOpts struct {
	store zohoauth.Store
	emu   *zohotest.Server
	keys  string // key file path; "" for a new one
	cfg   tokenserver.Config
	// metrics gives the service and its authenticator a
	// PrometheusMetrics of their own, answered on /metrics.
	metrics bool
	// activity gives the service an Activity fed by its
	// authenticator's events (the console's chart).
	activity bool
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	e := &env{t: t, logs: &logBuffer{}, store: o.store, emu: o.emu}
	if e.emu == nil {
		e.emu = zohotest.NewServer(zohotest.Options{})
		t.Cleanup(e.emu.Close)
		e.emu.AddClient(zohotest.Client{ID: clientA, Secret: secretA})
		e.emu.AddClient(zohotest.Client{ID: clientB, Secret: secretB})
		e.emu.AddUser(zohotest.User{Email: "ann@example.com", ZGID: "700"})
		e.emu.AddUser(zohotest.User{Email: "bob@example.com", ZGID: "700"})
	}
	if e.store == nil {
		e.store = memory.New()
	}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.ac = &accounts.Client{BaseURL: e.emu.URL, Environment: e.emu.Environment()}
	cfg := o.cfg
	aopts := auth.Options{Accounts: e.ac, Logger: logger}
	if o.metrics {
		pm, err := tokenserver.NewPrometheusMetrics()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pm.Shutdown(context.Background()) })
		e.prom = pm
		aopts.MeterProvider, cfg.MeterProvider, cfg.Metrics = pm.Provider, pm.Provider, pm.Handler()
	}
	if o.activity {
		cfg.Activity = tokenserver.NewActivity(0, 0)
		aopts.OnEvent = cfg.Activity.Record
		e.act = cfg.Activity
	}
	e.auth = mustNew(e.store, aopts)
	t.Cleanup(func() { e.auth.Close() })
	path := o.keys
	if path == "" {
		path = filepath.Join(t.TempDir(), "keys.json")
	}
	var err error
	if e.keys, err = tokenserver.OpenKeyFile(path); err != nil {
		t.Fatal(err)
	}
	cfg.Accounts, cfg.Logger = e.ac, logger
	if e.srv, err = tokenserver.New(e.store, e.auth, e.keys, cfg); err != nil {
		t.Fatal(err)
	}
	e.http = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.http.Close)
	if o.keys == "" {
		e.admin = e.key(tokenserver.Scope{Admin: true, Secrets: true})
	}
	return e
}

// key creates an API key with the scope.
func (e *env) key(sc tokenserver.Scope) string {
	e.t.Helper()
	k, _, err := e.keys.CreateKey(context.Background(), tokenserver.KeySpec{Name: "test", Scope: sc}, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return k
}

// login obtains and stores a token of the user for the client, through the
// emulator, and returns it.
func (e *env) login(email, client, secret string) *zohoauth.Token {
	e.t.Helper()
	code, err := e.emu.IssueGrant(client, email, "ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ")
	if err != nil {
		e.t.Fatal(err)
	}
	h, err := e.auth.Login(context.Background(), &zohoauth.Token{ClientID: client, ClientSecret: secret, GrantToken: code}, "")
	if err != nil {
		e.t.Fatal(err)
	}
	tok, err := h.Token(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// answer is an HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object (%d): %q", a.status, a.body)
	}
	return m
}

// errorCode returns the "error" of a JSON error answer.
func (a answer) errorCode(t *testing.T) string {
	t.Helper()
	m := a.json(t)
	code, _ := m["error"].(string)
	if msg, _ := m["message"].(string); code == "" || msg == "" {
		t.Errorf("error answer without error and message: %s", a.body)
	}
	return code
}

func (e *env) do(method, path, key string, body any) answer {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.http.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// snapshot returns the store's tokens, to compare before and after.
func (e *env) snapshot() []*zohoauth.Token {
	e.t.Helper()
	all, err := e.store.Tokens(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return all
}

func sameTokens(a, b []*zohoauth.Token) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := *a[i], *b[i]
		if !x.Expiry.Equal(y.Expiry) {
			return false
		}
		x.Expiry, y.Expiry = time.Time{}, time.Time{}
		if x != y {
			return false
		}
	}
	return true
}

// secretsOf lists the secret values of tokens.
func secretsOf(ts ...*zohoauth.Token) []string {
	var out []string
	for _, t := range ts {
		for _, s := range []string{t.ClientSecret, t.RefreshToken, t.GrantToken, t.AccessToken} {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}
