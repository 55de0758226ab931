package auth_test

// Tests written for mutants of scripts/mutation.sh that lived: each names
// the line it guards.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/zohotest"
)

// toEmulator sends the requests for host to the emulator at base instead,
// and records the hosts it was asked for.
type toEmulator struct {
	host, base string
	mu         sync.Mutex
	asked      []string
}

func (r *toEmulator) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.asked = append(r.asked, req.URL.Host)
	r.mu.Unlock()
	if req.URL.Host == r.host {
		base, err := url.Parse(r.base)
		if err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.URL.Scheme, req.URL.Host, req.Host = base.Scheme, base.Host, base.Host
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestLoginWithoutEnvironment kills the mutant of renew.go:106: with no
// environment and no accounts URL configured, a login goes to the accounts
// server of its redirect (a known data center's); without one it fails
// with ErrUnknownEnvironment.
func TestLoginWithoutEnvironment(t *testing.T) {
	var rt *toEmulator
	e := newEnv(t, func(o *auth.Options) {
		rt = &toEmulator{host: "accounts.zoho.eu"}
		o.Accounts = &accounts.Client{HTTPClient: &http.Client{Transport: rt}, APIDomains: []string{o.Accounts.Environment.APIURL}}
	})
	rt.base = e.srv.URL
	if _, err := e.a.Login(ctx, e.grantToken(), ""); !errors.Is(err, zohoauth.ErrUnknownEnvironment) {
		t.Errorf("Login without environment nor accounts-server = %v, want ErrUnknownEnvironment", err)
	}
	if _, err := e.a.Login(ctx, e.grantToken(), "https://accounts.zoho.eu"); err != nil {
		t.Fatalf("Login with the accounts-server of the EU data center: %v", err)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.asked) == 0 || rt.asked[0] != "accounts.zoho.eu" {
		t.Errorf("the login asked %v, want accounts.zoho.eu first", rt.asked)
	}
}

// TestRenewalErrorNamesTheToken kills the mutant of renew.go:232: a failed
// renewal of a stored token names its id; a failed login, which has none
// yet, names no token.
func TestRenewalErrorNamesTheToken(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	e.srv.Inject(zohoTestFault("/oauth/v2/token", 400))
	e.srv.Inject(zohoTestFault("/oauth/v2/token", 400))
	e.clk.Advance(2 * time.Hour)
	if _, err := h.AccessToken(ctx); err == nil || !strings.Contains(err.Error(), "auth: token "+h.ID()+": ") {
		t.Errorf("failed renewal of token %s: %v", h.ID(), err)
	}
	if _, err := e.a.Login(ctx, e.grantToken(), ""); err == nil || strings.Contains(err.Error(), "token :") || !strings.HasPrefix(err.Error(), "auth: ") {
		t.Errorf("failed login: %v", err)
	}
}

// racingStore saves another process's renewal of a token just before the
// authenticator's guarded save of it, once armed: that save is stale.
type racingStore struct {
	*memory.Store
	mu    sync.Mutex
	other *zohoauth.Token // saved before the next SwapToken, then cleared
}

func (s *racingStore) SwapToken(ctx context.Context, old, next *zohoauth.Token) error {
	s.mu.Lock()
	other := s.other
	s.other = nil
	s.mu.Unlock()
	if other != nil {
		if err := s.Store.SaveToken(ctx, other); err != nil {
			return err
		}
	}
	return s.Store.SwapToken(ctx, old, next)
}

// TestInvalidateAdoptsAnotherProcessRenewal kills the mutant of
// renew.go:171: when the forced renewal of a rejected access token loses
// its guarded save to another process's renewal, the authenticator hands
// out that process's token (it is not the rejected one) without an error.
func TestInvalidateAdoptsAnotherProcessRenewal(t *testing.T) {
	rs := &racingStore{Store: memory.New()}
	e := newEnv(t, nil)
	e.store = rs
	e.a = mustNew(rs, e.opts)
	t.Cleanup(func() { _ = e.a.Close() })
	h, rejected := e.login()
	rs.mu.Lock()
	rs.other = &zohoauth.Token{ID: h.ID(), AccessToken: "1000.access.other-process", Expiry: e.clk.Now().Add(time.Hour)}
	rs.mu.Unlock()
	got, err := h.Invalidate(ctx, rejected)
	if err != nil || got != "1000.access.other-process" {
		t.Fatalf("Invalidate after another process's renewal = %q, %v; want its access token", got, err)
	}
}

// TestLoginIntoAnIDReplacesItsToken kills the mutants of renew.go:263 and
// 265: a login that names the id of a stored token (no user name known
// yet) replaces that token, and revokes the refresh token it replaces.
func TestLoginIntoAnIDReplacesItsToken(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(o *auth.Options) { o.OnEvent = rec.hook })
	h, _ := e.login()
	old := e.stored(h.ID())
	g := e.grantToken()
	g.ID = h.ID()
	h2, err := e.a.Login(ctx, g, "")
	if err != nil {
		t.Fatal(err)
	}
	if h2.ID() != h.ID() {
		t.Fatalf("login into id %s saved id %s", h.ID(), h2.ID())
	}
	e.a.FlushEvents()
	ev := rec.of(auth.EventLoginReplaced)
	if len(ev) != 1 || ev[0].OldRefresh != zohoauth.Fingerprint(old.RefreshToken) || ev[0].OldTokenID != h.ID() {
		t.Fatalf("login_replaced events %v, want one of the old refresh token", ev)
	}
	if len(rec.of(auth.EventRevoked)) != 1 {
		t.Fatalf("revoked events %v, want one", rec.of(auth.EventRevoked))
	}
}

