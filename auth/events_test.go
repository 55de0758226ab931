package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/zohotest"
)

// recorder keeps the events given to its hook.
type recorder struct {
	mu  sync.Mutex
	evs []auth.Event
}

func (r *recorder) hook(_ context.Context, ev auth.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *recorder) events() []auth.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs)
}

func (r *recorder) of(kind auth.EventKind) []auth.Event {
	var out []auth.Event
	for _, ev := range r.events() {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func (r *recorder) kinds() []auth.EventKind {
	var ks []auth.EventKind
	for _, ev := range r.events() {
		ks = append(ks, ev.Kind)
	}
	return ks
}

var throttleBody = []byte(`{"error_description":"You have made too many requests continuously. Please try again after some time.","error":"Access Denied","status":"failure"}`)

// Every kind of event is emitted by the lifecycle that causes it, and none
// holds a secret however it is printed: %v, %+v, %#v, %s, JSON, and slog's
// text and JSON handlers.
func TestEventsOfEveryKindHoldNoSecret(t *testing.T) {
	rec := &recorder{}
	e, ls := lockEnv(t, false, func(o *auth.Options) { o.OnEvent = rec.hook; o.Lease = 3 * time.Second })
	var secrets []string
	collect := func(h *auth.Handle) {
		t.Helper()
		if tok, err := h.Token(ctx); err == nil {
			secrets = append(secrets, tok.AccessToken, tok.RefreshToken, tok.GrantToken)
		}
	}
	grantTok := e.grantToken()
	secrets = append(secrets, clientSecret, grantTok.GrantToken)
	h := e.a.For(grantTok)
	collect(h) // exchange: saved, login
	g2 := e.grantToken()
	secrets = append(secrets, g2.GrantToken)
	h2, err := e.a.Login(ctx, g2, "") // replaces the first refresh token: revoked, login_replaced
	if err != nil {
		t.Fatal(err)
	}
	collect(h2)
	e.clk.Advance(2 * time.Hour) // expired: refreshed, saved
	collect(h2)

	// throttled, then refresh_failed (a 5xx), each after its cool-down.
	e.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Body: throttleBody})
	_, err = h2.Refresh(ctx)
	if err == nil {
		t.Fatal("throttle not reported")
	}
	e.clk.Advance(2 * time.Minute)
	e.srv.Inject(zohoTestFault("/oauth/v2/token", 503))
	if _, err := h2.Refresh(ctx); err == nil {
		t.Fatal("5xx not reported")
	}
	e.clk.Advance(time.Minute)

	// lock_taken_over: the lease extension finds the lock taken over.
	ls.mu.Lock()
	ls.extendErr = fmt.Errorf("extend: %w", zohoauth.ErrLockLost)
	ls.mu.Unlock()
	faults := e.srv.Stats().FaultsInjected
	e.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: 200 * time.Millisecond})
	done := make(chan error, 1)
	go func() { _, err := h2.Refresh(ctx); done <- err }()
	for e.srv.Stats().FaultsInjected == faults {
		time.Sleep(time.Millisecond) // until the refresh is in flight
	}
	e.clk.Advance(time.Second)
	<-done
	ls.mu.Lock()
	ls.extendErr = nil
	ls.mu.Unlock()
	e.clk.Advance(time.Minute)
	collect(h2)

	// reauthorize: Zoho forgot every token.
	e.srv.RevokeAll()
	if _, err := h2.Refresh(ctx); !errors.Is(err, auth.ErrReauthorize) {
		t.Fatalf("after RevokeAll: %v", err)
	}
	// revoked: a new login, then Handle.Revoke.
	g3 := e.grantToken()
	secrets = append(secrets, g3.GrantToken)
	h3, err := e.a.Login(ctx, g3, "")
	if err != nil {
		t.Fatal(err)
	}
	collect(h3)
	if err := h3.Revoke(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.a.Close(); err != nil { // delivers every queued event
		t.Fatal(err)
	}

	got := map[auth.EventKind]int{}
	for _, ev := range rec.events() {
		got[ev.Kind]++
	}
	for _, k := range []auth.EventKind{auth.EventRefreshed, auth.EventRefreshFailed, auth.EventReauthorize, auth.EventRevoked,
		auth.EventSaved, auth.EventLockTakenOver, auth.EventThrottled, auth.EventLogin, auth.EventLoginReplaced} {
		if got[k] == 0 {
			t.Errorf("no %v event; got %v", k, rec.kinds())
		}
	}
	// The kinds no lifecycle above emits, filled in as fully as possible.
	evs := append(rec.events(),
		auth.Event{Kind: auth.EventLoginLimit, Time: t0, TokenID: "1", User: email + ":" + zgid, ClientID: clientID, Access: "a", Refresh: "r", OldRefresh: "o", OldTokenID: "2", Logins: 21},
		auth.Event{Kind: auth.EventPolicyApplied, Time: t0, TokenID: "1", Duration: time.Second, Err: errors.New("policy")})
	secrets = slices.DeleteFunc(secrets, func(s string) bool { return s == "" })
	if len(secrets) < 8 {
		t.Fatalf("only %d secrets collected", len(secrets))
	}
	var text, js bytes.Buffer
	tl := slog.New(slog.NewTextHandler(&text, nil))
	jl := slog.New(slog.NewJSONHandler(&js, nil))
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		tl.Info("event", "ev", ev)
		jl.Info("event", "ev", ev)
		for _, s := range []string{fmt.Sprintf("%v", ev), fmt.Sprintf("%+v", ev), fmt.Sprintf("%#v", ev), fmt.Sprintf("%s", ev), string(b)} {
			assertNoSecret(t, ev.Kind.String()+" event", s, secrets...)
		}
		if ev.Kind != auth.EventLockTakenOver && ev.Kind != auth.EventPolicyApplied && (ev.ClientID != clientID || ev.TokenID == "") {
			t.Errorf("%v event without its token: %v", ev.Kind, ev)
		}
		if ev.Kind == auth.EventLockTakenOver && ev.TokenID != h2.ID() {
			t.Errorf("lock_taken_over of token %q, want %q", ev.TokenID, h2.ID())
		}
	}
	assertNoSecret(t, "slog text", text.String(), secrets...)
	assertNoSecret(t, "slog JSON", js.String(), secrets...)
	// The printed forms carry what an operator needs.
	if ev := rec.of(auth.EventRefreshed)[0]; !strings.Contains(fmt.Sprint(ev), "kind=refreshed") || !strings.Contains(fmt.Sprint(ev), "id="+ev.TokenID) || ev.Access == "" || ev.User != email+":"+zgid {
		t.Errorf("refreshed event: %v", ev)
	}
	if !strings.Contains(js.String(), `"kind":"login_replaced"`) || !strings.Contains(js.String(), `"old_refresh":"`) {
		t.Errorf("slog JSON lacks the login_replaced event's fields: %s", js.String())
	}
}

