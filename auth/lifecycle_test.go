package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/memory"
)

const tokenPath = "/oauth/v2/token"

// failRefreshes makes every token request answer 500 until cleared.
func (e *env) failRefreshes() {
	f := zohoTestFault(tokenPath, 500)
	f.Times = -1
	e.srv.Inject(f)
}

// The authenticator records the login, each refresh and each failed
// refresh of a stored token: failures are counted, days at most once a
// UTC day, the reason is a class, and a success resets them.
func TestLifecycleRecorded(t *testing.T) {
	st := newLifeStore()
	e := newEnvWith(t, st, nil)
	h, access := e.login()
	id := h.ID()
	if got := st.rec(id); !got.LoginAt.Equal(t0) || !got.LastRefreshAt.IsZero() || got.Failures != 0 {
		t.Fatalf("after login: %+v", got)
	}
	e.clk.Advance(2 * time.Hour)
	mustAccess(t, h)
	if got := st.rec(id); !got.LastRefreshAt.Equal(t0.Add(2*time.Hour)) || !got.LoginAt.Equal(t0) {
		t.Fatalf("after refresh: %+v", got)
	}

	e.failRefreshes()
	e.clk.Advance(2 * time.Hour) // 11:00
	if _, err := h.AccessToken(ctx); err == nil {
		t.Fatal("refresh against a 500 succeeded")
	}
	e.clk.Advance(time.Minute) // same day: a failure, not a day
	if _, err := h.AccessToken(ctx); err == nil {
		t.Fatal("refresh against a 500 succeeded")
	}
	got := st.rec(id)
	if got.Failures != 2 || got.FailureDays != 1 || got.LastError != "http_500" || !got.LastFailureAt.Equal(t0.Add(4*time.Hour+time.Minute)) {
		t.Fatalf("after two failures on one day: %+v", got)
	}
	e.clk.Advance(24 * time.Hour) // the next day
	if _, err := h.AccessToken(ctx); err == nil {
		t.Fatal("refresh against a 500 succeeded")
	}
	if got := st.rec(id); got.Failures != 3 || got.FailureDays != 2 {
		t.Fatalf("after a failure the next day: %+v", got)
	}
	e.srv.ClearFaults()
	e.clk.Advance(time.Minute)
	mustAccess(t, h)
	got = st.rec(id)
	if got.Failures != 0 || got.FailureDays != 0 || got.LastError != "" || !got.LastRefreshAt.Equal(e.clk.Now()) || !got.ExhaustedAt.IsZero() {
		t.Fatalf("after a success: %+v", got)
	}
	tok := e.stored(id)
	for _, f := range []string{got.LastError, got.ID} {
		assertNoSecret(t, "record", f, access, tok.RefreshToken, tok.AccessToken, clientSecret)
	}
}

// A transient failure counts one day however often it happens that day,
// and the first failure after midnight UTC starts a new day (Nango's
// rule).
func TestFailureDaysAreUTCDays(t *testing.T) {
	st := newLifeStore()
	e := newEnvWith(t, st, nil)
	h, _ := e.login()
	e.failRefreshes()
	// t0 is 07:00 UTC: fail at 23:30 and at 00:30 the next day, one hour
	// apart but on two days.
	e.clk.Advance(16*time.Hour + 30*time.Minute)
	_, _ = h.AccessToken(ctx)
	for range 5 {
		e.clk.Advance(time.Second * 2)
		_, _ = h.AccessToken(ctx)
	}
	if got := st.rec(h.ID()); got.FailureDays != 1 || got.Failures != 6 {
		t.Fatalf("six failures in a minute: %+v", got)
	}
	e.clk.Advance(time.Hour)
	_, _ = h.AccessToken(ctx)
	if got := st.rec(h.ID()); got.FailureDays != 2 || got.Failures != 7 {
		t.Fatalf("past midnight: %+v", got)
	}
}

// A store whose lifecycle writes fail does not fail a refresh: the
// failure is logged and reported as an event.
func TestRecordFailureDoesNotFailRefresh(t *testing.T) {
	st := newLifeStore()
	rec := &recorder{}
	e := newEnvWith(t, st, func(o *auth.Options) { o.OnEvent = rec.hook })
	st.failUpdates.Store(true)
	h, _ := e.login()
	e.clk.Advance(2 * time.Hour)
	before := mustAccess(t, h)
	e.clk.Advance(2 * time.Hour)
	if after := mustAccess(t, h); after == before {
		t.Fatal("not refreshed")
	}
	e.a.FlushEvents()
	fails := rec.of(auth.EventRecordFailed)
	if len(fails) < 2 || !errors.Is(fails[0].Err, errRecordDown) || fails[0].TokenID != h.ID() {
		t.Fatalf("record failures reported: %v", fails)
	}
	if !strings.Contains(e.logs.String(), "lifecycle not recorded") {
		t.Fatal("not logged")
	}
}