// casOnly is a store with a guarded save (CompareAndSwapper) and no lock,
// which counts its guarded saves.
type casOnly struct {
	zohoauth.Store
	cas   zohoauth.CompareAndSwapper
	swaps atomic.Int32
}

func (s *casOnly) SwapToken(ctx context.Context, old, next *zohoauth.Token) error {
	s.swaps.Add(1)
	return s.cas.SwapToken(ctx, old, next)
}

// TestRenewalRereadsWithoutLock kills the mutant of renew.go:87 (and
// cur != nil at renew.go:88, which its other tests kill too): without a
// store lock, the renewal of a stored token re-reads it when it has no copy
// of it (a store with neither lock nor guarded save) and when the store
// guards its saves (the guard is the token as re-read).
func TestRenewalRereadsWithoutLock(t *testing.T) {
	t.Run("plain store", func(t *testing.T) {
		e := newEnv(t, nil)
		plain := struct{ zohoauth.Store }{e.store}
		e.a = mustNew(plain, e.opts)
		t.Cleanup(func() { _ = e.a.Close() })
		h, first := e.login()
		e.clk.Advance(2 * time.Hour)
		if got, err := h.AccessToken(ctx); err != nil || got == first {
			t.Fatalf("AccessToken after expiry = %q, %v; want a renewed token", got, err)
		}
	})
	t.Run("guarded store", func(t *testing.T) {
		e := newEnv(t, nil)
		m := memory.New()
		s := &casOnly{Store: m, cas: m}
		e.a = mustNew(s, e.opts)
		h, first := e.login()
		_ = e.a.Close()
		e.a = mustNew(s, e.opts) // a new process: it resolves the token from the store
		t.Cleanup(func() { _ = e.a.Close() })
		e.clk.Advance(2 * time.Hour)
		s.swaps.Store(0)
		got, err := e.a.For(&zohoauth.Token{ID: h.ID()}).AccessToken(ctx)
		if err != nil || got == first {
			t.Fatalf("AccessToken after expiry = %q, %v; want a renewed token", got, err)
		}
		if n := s.swaps.Load(); n != 1 {
			t.Fatalf("%d guarded saves of the renewal, want 1", n)
		}
	})
}

// lockOnly is a store with a lock and no guarded save; once armed, its
// next Lock saves another process's renewal of a token first, as that
// process would have before releasing the lock.
type lockOnly struct {
	zohoauth.Store
	l     zohoauth.Locker
	mu    sync.Mutex
	other *zohoauth.Token
}

