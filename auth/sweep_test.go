package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
)

const idle = 48 * time.Hour

// sweepEnv is an env over a lifeStore with the idle policy.
func sweepEnv(t *testing.T, mod func(*auth.Options)) (*env, *lifeStore, *recorder) {
	st := newLifeStore()
	rec := &recorder{}
	e := newEnvWith(t, st, func(o *auth.Options) {
		o.Policies.IdleTimeout = idle
		o.OnEvent = rec.hook
		if mod != nil {
			mod(o)
		}
	})
	return e, st, rec
}

// userLogin logs a new user in and returns the handle.
func (e *env) userLogin(user string) *auth.Handle {
	e.t.Helper()
	e.srv.AddUser(zohotestUser(user, strconv.Itoa(len(user)*1000+int(user[0]))))
	h := e.a.For(&zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, GrantToken: e.grant(user)})
	mustAccess(e.t, h)
	return h
}

// live reports whether user's refresh token is live at Zoho.
func (e *env) live(user string) bool { return e.srv.RefreshTokens(clientID, user) > 0 }

// has reports whether the store holds id.
func (e *env) has(id string) bool {
	_, err := e.store.FindTokenByID(ctx, id)
	return err == nil
}

// quick are sweep options whose lock runs out at once, so that the next
// sweep of a test may run.
var quick = auth.SweepOptions{Interval: time.Millisecond}

// Idle tokens are revoked at Zoho and deleted; a used one is kept; a token
// without a record is stamped and removed an idle timeout later; a dry run
// reports the same and changes nothing.
func TestSweepIdle(t *testing.T) {
	e, st, rec := sweepEnv(t, nil)
	ann := e.userLogin("ann@example.com")
	bob := e.userLogin("bob@example.com")
	cid := e.userLogin("cid@example.com")
	e.clk.Advance(time.Hour)                                  // the logins' uses recorded
	if err := st.DeleteLifecycle(ctx, cid.ID()); err != nil { // as if saved by Zoho's SDK: no record
		t.Fatal(err)
	}
	e.clk.Advance(71 * time.Hour)
	mustAccess(t, ann)
	e.clk.Advance(time.Hour) // the use recorder writes ann's use

	dry := quick
	dry.DryRun = true
	rep, err := e.a.Sweep(ctx, dry)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Revoked != 1 || rep.Stamped != 1 || rep.Tokens != 3 || rep.Failed != 0 || len(rep.Items) != 2 || rep.Items[0].ID != bob.ID() || rep.Items[0].Action != auth.ActionRevoked || !rep.DryRun {
		t.Fatalf("dry run: %+v", rep)
	}
	if !e.has(bob.ID()) || !e.live("bob@example.com") || !st.rec(cid.ID()).IsZero() {
		t.Fatal("the dry run changed something")
	}

	rep, err = e.a.Sweep(ctx, quick)
	if err != nil || rep.Skipped {
		t.Fatalf("%+v %v", rep, err)
	}
	if rep.Revoked != 1 || rep.Stamped != 1 {
		t.Fatalf("sweep: %+v", rep)
	}
	if e.has(bob.ID()) || e.live("bob@example.com") {
		t.Fatal("idle bob still stored or live at Zoho")
	}
	if !e.has(ann.ID()) || !e.live("ann@example.com") || !e.has(cid.ID()) || !e.live("cid@example.com") {
		t.Fatal("a token in use, or one stamped, was removed")
	}
	if got := st.rec(cid.ID()); !got.LastUsedAt.Equal(e.clk.Now()) {
		t.Fatalf("cid not stamped: %+v", got)
	}
	if _, err := bob.AccessToken(ctx); err == nil {
		t.Fatal("a revoked token is still handed out")
	}
	e.a.FlushEvents()
	evs := rec.of(auth.EventPolicyApplied)
	if len(evs) != 1 || evs[0].TokenID != bob.ID() || evs[0].Action != auth.ActionRevoked || evs[0].Policy != auth.PolicyIdleTimeout {
		t.Fatalf("events %v", evs)
	}

	e.clk.Advance(idle)
	rep, err = e.a.Sweep(ctx, quick)
	if err != nil || rep.Revoked != 2 { // cid, stamped an idle timeout ago; ann, used 49 h ago
		t.Fatalf("%+v %v", rep, err)
	}
	if e.has(cid.ID()) || e.live("cid@example.com") {
		t.Fatal("cid kept")
	}
}