// A hook that takes 10 s (on the fake clock: it waits until the test
// moves the clock on) delays no renewal: the refresh completes while the
// hook is stuck, events beyond the queue are dropped and counted, and the
// hook gets the queued ones once it returns.
func TestSlowEventHookDoesNotBlockRefresh(t *testing.T) {
	var (
		calls   atomic.Int32
		entered = make(chan struct{}, 1)
		rec     recorder
	)
	var e *env
	e = newEnv(t, func(o *auth.Options) {
		o.EventQueue = 2
		o.OnEvent = func(ctx context.Context, ev auth.Event) {
			if calls.Add(1) == 1 {
				wake := make(chan struct{})
				e.clk.AfterFunc(10*time.Second, func() { close(wake) })
				entered <- struct{}{}
				<-wake // sleeps 10 s of the fake clock
			}
			rec.hook(ctx, ev)
		}
	})
	h, before := e.login() // saved (taken by the hook, which sleeps), login (queued)
	<-entered
	tok, err := h.Refresh(ctx) // saved (queued: the queue is full), refreshed (dropped)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == before {
		t.Fatal("not refreshed")
	}
	if _, err := h.Refresh(ctx); err != nil { // both dropped
		t.Fatal(err)
	}
	if s := e.stored(h.ID()); s.AccessToken == before {
		t.Fatal("refreshed token not saved while the hook slept")
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("hook called %d times while asleep", n)
	}
	if !strings.Contains(e.logs.String(), "events dropped") {
		t.Fatalf("dropped events not logged:\n%s", e.logs.String())
	}
	if n := strings.Count(e.logs.String(), "events dropped"); n != 2 {
		t.Errorf("%d warnings for 3 dropped events, want 2 (the 1st and the 2nd drop):\n%s", n, e.logs.String())
	}
	e.clk.Advance(10 * time.Second) // the hook wakes up
	e.a.FlushEvents()
	want := []auth.EventKind{auth.EventSaved, auth.EventLogin, auth.EventSaved}
	if got := rec.kinds(); !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v: the one taken and the two queued", got, want)
	}
}