func (s *lockOnly) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	s.mu.Lock()
	other := s.other
	s.other = nil
	s.mu.Unlock()
	if other != nil {
		if err := s.Store.SaveToken(ctx, other); err != nil {
			return nil, err
		}
	}
	return s.l.Lock(ctx, name, lease)
}

// TestRenewalRereadsInsideTheLock kills the mutant h == nil of
// renew.go:88: inside the store lock the renewal re-reads the token, and
// adopts the renewal another process saved while it waited for the lock
// instead of refreshing again.
func TestRenewalRereadsInsideTheLock(t *testing.T) {
	e := newEnv(t, nil)
	m := memory.New()
	s := &lockOnly{Store: m, l: m}
	e.a = mustNew(s, e.opts)
	h, _ := e.login()
	_ = e.a.Close()
	e.a = mustNew(s, e.opts) // a new process: it resolves the token from the store
	t.Cleanup(func() { _ = e.a.Close() })
	e.clk.Advance(2 * time.Hour)
	s.mu.Lock()
	s.other = &zohoauth.Token{ID: h.ID(), AccessToken: "1000.access.other-process", Expiry: e.clk.Now().Add(time.Hour)}
	s.mu.Unlock()
	got, err := e.a.For(&zohoauth.Token{ID: h.ID()}).AccessToken(ctx)
	if err != nil || got != "1000.access.other-process" {
		t.Fatalf("AccessToken = %q, %v; want the other process's token", got, err)
	}
}

// TestUnstoredUserWithGrantOrRefresh kills the mutants of renew.go:317: a
// user name that is not stored is an error only without grant and refresh
// token; with either, the token is obtained from Zoho.
func TestUnstoredUserWithGrantOrRefresh(t *testing.T) {
	e := newEnv(t, nil)
	user := email + ":" + zgid
	g := e.grantToken()
	g.UserName = user
	if _, err := e.a.AccessToken(ctx, g); err != nil {
		t.Fatalf("AccessToken of an unstored user with a grant token: %v", err)
	}
	stored, err := e.store.FindToken(ctx, &zohoauth.Token{UserName: user})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.DeleteTokens(ctx); err != nil {
		t.Fatal(err)
	}
	e.restart()
	r := &zohoauth.Token{UserName: user, ClientID: clientID, ClientSecret: clientSecret, RefreshToken: stored.RefreshToken}
	if _, err := e.a.AccessToken(ctx, r); err != nil {
		t.Fatalf("AccessToken of an unstored user with a refresh token: %v", err)
	}
}

// blockingFind is a store whose FindToken waits until released, and says
// when it is entered.
type blockingFind struct {
	zohoauth.Store
	entered, release chan struct{}
}

func (s *blockingFind) FindToken(ctx context.Context, q *zohoauth.Token) (*zohoauth.Token, error) {
	s.entered <- struct{}{}
	<-s.release
	return s.Store.FindToken(ctx, q)
}