// An orphan record (its token deleted by Zoho's SDK) is removed; a dry run
// only reports it.
func TestSweepOrphans(t *testing.T) {
	e, st, _ := sweepEnv(t, nil)
	ann := e.userLogin("ann@example.com")
	st.put(zohoauth.Lifecycle{ID: "77", LoginAt: t0})
	st.put(zohoauth.Lifecycle{ID: "0", LoginAt: t0}) // before every token
	dry := quick
	dry.DryRun = true
	rep, err := e.a.Sweep(ctx, dry)
	if err != nil || rep.Removed != 2 || rep.Records != 3 || st.rec("77").IsZero() {
		t.Fatalf("dry: %+v %v", rep, err)
	}
	rep, err = e.a.Sweep(ctx, quick)
	if err != nil || rep.Removed != 2 || !st.rec("77").IsZero() || !st.rec("0").IsZero() || st.rec(ann.ID()).IsZero() {
		t.Fatalf("%+v %v", rep, err)
	}
}

// Zoho answering 5xx to the revocation of an idle token: the token is not
// deleted (it may still be live at Zoho), the sweep reports it failed, and
// the next sweep revokes it.
func TestSweepRevokeFailsAtZoho(t *testing.T) {
	e, st, _ := sweepEnv(t, nil)
	bob := e.userLogin("bob@example.com")
	e.clk.Advance(idle + time.Hour)
	f := zohoTestFault(tokenPath+"/revoke", 503)
	f.Times = -1
	e.srv.Inject(f)
	rep, err := e.a.Sweep(ctx, quick)
	if !errors.Is(err, auth.ErrSweepIncomplete) || rep.Failed != 1 || rep.Revoked != 0 || len(rep.Items) != 1 || rep.Items[0].Action != auth.ActionFailed || rep.Items[0].Error == "" {
		t.Fatalf("%+v %v", rep, err)
	}
	if !e.has(bob.ID()) || !e.live("bob@example.com") || st.rec(bob.ID()).IsZero() {
		t.Fatal("a token Zoho did not revoke was dropped")
	}
	e.srv.ClearFaults()
	rep, err = e.a.Sweep(ctx, quick)
	if err != nil || rep.Revoked != 1 || e.has(bob.ID()) || e.live("bob@example.com") {
		t.Fatalf("%+v %v", rep, err)
	}
}

// A use recorded after the page was read (by another process) keeps the
// token: idleness is checked again inside the token's lock.
func TestSweepUseMeanwhileKeepsToken(t *testing.T) {
	e, st, _ := sweepEnv(t, nil)
	bob := e.userLogin("bob@example.com")
	e.clk.Advance(idle + time.Hour)
	var once sync.Once
	st.before = func(op string) {
		if op == "find_by_id" { // revokeOne's re-read, inside the lock
			once.Do(func() { st.put(zohoauth.Lifecycle{ID: bob.ID(), LoginAt: t0, LastUsedAt: e.clk.Now()}) })
		}
	}
	rep, err := e.a.Sweep(ctx, quick)
	if err != nil || rep.Revoked != 0 || !e.has(bob.ID()) || !e.live("bob@example.com") {
		t.Fatalf("%+v %v", rep, err)
	}
}

// A sweep cancelled halfway, wherever it stops, leaves every token either
// stored and live at Zoho, or revoked and deleted: none deleted while live
// at Zoho, no token in use touched; the next sweep finishes the work.
func TestSweepCancelledHalfway(t *testing.T) {
	users := []string{"a1@example.com", "a2@example.com", "i1@example.com", "i2@example.com", "i3@example.com", "i4@example.com"}
	for stop := 1; stop <= 30; stop++ {
		t.Run(fmt.Sprint(stop), func(t *testing.T) {
			e, st, _ := sweepEnv(t, nil)
			hs := map[string]*auth.Handle{}
			for _, u := range users {
				hs[u] = e.userLogin(u)
			}
			e.clk.Advance(idle + time.Hour)
			mustAccess(t, hs["a1@example.com"])
			mustAccess(t, hs["a2@example.com"])
			e.clk.Advance(time.Hour) // their uses recorded
			sctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var n int
			var mu sync.Mutex
			st.before = func(string) {
				mu.Lock()
				defer mu.Unlock()
				if n++; n == stop {
					cancel()
				}
			}
			_, err := e.a.Sweep(sctx, quick)
			st.before = nil
			check := func(final bool) {
				t.Helper()
				for u, h := range hs {
					stored, live := e.has(h.ID()), e.live(u)
					active := u[0] == 'a'
					switch {
					case !stored && live:
						t.Fatalf("%s deleted while live at Zoho", u)
					case active && (!stored || !live):
						t.Fatalf("%s in use was revoked", u)
					case final && !active && (stored || live):
						t.Fatalf("%s idle still there after a full sweep", u)
					}
				}
			}
			check(false)
			if err == nil {
				t.Logf("stop %d: the sweep ended before the cancellation", stop)
			}
			rep, err := e.a.Sweep(ctx, quick)
			if err != nil {
				t.Fatalf("second sweep: %+v %v", rep, err)
			}
			check(true)
		})
	}
}