// A hook that panics breaks nothing: the refresh completes, the panic is
// logged, and the hook keeps receiving events.
func TestPanickingEventHookIsRecovered(t *testing.T) {
	var calls atomic.Int32
	e := newEnv(t, func(o *auth.Options) {
		o.OnEvent = func(context.Context, auth.Event) {
			calls.Add(1)
			panic("hook bug")
		}
	})
	h, before := e.login()
	e.clk.Advance(2 * time.Hour)
	after, err := h.AccessToken(ctx)
	if err != nil || after == before {
		t.Fatalf("refresh with a panicking hook: %v", err)
	}
	e.a.FlushEvents()
	if n := calls.Load(); n < 3 {
		t.Fatalf("hook called %d times: a panic stopped the deliveries", n)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "event hook panicked") || !strings.Contains(logs, "hook bug") {
		t.Fatalf("panic not logged:\n%s", logs)
	}
}

// Each kind has a stable name, as logs and JSON show it.
func TestEventKindNames(t *testing.T) {
	want := map[auth.EventKind]string{
		auth.EventRefreshed: "refreshed", auth.EventRefreshFailed: "refresh_failed", auth.EventReauthorize: "reauthorize",
		auth.EventRevoked: "revoked", auth.EventSaved: "saved", auth.EventLockTakenOver: "lock_taken_over",
		auth.EventThrottled: "throttled", auth.EventLogin: "login", auth.EventLoginReplaced: "login_replaced",
		auth.EventLoginLimit: "login_limit", auth.EventPolicyApplied: "policy_applied", auth.EventRecordFailed: "record_failed", 0: "EventKind(0)",
	}
	for k, name := range want {
		if k.String() != name {
			t.Errorf("%d: %q, want %q", k, k.String(), name)
		}
	}
}

// A kind past the last one is printed by number (the first unnamed one
// included), without indexing past the names.
func TestEventKindPastTheLast(t *testing.T) {
	last := auth.EventRecordFailed
	for k := last + 1; k <= last+2; k++ {
		if got, want := k.String(), fmt.Sprintf("EventKind(%d)", uint8(k)); got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}

// String prints the non-zero fields, space-separated, and leaves the zero
// ones out.
func TestEventString(t *testing.T) {
	tm := time.Date(2026, 5, 6, 7, 0, 0, 0, time.UTC)
	ev := auth.Event{Kind: auth.EventLoginLimit, Time: tm, User: "ann", Logins: 3, Duration: 2 * time.Second}
	want := "auth.Event{kind=login_limit time=" + tm.String() + " user=ann logins=3 duration=2s}"
	if got := ev.String(); got != want {
		t.Errorf("String() = %q\nwant       %q", got, want)
	}
	zero := auth.Event{Kind: auth.EventRefreshed, Time: tm}
	if got, want := zero.String(), "auth.Event{kind=refreshed time="+tm.String()+"}"; got != want {
		t.Errorf("String() = %q\nwant       %q", got, want)
	}
}

// MarshalJSON writes a duration as text, and no duration when it is zero.
func TestEventJSONDuration(t *testing.T) {
	ev := auth.Event{Kind: auth.EventRefreshed, Duration: 1500 * time.Millisecond}
	b, err := json.Marshal(ev)
	if err != nil || !strings.Contains(string(b), `"duration":"1.5s"`) {
		t.Fatalf("%s %v, want duration 1.5s", b, err)
	}
	b, err = json.Marshal(auth.Event{Kind: auth.EventRefreshed})
	if err != nil || strings.Contains(string(b), "duration") {
		t.Fatalf("%s %v, want no duration", b, err)
	}
}