// TestWaitIdleWaitsForResolution kills the mutant running-- of
// handle.go:219: the count of running resolutions is what the tests'
// WaitIdle waits on; while a resolution runs, WaitIdle does not return.
func TestWaitIdleWaitsForResolution(t *testing.T) {
	e := newEnv(t, nil)
	_, _ = e.login()
	s := &blockingFind{Store: e.store, entered: make(chan struct{}), release: make(chan struct{})}
	a := mustNew(s, e.opts)
	t.Cleanup(func() { _ = a.Close() })
	got := make(chan error, 1)
	go func() {
		_, err := a.For(&zohoauth.Token{UserName: email + ":" + zgid, ClientID: clientID}).AccessToken(ctx)
		got <- err
	}()
	<-s.entered // the resolution runs
	idle := make(chan struct{})
	go func() {
		a.WaitIdle()
		close(idle)
	}()
	select {
	case <-idle:
		t.Fatal("WaitIdle returned while a resolution ran")
	case <-time.After(50 * time.Millisecond):
	}
	close(s.release)
	<-idle
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

// TestRevokeKeepsTokenOn500 kills the mutant > 500 of revoke.go:248: a 500
// answer, even with Zoho's error code, is no proof that Zoho does not know
// the token, which stays stored and is reported.
func TestRevokeKeepsTokenOn500(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.loginAs("1000.C1", email)
	e.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token/revoke", Status: 500, Body: []byte(`{"status":"failure","error":"invalid_request"}`)})
	rep, err := e.a.RevokeUser(ctx, email)
	_, serr := e.store.FindTokenByID(ctx, tok.ID)
	if !errors.Is(err, auth.ErrRevokeIncomplete) || len(rep.Failed) != 1 || rep.Failed[0].Stage != auth.StageZoho || serr != nil {
		t.Fatalf("err %v, report %+v, find %v: want kept and reported", err, rep, serr)
	}
}

// TestRevokeWithoutLocker kills the mutant of revoke.go:178: on a store
// without a lock the revoke takes none and completes.
func TestRevokeWithoutLocker(t *testing.T) {
	e := newEnvWith(t, struct{ zohoauth.Store }{memory.New()}, nil)
	tok := e.loginAs("1000.C1", email)
	rep, err := e.a.RevokeUser(ctx, email)
	if _, serr := e.store.FindTokenByID(ctx, tok.ID); err != nil || len(rep.Revoked) != 1 || !errors.Is(serr, zohoauth.ErrNotFound) {
		t.Fatalf("RevokeUser on a store without lock: %+v, %v; find %v", rep, err, serr)
	}
}

// TestRenewalReleasesLockQuietly kills the mutant err == nil of
// lock.go:131: a renewal under the store lock that releases it logs no
// warning that it did not.
func TestRenewalReleasesLockQuietly(t *testing.T) {
	e := newEnv(t, nil)
	h, first := e.login()
	e.clk.Advance(2 * time.Hour)
	if got, err := h.AccessToken(ctx); err != nil || got == first {
		t.Fatalf("AccessToken after expiry = %q, %v; want a renewed token", got, err)
	}
	e.a.WaitIdle()
	if strings.Contains(e.logs.String(), "refresh lock not released") {
		t.Fatalf("a released lock logged as not released:\n%s", e.logs.String())
	}
}

// failFindByID is a store whose FindTokenByID fails while fail is set.
type failFindByID struct {
	zohoauth.Store
	fail atomic.Bool
}

var errFindDown = errors.New("the store is down")

func (s *failFindByID) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	if s.fail.Load() {
		return nil, errFindDown
	}
	return s.Store.FindTokenByID(ctx, id)
}

// spanAttr returns the value of the attribute k of span s, or "" if it
// has none.
func spanAttr(s sdktrace.ReadOnlySpan, k string) (string, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == k {
			return kv.Value.Emit(), true
		}
	}
	return "", false
}