// Uses are written coarsely, off the valid-token path: at most once per
// interval and token, only for tokens used in it, and once more at Close.
func TestUseRecordedCoarsely(t *testing.T) {
	st := newLifeStore()
	e := newEnvWith(t, st, func(o *auth.Options) { o.UseInterval = time.Hour; o.Margin = time.Minute })
	h, _ := e.login()
	id := h.ID()
	for range 1000 {
		mustAccess(t, h)
	}
	if got := st.rec(id); !got.LastUsedAt.IsZero() {
		t.Fatalf("written on the valid-token path: %+v", got)
	}
	writes := st.updates.Load()
	e.clk.Advance(30 * time.Minute)
	mustAccess(t, h)
	e.clk.Advance(30 * time.Minute) // the recorder's tick
	if got := st.rec(id); !got.LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("use not recorded at the tick: %+v", got)
	}
	if n := st.updates.Load() - writes; n != 1 {
		t.Fatalf("%d writes for 1001 uses in an interval", n)
	}
	writes = st.updates.Load()
	e.clk.Advance(time.Hour) // unused for an interval: nothing written
	if n := st.updates.Load() - writes; n != 0 {
		t.Fatalf("%d writes for an unused token", n)
	}
	if got := st.rec(id); !got.LastUsedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("unused interval moved the last use: %+v", got)
	}
	e.clk.Advance(10 * time.Minute)
	mustAccess(t, h)
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := st.rec(id); !got.LastUsedAt.Equal(e.clk.Now()) {
		t.Fatalf("Close did not flush the last use: %+v (now %v)", got, e.clk.Now())
	}
}

// A process that records a use already recorded by another process within
// the interval does not write it again.
func TestUseNotRewrittenWithinInterval(t *testing.T) {
	st := newLifeStore()
	e := newEnvWith(t, st, func(o *auth.Options) { o.UseInterval = time.Hour })
	h, _ := e.login()
	mustAccess(t, h)
	st.put(zohoauth.Lifecycle{ID: h.ID(), LoginAt: t0, LastUsedAt: t0.Add(50 * time.Minute)}) // another process
	updates := st.updates.Load()
	e.clk.Advance(time.Hour)
	if got := st.rec(h.ID()); !got.LastUsedAt.Equal(t0.Add(50 * time.Minute)) {
		t.Fatalf("rewritten within the interval: %+v", got)
	}
	// Not even a write transaction to find that out: on SQL stores an
	// update opens one (SQLite's takes the database's write lock), which a
	// short-lived process such as `zohoauth token` would pay at each run.
	if n := st.updates.Load() - updates; n != 0 {
		t.Fatalf("%d UpdateLifecycle calls for a use already recorded within the interval", n)
	}
}

// Session lifetime: a token whose login is older than the lifetime is
// refused with a typed error matching ErrReauthorize, without a request to
// Zoho, even while its access token is valid, in this process and in a new
// one; a new login gives a new session.
func TestSessionLifetime(t *testing.T) {
	st := newLifeStore()
	rec := &recorder{}
	e := newEnvWith(t, st, func(o *auth.Options) {
		o.Policies.SessionLifetime = 3 * time.Hour
		o.OnEvent = rec.hook
	})
	h, _ := e.login()
	e.clk.Advance(2*time.Hour + 30*time.Minute)
	mustAccess(t, h) // refreshed, inside the session
	requests := e.tokenRequests()
	e.clk.Advance(30 * time.Minute) // the access token is still valid; the session is over
	_, err := h.AccessToken(ctx)
	isErr(t, err, auth.ErrReauthorize)
	isErr(t, err, auth.ErrSessionExpired)
	var pe *auth.PolicyError
	if !errors.As(err, &pe) || pe.Policy != auth.PolicySessionLifetime || !pe.Since.Equal(t0.Add(3*time.Hour)) || pe.TokenID != h.ID() {
		t.Fatalf("error %v (%+v)", err, pe)
	}
	if _, err := h.AccessToken(ctx); !errors.Is(err, auth.ErrSessionExpired) {
		t.Fatalf("second use: %v", err)
	}
	if n := e.tokenRequests(); n != requests {
		t.Fatalf("%d requests to Zoho for an ended session", n-requests)
	}
	e.restart() // a new process: the valid stored access token is not handed out either
	_, err = e.a.For(&zohoauth.Token{ID: h.ID()}).AccessToken(ctx)
	isErr(t, err, auth.ErrSessionExpired)
	if e.stored(h.ID()).RefreshToken == "" {
		t.Fatal("the token was dropped from the store")
	}
	// A new login of the user: a new session.
	h2, _ := e.login()
	if h2.ID() != h.ID() {
		t.Fatalf("new login saved as %s, not over %s", h2.ID(), h.ID())
	}
	mustAccess(t, e.a.For(&zohoauth.Token{ID: h.ID()}))
	e.a.FlushEvents()
	if evs := rec.of(auth.EventPolicyApplied); len(evs) == 0 || evs[0].Policy != auth.PolicySessionLifetime || evs[0].Action != auth.ActionRefused {
		t.Fatalf("policy events: %v", evs)
	}
}

