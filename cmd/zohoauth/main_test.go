package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storeurl"
	"github.com/zohoauth/zohoauth/zohotest"
)

const (
	testClientID     = "1000.TESTCLIENT"
	testClientSecret = "test-client-secret-0123456789"
	testEmail        = "ada@example.com"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// harness runs the command in-process against an emulator and a SQLite
// store in a temporary directory, on one fake clock.
type harness struct {
	t           *testing.T
	clock       *clock.Fake
	emu         *zohotest.Server
	storeURL    string
	redirectURI string
	ln          net.Listener // the login redirect's listener, taken by the first login
	env         map[string]string
	// browser replaces the system browser: by default it follows the
	// consent URL with an HTTP client (the emulator auto-approves).
	browser func(ctx context.Context, url string) error
	isTerm  bool
	// interactive is whether the user can answer questions (standard
	// input and error are terminals).
	interactive bool
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, clock: clock.NewFake(t0)}
	return h.start(zohotest.Options{AutoApprove: true})
}

func (h *harness) start(opts zohotest.Options) *harness {
	t := h.t
	opts.Clock = h.clock
	h.emu = zohotest.NewServer(opts)
	t.Cleanup(h.emu.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	h.ln = ln
	h.redirectURI = "http://" + ln.Addr().String() + "/callback"
	h.emu.AddClient(zohotest.Client{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{h.redirectURI}})
	h.emu.AddUser(zohotest.User{Email: testEmail})
	h.storeURL = "sqlite:" + filepath.Join(t.TempDir(), "zohooauth.db")
	h.env = map[string]string{
		envStore:        h.storeURL,
		envAccountsURL:  h.emu.URL,
		envClientID:     testClientID,
		envClientSecret: testClientSecret,
		envRedirectURI:  h.redirectURI,
	}
	h.browser = func(ctx context.Context, u string) error {
		go func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return
			}
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		return nil
	}
	return h
}

// app returns an app wired to the harness, writing to the given streams.
func (h *harness) app(stdin io.Reader, stdout, stderr io.Writer) *app {
	a := newApp(stdin, stdout, stderr, func(k string) string { return h.env[k] })
	a.clock = h.clock
	a.openBrowser = func(ctx context.Context, u string) error { return h.browser(ctx, u) }
	a.listen = func(network, addr string) (net.Listener, error) {
		if h.ln != nil && addr == h.ln.Addr().String() {
			ln := h.ln
			h.ln = nil
			return ln, nil
		}
		return net.Listen(network, addr)
	}
	a.isTerminal = func(io.Writer) bool { return h.isTerm }
	a.interactive = func() bool { return h.interactive }
	return a
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the command line and returns its exit code and output.
func (h *harness) run(args ...string) result {
	h.t.Helper()
	return h.runIn("", args...)
}

func (h *harness) runIn(stdin string, args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	code := h.app(strings.NewReader(stdin), &out, &errb).main(context.Background(), args)
	r := result{code, out.String(), errb.String()}
	h.t.Logf("zohoauth %s → %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, r.stdout, r.stderr)
	return r
}

// must runs the command line and fails the test unless it exits 0.
func (h *harness) must(args ...string) result {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("zohoauth %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

// store opens the harness's store.
func (h *harness) store() storeurl.Store {
	h.t.Helper()
	s, err := stores().Open(context.Background(), h.storeURL)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = s.Close() })
	return s
}

// tokens returns the stored tokens.
func (h *harness) tokens() []*zohoauth.Token {
	h.t.Helper()
	s := h.store()
	all, err := s.Tokens(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return all
}

// login logs the first user in with the browser flow and returns the token.
func (h *harness) login() *zohoauth.Token {
	h.t.Helper()
	h.must("login")
	all := h.tokens()
	if len(all) == 0 {
		h.t.Fatal("login saved no token")
	}
	return all[len(all)-1]
}

// noSecrets fails if any output shows one of the secrets.
func noSecrets(t *testing.T, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			t.Errorf("output shows a secret (%.6s…)", s)
		}
	}
}

func tokenSecrets(t *zohoauth.Token) []string {
	return []string{t.ClientSecret, t.GrantToken, t.RefreshToken, t.AccessToken}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
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

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestUsage(t *testing.T) {
	h := newHarness(t)
	if r := h.run(); r.code != exitUsage || !strings.Contains(r.stderr, "Commands:") {
		t.Errorf("no command: %+v", r)
	}
	if r := h.run("--help"); r.code != 0 || !strings.Contains(r.stdout, "emulator") {
		t.Errorf("--help: %+v", r)
	}
	if r := h.run("help", "login"); r.code != 0 || !strings.Contains(r.stdout, "--grant-token") {
		t.Errorf("help login: %+v", r)
	}
	if r := h.run("frobnicate"); r.code != exitUsage || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %+v", r)
	}
	if r := h.run("list", "--nope"); r.code != exitUsage || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("bad flag: %+v", r)
	}
	if r := h.run("list", "extra"); r.code != exitUsage {
		t.Errorf("extra argument: %+v", r)
	}
}

func TestStoreURLErrors(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		url, want string
		code      int
		cmd       []string
	}{
		{"nosuch:x", `bad scheme`, exitUsage, []string{"list"}},
		{"mysql://root:hunter2@db:99999/x", `bad port`, exitUsage, []string{"list"}},
		{"redis://127.0.0.1:1", `cannot open the redis store`, exitUnavailable, []string{"list"}},
		// list does not create a missing store file (it reports no
		// tokens); login does, and cannot here.
		{"sqlite:" + filepath.Join(t.TempDir(), "no", "such", "dir.db"), `cannot open the sqlite store`, exitUnavailable, []string{"login", "--grant-token", "x"}},
	} {
		r := h.run(append(tt.cmd, "--store", tt.url)...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("--store %s: exit %d, stderr %q; want %d and %q", tt.url, r.code, r.stderr, tt.code, tt.want)
		}
		if strings.Contains(r.stderr, "hunter2") {
			t.Errorf("the password shows: %s", r.stderr)
		}
	}
	// The environment variable is read when --store is not given.
	h.env[envStore] = "nosuch:y"
	if r := h.run("list"); r.code != exitUsage || !strings.Contains(r.stderr, "nosuch:y") {
		t.Errorf("ZOHOAUTH_STORE: %+v", r)
	}
}

func TestExitCodeMapping(t *testing.T) {
	ctx := context.Background()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tt := range []struct {
		ctx  context.Context
		err  error
		want int
	}{
		{ctx, usageErrorf("x"), exitUsage},
		{ctx, notFoundf("x"), exitNotFound},
		{ctx, storekit.StoreError(storekit.MsgGetTokenByIDDB, zohoauth.ErrNotFound), exitNotFound},
		{ctx, &httpStatusError{status: "404 Not Found"}, exitHTTP},
		{ctx, storekit.StoreError(storekit.MsgSaveTokenFile, filestore.ErrReadOnly), exitUsage},
		{canceled, context.Canceled, exitInterrupted},
		{ctx, errors.New("boom"), exitFailure},
	} {
		if got := exitCode(tt.ctx, tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