// TestTelemetryNamesTheToken kills the mutants of metrics.go's renew (the
// token id of the renewal span, of the refresh_failed event when the
// renewal failed before reading the token), of storeCall (the token id of
// a store call's span, the error status of a failed call only) and of the
// tokens gauge (a warning logged when its callback was registered, the
// callback left registered after Close).
func TestTelemetryNamesTheToken(t *testing.T) {
	o := newOtel(t)
	rec := &recorder{}
	fs := &failFindByID{Store: memory.New()}
	e := newEnvWith(t, fs, func(opts *auth.Options) { o.options(opts); opts.OnEvent = rec.hook })
	h, _ := e.login()

	// A login into the id of a stored token: the renewal span names it.
	g := e.grantToken()
	g.ID = h.ID()
	if _, err := e.a.Login(ctx, g, ""); err != nil {
		t.Fatal(err)
	}
	// A renewal that fails at its first read of the store.
	fs.fail.Store(true)
	if _, err := h.Refresh(ctx); !errors.Is(err, errFindDown) {
		t.Fatalf("Refresh with the store down = %v, want %v", err, errFindDown)
	}
	fs.fail.Store(false)
	e.a.FlushEvents()
	if ev := rec.of(auth.EventRefreshFailed); len(ev) != 1 || ev[0].TokenID != h.ID() {
		t.Fatalf("refresh_failed events %+v, want one of token %s", ev, h.ID())
	}

	var logins, byID, notFound int
	for _, s := range o.spans.Ended() {
		id, hasID := spanAttr(s, "zohoauth.token.id")
		outcome, _ := spanAttr(s, "zohoauth.outcome")
		switch {
		case s.Name() == "zohoauth.refresh" && outcome == "exchanged" && id == h.ID():
			logins++
		case s.Name() == "zohoauth.store.find_by_id":
			byID++
			if id != h.ID() {
				t.Errorf("span %s names token %q, want %s", s.Name(), id, h.ID())
			}
		case s.Name() == "zohoauth.store.find" && hasID:
			t.Errorf("span %s of a query names token %q", s.Name(), id)
		}
		if strings.HasPrefix(s.Name(), "zohoauth.store.") {
			failed := outcome != "ok" && outcome != "not_found"
			if got := s.Status().Code == codes.Error; got != failed || (len(s.Events()) > 0) != failed {
				t.Errorf("span %s with outcome %s: status %v, %d events", s.Name(), outcome, s.Status(), len(s.Events()))
			}
			if outcome == "not_found" {
				notFound++
			}
		}
	}
	if logins != 1 || byID == 0 || notFound == 0 {
		t.Errorf("%d exchange spans naming token %s (want 1), %d find_by_id spans, %d not_found store spans", logins, h.ID(), byID, notFound)
	}

	if strings.Contains(e.logs.String(), "gauge of tokens by state is not observed") {
		t.Errorf("the gauge's registration logged as failed:\n%s", e.logs.String())
	}
	if g := gauge(t, o.collect(t)[auth.MetricTokens]); len(g) == 0 {
		t.Fatal("no tokens gauge before Close")
	}
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	if m, ok := o.collect(t)[auth.MetricTokens]; ok {
		if g := gauge(t, m); len(g) != 0 {
			t.Errorf("tokens gauge still observed after Close: %v", g)
		}
	}
}

// gatedStore is a memory store (with its lock and guarded save) whose
// next FindTokenByID, once armed, says it is entered and waits for
// release; while jump is set, each SaveToken and SwapToken moves clk
// forward by jump after saving.
type gatedStore struct {
	*memory.Store
	clk              interface{ Advance(time.Duration) }
	armed            atomic.Bool
	jump             atomic.Int64
	entered, release chan struct{}
}

func newGatedStore() *gatedStore {
	return &gatedStore{Store: memory.New(), entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (s *gatedStore) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	if s.armed.CompareAndSwap(true, false) {
		s.entered <- struct{}{}
		<-s.release
	}
	return s.Store.FindTokenByID(ctx, id)
}

func (s *gatedStore) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	err := s.Store.SaveToken(ctx, t)
	if d := s.jump.Load(); d != 0 {
		s.clk.Advance(time.Duration(d))
	}
	return err
}

func (s *gatedStore) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	err := s.Store.SwapToken(ctx, old, t)
	if d := s.jump.Load(); d != 0 {
		s.clk.Advance(time.Duration(d))
	}
	return err
}

// TestInvalidateForcesAfterJoiningAKeptToken kills the mutants of
// entry.go:238 (f.st.access != failedAccess) and 241 (f.st.phase !=
// expired): an Invalidate of access that joins a background renewal which
// kept access (the store held it with a later expiry) forces a renewal of
// its own and returns the new access token, not the rejected one.
func TestInvalidateForcesAfterJoiningAKeptToken(t *testing.T) {
	gs := newGatedStore()
	e := newEnvWith(t, gs, nil)
	gs.clk = e.clk
	h, first := e.login()
	e.clk.Advance(56 * time.Minute) // in the 5-minute margin: stale
	tok := e.stored(h.ID())
	tok.Expiry = e.clk.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := gs.Store.SaveToken(ctx, tok); err != nil { // same access, later expiry
		t.Fatal(err)
	}
	gs.armed.Store(true)
	if got, err := h.AccessToken(ctx); err != nil || got != first { // stale: kicks a renewal
		t.Fatalf("AccessToken in the margin = %q, %v; want the current token", got, err)
	}
	<-gs.entered // the background renewal reads the store
	type result struct {
		access string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		a, err := h.Invalidate(ctx, first)
		got <- result{a, err}
	}()
	time.Sleep(50 * time.Millisecond) // let Invalidate join the renewal (if it does not, it starts one: no false failure)
	close(gs.release)
	r := <-got
	if r.err != nil || r.access == first || r.access != e.stored(h.ID()).AccessToken {
		t.Fatalf("Invalidate(rejected) after joining a renewal that kept it = %q, %v; want a new stored token", r.access, r.err)
	}
}