// Two processes sweeping at once over one store: one sweeps, the other
// is told it was skipped; a sweep within the interval is skipped too.
func TestSweepOneAtATime(t *testing.T) {
	e, st, _ := sweepEnv(t, nil)
	e.userLogin("bob@example.com")
	e.clk.Advance(idle + time.Hour)
	other, err := auth.New(st, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	opts := auth.SweepOptions{Interval: time.Hour, Wait: 50 * time.Millisecond}
	var wg sync.WaitGroup
	reps := make([]auth.SweepReport, 2)
	errs := make([]error, 2)
	for i, a := range []*auth.Authenticator{e.a, other} {
		wg.Go(func() { reps[i], errs[i] = a.Sweep(ctx, opts) })
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || reps[0].Skipped == reps[1].Skipped || reps[0].Revoked+reps[1].Revoked != 1 {
		t.Fatalf("%+v %v / %+v %v", reps[0], errs[0], reps[1], errs[1])
	}
	for _, a := range []*auth.Authenticator{e.a, other} {
		if rep, err := a.Sweep(ctx, opts); err != nil || !rep.Skipped || rep.Tokens != 0 {
			t.Fatalf("a sweep within the interval ran: %+v %v", rep, err)
		}
	}
	// A dry run is never skipped: it takes no lock.
	dry := opts
	dry.DryRun = true
	if rep, err := other.Sweep(ctx, dry); err != nil || rep.Skipped {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
}

// The background sweep (Options.SweepInterval) runs every interval on the
// Authenticator's clock, and stops at Close.
func TestSweepInBackground(t *testing.T) {
	e, _, rec := sweepEnv(t, func(o *auth.Options) { o.SweepInterval = idle + 2*time.Hour })
	bob := e.userLogin("bob@example.com")
	e.clk.Advance(idle + time.Hour) // idle, but no sweep yet
	if !e.has(bob.ID()) {
		t.Fatal("swept before the interval")
	}
	e.clk.Advance(time.Hour) // the first background sweep
	if e.has(bob.ID()) {
		t.Fatal("the background sweep did not revoke the idle token")
	}
	e.a.FlushEvents()
	if len(rec.of(auth.EventPolicyApplied)) != 1 {
		t.Fatalf("events %v", rec.of(auth.EventPolicyApplied))
	}
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(idle * 3) // no sweep after Close
}

// Tokens and records are read a page at a time (the whole store is never
// loaded), and every one is seen.
func TestSweepPages(t *testing.T) {
	e, st, _ := sweepEnv(t, nil)
	for i := range 50 {
		tok := &zohoauth.Token{ClientID: clientID, RefreshToken: fmt.Sprintf("1000.r%d", i), UserName: fmt.Sprintf("u%d@example.com:%d", i, i), APIDomain: "https://www.zohoapis.com"}
		if err := st.SaveToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			st.put(zohoauth.Lifecycle{ID: tok.ID, LoginAt: t0})
		}
		if i%5 == 0 {
			st.put(zohoauth.Lifecycle{ID: strconv.Itoa(1000 + i), LoginAt: t0}) // orphans among them
		}
	}
	opts := quick
	opts.PageSize = 7
	opts.DryRun = true
	st.allTokens.Store(0)
	rep, err := e.a.Sweep(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Tokens != 50 || rep.Records != 17+10 || rep.Removed != 10 || rep.Stamped != 33 {
		t.Fatalf("%+v", rep)
	}
	if st.allTokens.Load() != 0 || st.maxPage.Load() != 7 {
		t.Fatalf("Tokens called %d times; largest page %d", st.allTokens.Load(), st.maxPage.Load())
	}
	opts.MaxItems = 5
	rep, _ = e.a.Sweep(ctx, opts)
	if len(rep.Items) != 5 || rep.Truncated != 38 {
		t.Fatalf("items %d, truncated %d", len(rep.Items), rep.Truncated)
	}
}

// The sweep marks exhausted a token past the failure days (the policy was
// lowered), and reports ended sessions without touching them.
func TestSweepExhaustsAndReportsSessions(t *testing.T) {
	e, st, rec := sweepEnv(t, func(o *auth.Options) {
		o.Policies = auth.Policies{FailureDays: 3, SessionLifetime: 24 * time.Hour}
	})
	ann := e.userLogin("ann@example.com")
	bob := e.userLogin("bob@example.com")
	st.put(zohoauth.Lifecycle{ID: bob.ID(), LoginAt: t0.Add(time.Hour), Failures: 9, FailureDays: 4, LastFailureAt: t0, LastError: "http_500"})
	e.clk.Advance(2 * time.Hour)
	rep, err := e.a.Sweep(ctx, quick)
	if err != nil || rep.Exhausted != 1 || rep.SessionEnded != 0 || !st.rec(bob.ID()).ExhaustedAt.Equal(e.clk.Now()) {
		t.Fatalf("%+v %v", rep, err)
	}
	_, err = bob.AccessToken(ctx)
	e.clk.Advance(2 * time.Hour) // bob's access token expires: the renewal is refused
	_, err = bob.AccessToken(ctx)
	isErr(t, err, auth.ErrExhausted)
	e.clk.Advance(24 * time.Hour)
	rep, err = e.a.Sweep(ctx, quick)
	if err != nil || rep.SessionEnded != 2 || rep.Exhausted != 0 || !e.has(ann.ID()) {
		t.Fatalf("%+v %v", rep, err)
	}
	e.a.FlushEvents()
	var exhausted int
	for _, ev := range rec.of(auth.EventPolicyApplied) {
		if ev.Action == auth.ActionExhausted {
			exhausted++
		}
	}
	if exhausted != 1 {
		t.Fatalf("%d exhaustion events", exhausted)
	}
}

// Sweep needs a store that keeps lifecycle records.
func TestSweepNeedsLifecycles(t *testing.T) {
	a := mustNew(bare{newLifeStore().Store}, auth.Options{})
	defer a.Close()
	_, err := a.Sweep(ctx, auth.SweepOptions{})
	if !errors.Is(err, auth.ErrPolicyUnsupported) {
		t.Fatal(err)
	}
}

// The events of the policies (a refusal, an exhaustion, an idle token
// revoked, an orphan removed) and of a failed record hold no secret,
// however they are printed.
func TestPolicyEventsHoldNoSecret(t *testing.T) {
	e, st, rec := sweepEnv(t, func(o *auth.Options) {
		o.Policies.SessionLifetime = 24 * time.Hour
		o.Policies.FailureDays = 1
	})
	ann := e.userLogin("ann@example.com")
	bob := e.userLogin("bob@example.com")
	var secrets []string
	for _, h := range []*auth.Handle{ann, bob} {
		tok := e.stored(h.ID())
		secrets = append(secrets, tok.AccessToken, tok.RefreshToken, tok.ClientSecret)
	}
	st.put(zohoauth.Lifecycle{ID: "99", LoginAt: t0})
	e.failRefreshes()
	e.clk.Advance(2 * time.Hour)
	_, _ = bob.AccessToken(ctx) // fails: exhausted at once (one day)
	e.srv.ClearFaults()
	e.clk.Advance(23 * time.Hour)
	_, _ = ann.AccessToken(ctx) // session ended: refused
	st.failUpdates.Store(true)
	e.clk.Advance(idle) // use recorder: record_failed
	st.failUpdates.Store(false)
	if _, err := e.a.Sweep(ctx, quick); err != nil { // both idle: revoked; the orphan removed
		t.Fatal(err)
	}
	e.a.FlushEvents()
	actions := map[string]bool{}
	for _, ev := range rec.events() {
		if ev.Kind == auth.EventPolicyApplied {
			actions[ev.Action] = true
		}
		if ev.Kind == auth.EventRecordFailed {
			actions["record_failed"] = true
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{fmt.Sprintf("%v", ev), fmt.Sprintf("%+v", ev), fmt.Sprintf("%#v", ev), string(b)} {
			assertNoSecret(t, ev.Kind.String()+" event", s, secrets...)
		}
	}
	for _, a := range []string{auth.ActionRefused, auth.ActionExhausted, auth.ActionRevoked, auth.ActionRemoved, "record_failed"} {
		if !actions[a] {
			t.Errorf("no %s event: %v", a, rec.kinds())
		}
	}
}
