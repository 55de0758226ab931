package auth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/zohotest"
)

const (
	clientID     = "1000.TESTCLIENT"
	clientSecret = "test-client-secret-4242"
	email        = "ann@example.com"
	zgid         = "7001"
)

var t0 = time.Date(2026, 5, 6, 7, 0, 0, 0, time.UTC)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is one test's world: a fake clock shared by the emulator and the
// authenticator, the emulator, a memory store and an authenticator.
type env struct {
	t     *testing.T
	clk   *clock.Fake
	srv   *zohotest.Server
	store zohoauth.Store
	logs  *syncBuffer
	opts  auth.Options
	a     *auth.Authenticator
}

func newEnv(t *testing.T, mod func(*auth.Options)) *env {
	t.Helper()
	return newEnvWith(t, memory.New(), mod)
}

// newEnvWith is newEnv over the given store.
func newEnvWith(t *testing.T, store zohoauth.Store, mod func(*auth.Options)) *env {
	t.Helper()
	checkGoroutines(t)
	e := &env{t: t, clk: clock.NewFake(t0), store: store, logs: &syncBuffer{}}
	e.srv = zohotest.NewServer(zohotest.Options{Clock: e.clk})
	t.Cleanup(e.srv.Close)
	e.srv.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret})
	e.srv.AddUser(zohotest.User{Email: email, ZGID: zgid})
	e.opts = auth.Options{
		Accounts: &accounts.Client{Environment: e.srv.Environment()},
		Clock:    e.clk,
		Logger:   slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&e.opts)
	}
	e.a = mustNew(e.store, e.opts)
	t.Cleanup(func() { _ = e.a.Close() })
	return e
}

// restart replaces the authenticator by a new one over the same store, as
// a new process would.
func (e *env) restart() {
	_ = e.a.Close()
	e.a = mustNew(e.store, e.opts)
	e.t.Cleanup(func() { _ = e.a.Close() })
}

func (e *env) grant(user string) string {
	e.t.Helper()
	code, err := e.srv.IssueGrant(clientID, user, "ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ")
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

func (e *env) grantToken() *zohoauth.Token {
	return &zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, GrantToken: e.grant("")}
}

// login stores a token for the first user through a grant exchange and
// returns its handle and access token.
func (e *env) login() (*auth.Handle, string) {
	e.t.Helper()
	h := e.a.For(e.grantToken())
	access, err := h.AccessToken(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return h, access
}

func (e *env) stored(id string) *zohoauth.Token {
	e.t.Helper()
	tok, err := e.store.FindTokenByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// tokenRequests counts the requests to the token endpoint, injected faults
// included.
func (e *env) tokenRequests() int { return e.srv.Stats().Calls["POST /oauth/v2/token"] }

// checkGoroutines fails the test if goroutines started during it are
// still running once it and its cleanups end (given time to settle).
func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutines: %d before, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// assertNoSecret fails if s holds any of the secrets.
func assertNoSecret(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			t.Fatalf("%s holds a secret (%.6s…)", what, sec)
		}
	}
}

func isErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}