// TestTokenIssuedPastItsExpiryIsUsable kills the three mutants of
// entry.go:282: a token Zoho just issued is handed out even if the clock
// says it expired by the time it was saved (here each save takes two
// hours of the fake clock); without that, every renewal's token is
// expired on arrival and AccessToken fails.
func TestTokenIssuedPastItsExpiryIsUsable(t *testing.T) {
	gs := newGatedStore()
	e := newEnvWith(t, gs, nil)
	gs.clk = e.clk
	h, first := e.login()
	e.clk.Advance(2 * time.Hour)
	gs.jump.Store(int64(2 * time.Hour))
	got, err := h.AccessToken(ctx)
	gs.jump.Store(0)
	if err != nil || got == first || got != e.stored(h.ID()).AccessToken {
		t.Fatalf("AccessToken renewed by a save that outlived the token = %q, %v; want the new stored token", got, err)
	}
}

// TestCloseDuringRenewal kills the mutant err != nil of entry.go:278: a
// renewal that succeeds after Close does not install its token; its waiter
// gets ErrClosed.
func TestCloseDuringRenewal(t *testing.T) {
	gs := newGatedStore()
	e := newEnvWith(t, gs, nil)
	gs.clk = e.clk
	h, _ := e.login()
	e.clk.Advance(2 * time.Hour)
	gs.armed.Store(true)
	got := make(chan error, 1)
	go func() {
		_, err := h.AccessToken(ctx)
		got <- err
	}()
	<-gs.entered // the renewal reads the store
	closed := make(chan error, 1)
	go func() { closed <- e.a.Close() }()
	for { // until Close has reached the token's entry
		c, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		_, err := h.AccessToken(c)
		cancel()
		if errors.Is(err, auth.ErrClosed) {
			break
		}
	}
	time.Sleep(20 * time.Millisecond) // the entry is marked closed just after it is marked dead
	close(gs.release)
	if err := <-got; !errors.Is(err, auth.ErrClosed) {
		t.Fatalf("AccessToken whose renewal ended after Close = %v, want ErrClosed", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}

// onRevoke runs before each revoke request it forwards to the emulator.
type onRevoke struct {
	mu     sync.Mutex
	before func()
}

func (r *onRevoke) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/oauth/v2/token/revoke") {
		r.mu.Lock()
		f := r.before
		r.mu.Unlock()
		if f != nil {
			f()
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestRevokeKeepsALoginThatReplacedTheToken kills the mutant err != nil of
// revoke.go:225: when a new login replaced the token in the store while
// Zoho revoked the old one, the revoke keeps the new token and reports a
// store-stage failure.
func TestRevokeKeepsALoginThatReplacedTheToken(t *testing.T) {
	hook := &onRevoke{}
	e := newEnv(t, func(o *auth.Options) { o.Accounts.HTTPClient = &http.Client{Transport: hook} })
	tok := e.loginAs(clientID, email)
	replaced := tok.Clone()
	replaced.RefreshToken = "1000.replaced-by-a-new-login.0123456789abcdef"
	hook.before = func() { // another process's login saves its new token
		if err := e.store.SaveToken(context.Background(), replaced); err != nil {
			t.Error(err)
		}
	}
	rep, err := e.a.RevokeUser(ctx, email)
	if err == nil && (rep == nil || len(rep.Failed) == 0) {
		t.Fatalf("RevokeUser with a login in between = %+v, %v; want a failure", rep, err)
	}
	if rep != nil && (len(rep.Failed) != 1 || rep.Failed[0].Stage != auth.StageStore) {
		t.Errorf("failures %+v, want one at the store stage", rep.Failed)
	}
	if got := e.stored(tok.ID); got.RefreshToken != replaced.RefreshToken {
		t.Fatalf("stored refresh token %s, want the new login's", zohoauth.Fingerprint(got.RefreshToken))
	}
}

// rejecting answers every request with Zoho's 401 INVALID_TOKEN, closing
// its body, and records the Authorization header of each.
type rejecting struct {
	mu   sync.Mutex
	seen []string
}

func (r *rejecting) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, req.Header.Get("Authorization"))
	r.mu.Unlock()
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{}, Request: req,
		Body: io.NopCloser(strings.NewReader(`{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`))}, nil
}