// A token without a login time (saved by Zoho's SDK) is not limited.
func TestSessionLifetimeUnknownLogin(t *testing.T) {
	st := newLifeStore()
	e := newEnvWith(t, st, func(o *auth.Options) { o.Policies.SessionLifetime = time.Hour })
	h, _ := e.login()
	if err := st.DeleteLifecycle(ctx, h.ID()); err != nil {
		t.Fatal(err)
	}
	e.restart()
	h = e.a.For(&zohoauth.Token{ID: h.ID()})
	for range 3 {
		e.clk.Advance(2 * time.Hour)
		mustAccess(t, h)
	}
}

// Failure days: after refreshes failed on N days, the token is marked
// exhausted, reported once, and refused from then on without asking Zoho,
// until a new login.
func TestFailureDaysExhaust(t *testing.T) {
	st := newLifeStore()
	rec := &recorder{}
	e := newEnvWith(t, st, func(o *auth.Options) {
		o.Policies.FailureDays = 3
		o.OnEvent = rec.hook
	})
	h, _ := e.login()
	e.failRefreshes()
	for day := range 3 {
		e.clk.Advance(24 * time.Hour)
		_, err := h.AccessToken(ctx)
		if errors.Is(err, auth.ErrExhausted) {
			t.Fatalf("day %d: exhausted already", day+1)
		}
		if err == nil {
			t.Fatal("refreshed against a 500")
		}
	}
	got := st.rec(h.ID())
	if got.FailureDays != 3 || !got.ExhaustedAt.Equal(t0.Add(72*time.Hour)) {
		t.Fatalf("after three days: %+v", got)
	}
	requests := e.tokenRequests()
	for range 3 {
		e.clk.Advance(time.Hour)
		_, err := h.AccessToken(ctx)
		isErr(t, err, auth.ErrExhausted)
		isErr(t, err, auth.ErrReauthorize)
	}
	if n := e.tokenRequests() - requests; n != 0 {
		t.Fatalf("%d requests to Zoho for an exhausted token", n)
	}
	e.a.FlushEvents()
	var exhausted []auth.Event
	for _, ev := range rec.of(auth.EventPolicyApplied) {
		if ev.Action == auth.ActionExhausted {
			exhausted = append(exhausted, ev)
		}
	}
	if len(exhausted) != 1 || exhausted[0].Policy != auth.PolicyFailureDays || exhausted[0].TokenID != h.ID() {
		t.Fatalf("exhaustion events: %v", exhausted)
	}
	e.srv.ClearFaults()
	if _, err := e.a.Login(ctx, e.grantToken(), ""); err != nil {
		t.Fatal(err)
	}
	if got := st.rec(h.ID()); !got.ExhaustedAt.IsZero() || got.FailureDays != 0 {
		t.Fatalf("a new login kept the exhaustion: %+v", got)
	}
	e.clk.Advance(time.Hour)
	mustAccess(t, e.a.For(&zohoauth.Token{ID: h.ID()}))
}

// A policy on a store that keeps no lifecycle records is refused at New,
// naming the store's type and the policy; a bad value is refused too.
func TestPolicyRefusedAtNew(t *testing.T) {
	plain := bare{memory.New()}
	for _, p := range []auth.Policies{{SessionLifetime: time.Hour}, {IdleTimeout: 48 * time.Hour}, {FailureDays: 3}} {
		_, err := auth.New(plain, auth.Options{Policies: p})
		var pse *auth.PolicyStoreError
		if !errors.As(err, &pse) || !errors.Is(err, auth.ErrPolicyUnsupported) || pse.Store != "auth_test.bare" || !strings.Contains(err.Error(), pse.Policy) || !strings.Contains(err.Error(), "auth_test.bare") {
			t.Errorf("%+v: %v", p, err)
		}
	}
	if a, err := auth.New(plain, auth.Options{}); err != nil {
		t.Fatalf("no policy: %v", err)
	} else {
		a.Close()
	}
	for _, o := range []auth.Options{
		{Policies: auth.Policies{SessionLifetime: -time.Hour}},
		{Policies: auth.Policies{FailureDays: -1}},
		{Policies: auth.Policies{IdleTimeout: time.Hour}}, // shorter than twice the use interval
		{SweepInterval: -time.Minute},
	} {
		if _, err := auth.New(newLifeStore(), o); !errors.Is(err, auth.ErrInvalidPolicy) {
			t.Errorf("%+v: %v", o.Policies, err)
		}
	}
}

// The valid-token path stays without allocation with the use recorder on.
func TestHotPathAllocatesNothingWithLifecycle(t *testing.T) {
	st := newLifeStore()
	e := newEnvWith(t, st, func(o *auth.Options) { o.Policies.SessionLifetime = 24 * time.Hour })
	h, _ := e.login()
	c := context.Background()
	if n := testing.AllocsPerRun(1000, func() { _, _ = h.AccessToken(c) }); n != 0 {
		t.Fatalf("%v allocs per call", n)
	}
}