// closeCount is a request body that counts its Close calls.
type closeCount struct {
	io.Reader
	n *atomic.Int32
}

func (c closeCount) Close() error { c.n.Add(1); return nil }

// TestTransportChecksTheRenewedTokensHost kills the mutants of
// transport.go:109 (fresh.access == access: the host check of the replay
// skipped for a renewed token) and 114 (replay == req: the replay's body
// left open on failure): after a 401, a renewal whose token names another
// API domain (Zoho's EU data center) is not replayed to the old one; the
// call fails with ErrForeignHost, the new token is sent nowhere and the
// body prepared for the replay is closed.
func TestTransportChecksTheRenewedTokensHost(t *testing.T) {
	srv, calls := forgingAccounts(t, "https://www.zohoapis.eu")
	h := storedHandle(t, "https://www.zohoapis.com", &accounts.Client{BaseURL: srv.URL})
	base := &rejecting{}
	var closes atomic.Int32
	req, err := http.NewRequest(http.MethodPost, "https://www.zohoapis.com/crm/v8/Leads", strings.NewReader(`{"data":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.GetBody = func() (io.ReadCloser, error) {
		return closeCount{Reader: strings.NewReader(`{"data":[]}`), n: &closes}, nil
	}
	resp, err := h.Client(base).Do(req)
	if err == nil {
		resp.Body.Close()
	}
	isErr(t, err, auth.ErrForeignHost)
	if calls.Load() != 1 || len(base.seen) != 1 || base.seen[0] != auth.HeaderPrefix+"1000.the-access-token" {
		t.Fatalf("%d renewals, requests sent with %q; want one renewal, one request with the old token", calls.Load(), base.seen)
	}
	if closes.Load() != 1 {
		t.Fatalf("the replay's body closed %d times, want once", closes.Load())
	}
}

// TestLoginBookForgetsTheRevokedToken kills the mutant r.sum != old of
// limits.go:87: a login that replaced and revoked a refresh token drops
// that one from the book of live refresh tokens, not another (here the
// oldest, which the next login past Zoho's limit must name).
func TestLoginBookForgetsTheRevokedToken(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(o *auth.Options) { o.OnEvent = rec.hook })
	_ = e.a.Close()
	e.store = &rowPerLogin{}
	e.a = mustNew(e.store, e.opts)
	t.Cleanup(func() { _ = e.a.Close() })
	login := func(id string) string {
		t.Helper()
		g := e.grantToken()
		g.ID = id
		h, err := e.a.Login(ctx, g, "")
		if err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(time.Minute) // Zoho's grant-code limit
		return h.ID()
	}
	var ids []string
	for range auth.MaxRefreshTokens { // the limit reached, one row each
		ids = append(ids, login(""))
	}
	last := ids[len(ids)-1]
	if got := login(last); got != last { // replaces (and revokes) the newest: still 20 live
		t.Fatalf("login into %s saved %s", last, got)
	}
	e.a.FlushEvents()
	if ev := rec.of(auth.EventLoginLimit); len(ev) != 0 || len(rec.of(auth.EventRevoked)) != 1 {
		t.Fatalf("after replacing the newest: login_limit %v, %d revoked events; want none and one", ev, len(rec.of(auth.EventRevoked)))
	}
	login("") // the 21st live refresh token: Zoho deletes the oldest
	e.a.FlushEvents()
	if ev := rec.of(auth.EventLoginLimit); len(ev) != 1 || ev[0].OldTokenID != ids[0] {
		t.Fatalf("login_limit events %v, want one naming the oldest token %s", ev, ids[0])
	}
}
