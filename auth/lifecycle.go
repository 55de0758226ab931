package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/clock"
)

// Names of the policies, in errors, events and reports.
const (
	PolicySessionLifetime = "session_lifetime"
	PolicyIdleTimeout     = "idle_timeout"
	PolicyFailureDays     = "failure_days"
	// PolicyOrphan is the sweeper's removal of a lifecycle record whose
	// token was deleted by another program.
	PolicyOrphan = "orphan"
)

// DefaultUseInterval is the default of Options.UseInterval.
const DefaultUseInterval = time.Hour

// recordTimeout bounds one write of a lifecycle record.
const recordTimeout = 5 * time.Second

// Policies are the lifecycle policies of an Authenticator (Options.Policies).
// Each needs a store that keeps lifecycle records (zohoauth.LifecycleKeeper):
// New refuses a policy on a store without them (*PolicyStoreError). The zero
// value sets none.
type Policies struct {
	// SessionLifetime ends a login: a token whose login (Lifecycle.LoginAt)
	// is older than this is no longer handed out nor refreshed; its use
	// fails, without a call to Zoho, with a *PolicyError matching
	// ErrReauthorize and ErrSessionExpired, until a new login of the user
	// replaces it. A token whose login time is unknown (saved by Zoho's
	// SDKs, or before its store kept lifecycles) is not limited. 0: none.
	SessionLifetime time.Duration
	// IdleTimeout removes unused tokens: Sweep revokes at Zoho and deletes
	// a token that was neither used, refreshed nor logged in for this long.
	// Uses are recorded every Options.UseInterval at most, so it must be at
	// least twice that. A token with no lifecycle record is stamped by the
	// first sweep that sees it (Lifecycle.LastUsedAt): its idle time counts
	// from then. 0: none.
	IdleTimeout time.Duration
	// FailureDays gives up a token whose refreshes failed on this many
	// distinct days (UTC) since its last success: it is marked exhausted
	// (Lifecycle.ExhaustedAt), reported (EventPolicyApplied), and its use
	// fails, without a call to Zoho, with a *PolicyError matching
	// ErrReauthorize and ErrExhausted until a new login replaces it. 0:
	// none.
	FailureDays int
}

// IsZero reports whether p sets no policy.
func (p Policies) IsZero() bool { return p == Policies{} }

// names returns the names of the policies p sets.
func (p Policies) names() []string {
	var n []string
	if p.SessionLifetime != 0 {
		n = append(n, PolicySessionLifetime)
	}
	if p.IdleTimeout != 0 {
		n = append(n, PolicyIdleTimeout)
	}
	if p.FailureDays != 0 {
		n = append(n, PolicyFailureDays)
	}
	return n
}

// Errors of the policies.
var (
	// ErrSessionExpired reports a token whose login is older than
	// Policies.SessionLifetime. Errors matching it match ErrReauthorize.
	ErrSessionExpired = errors.New("session lifetime exceeded")
	// ErrExhausted reports a token given up after Policies.FailureDays days
	// of failed refreshes. Errors matching it match ErrReauthorize.
	ErrExhausted = errors.New("token exhausted after days of failed refreshes")
	// ErrPolicyUnsupported reports a policy set on a store that does not
	// keep lifecycle records (*PolicyStoreError).
	ErrPolicyUnsupported = errors.New("the store does not keep lifecycle records")
	// ErrInvalidPolicy reports a policy value New refuses (negative, or an
	// idle timeout shorter than twice the use interval).
	ErrInvalidPolicy = errors.New("invalid policy")
)

// PolicyError is the refusal of a token by a policy: its use fails
// without a call to Zoho. It matches ErrReauthorize and its cause
// (ErrSessionExpired, ErrExhausted). It holds no secret.
type PolicyError struct {
	// Policy is PolicySessionLifetime or PolicyFailureDays.
	Policy string
	// TokenID is the store id of the refused token.
	TokenID string
	// Since is when the policy took effect: the end of the session, or
	// when the token was marked exhausted.
	Since time.Time
	// Err is ErrSessionExpired or ErrExhausted.
	Err error
}

// Error says which policy refused the token, and since when.
func (e *PolicyError) Error() string {
	return fmt.Sprintf("policy %s: %v since %s", e.Policy, e.Err, e.Since.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrReauthorize and the cause.
func (e *PolicyError) Unwrap() []error { return []error{ErrReauthorize, e.Err} }

// PolicyStoreError is New's refusal of a policy on a store that does not
// keep lifecycle records. It matches ErrPolicyUnsupported.
type PolicyStoreError struct {
	// Store is the store's Go type, such as "*filestore.Store".
	Store string
	// Policy is the policy's name (PolicySessionLifetime, …).
	Policy string
}

// Error names the policy and the store type.
func (e *PolicyStoreError) Error() string {
	return fmt.Sprintf("auth: policy %s needs a store that keeps lifecycle records (zohoauth.LifecycleKeeper); a %s does not", e.Policy, e.Store)
}

// Unwrap returns ErrPolicyUnsupported.
func (e *PolicyStoreError) Unwrap() error { return ErrPolicyUnsupported }

// checkPolicies returns New's error for the policies of opts over store,
// nil when they are usable.
func checkPolicies(store zohoauth.Store, keeper zohoauth.LifecycleKeeper, opts Options, useEvery time.Duration) error {
	p := opts.Policies
	switch {
	case p.SessionLifetime < 0:
		return fmt.Errorf("auth: %w: %s %v is negative", ErrInvalidPolicy, PolicySessionLifetime, p.SessionLifetime)
	case p.IdleTimeout < 0:
		return fmt.Errorf("auth: %w: %s %v is negative", ErrInvalidPolicy, PolicyIdleTimeout, p.IdleTimeout)
	case p.FailureDays < 0:
		return fmt.Errorf("auth: %w: %s %d is negative", ErrInvalidPolicy, PolicyFailureDays, p.FailureDays)
	case p.IdleTimeout > 0 && p.IdleTimeout < 2*useEvery:
		return fmt.Errorf("auth: %w: %s %v is shorter than twice the use interval %v (uses are recorded that coarsely)", ErrInvalidPolicy, PolicyIdleTimeout, p.IdleTimeout, useEvery)
	case opts.SweepInterval < 0:
		return fmt.Errorf("auth: %w: sweep interval %v is negative", ErrInvalidPolicy, opts.SweepInterval)
	}
	if keeper == nil {
		if n := p.names(); len(n) > 0 {
			return &PolicyStoreError{Store: fmt.Sprintf("%T", store), Policy: n[0]}
		}
	}
	return nil
}

// errSkip aborts an UpdateLifecycle whose change is not needed.
var errSkip = errors.New("auth: lifecycle unchanged")

// record applies fn to the lifecycle record of id, on a context of its own
// (detached from ctx's cancellation, bounded by recordTimeout). A failure
// is logged and reported (EventRecordFailed), never returned: recording
// never fails what it records. It returns the stored record and whether fn
// changed it.
func (a *Authenticator) record(ctx context.Context, id, what string, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, bool) {
	if a.keeper == nil || id == "" {
		return zohoauth.Lifecycle{}, false
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	lc, err := a.keeper.UpdateLifecycle(rctx, id, fn)
	switch {
	case errors.Is(err, errSkip):
		return lc, false
	case err != nil:
		a.log.Warn("zohoauth: lifecycle not recorded", "id", id, "what", what, "error", err)
		ev := a.tokenEvent(EventRecordFailed, nil)
		ev.TokenID, ev.Err = id, fmt.Errorf("auth: token %s: record %s: %w", id, what, err)
		a.emit(ctx, ev)
		return lc, false
	}
	return lc, true
}

// recordLogin records a login of the saved token tok: a new LoginAt, and
// nothing of the refresh token it replaced (failures, exhaustion).
func (a *Authenticator) recordLogin(ctx context.Context, tok *zohoauth.Token) {
	now := a.clock.Now()
	a.record(ctx, tok.ID, "login", func(l *zohoauth.Lifecycle) error {
		*l = zohoauth.Lifecycle{ID: l.ID, LoginAt: now}
		return nil
	})
}

// recordRefresh records the outcome of a refresh of the stored token id
// that Zoho was asked for: a success resets the failures, a failure counts
// (FailureDays at most once a UTC day) and may exhaust the token
// (Policies.FailureDays), which is reported.
func (a *Authenticator) recordRefresh(ctx context.Context, id string, tok *zohoauth.Token, err error) {
	now := a.clock.Now()
	if err == nil {
		a.record(ctx, id, "refresh", func(l *zohoauth.Lifecycle) error {
			l.LastRefreshAt, l.Failures, l.FailureDays, l.LastError = now, 0, 0, ""
			return nil
		})
		return
	}
	class := errorClass(err)
	n := a.policies.FailureDays
	exhausted := false
	lc, _ := a.record(ctx, id, "failure", func(l *zohoauth.Lifecycle) error {
		exhausted = false // fn may run again
		if l.LastFailureAt.IsZero() || !sameUTCDay(l.LastFailureAt, now) {
			l.FailureDays++
		}
		l.Failures++
		l.LastFailureAt, l.LastError = now, class
		if n > 0 && l.FailureDays >= n && l.ExhaustedAt.IsZero() {
			l.ExhaustedAt, exhausted = now, true
		}
		return nil
	})
	if exhausted {
		a.log.Warn("zohoauth: token exhausted: its refreshes failed on too many days; it is no longer refreshed until a new login", "id", id, "failure_days", lc.FailureDays, "failures", lc.Failures, "last_error", class)
		ev := a.tokenEvent(EventPolicyApplied, tok)
		ev.TokenID, ev.Policy, ev.Action = id, PolicyFailureDays, ActionExhausted
		a.emit(ctx, ev)
	}
}

// sameUTCDay reports whether a and b fall on the same day in UTC.
func sameUTCDay(a, b time.Time) bool {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}

// errorClass is the short reason of a failed refresh kept in
// Lifecycle.LastError: Zoho's error code when it is one of those it is
// known to send, or a class (timeout, network, http_503, …). Never a
// server's free text nor a secret.
func errorClass(err error) string {
	var ae *accounts.Error
	switch {
	case errors.Is(err, accounts.ErrInvalidCode):
		return "invalid_code"
	case errors.Is(err, accounts.ErrInvalidClient):
		return "invalid_client"
	case errors.Is(err, accounts.ErrThrottled):
		return "throttled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &ae) && ae.StatusCode != 0:
		return "http_" + strconv.Itoa(ae.StatusCode)
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &ne):
		return "network"
	case errors.Is(err, accounts.ErrTransient):
		return "transient"
	case errors.Is(err, accounts.ErrMalformed):
		return "malformed"
	}
	return "error"
}

// needsLife reports whether a renewal must read the token's lifecycle: a
// session lifetime or failure policy is set.
func (a *Authenticator) needsLife() bool {
	return a.keeper != nil && (a.policies.SessionLifetime > 0 || a.policies.FailureDays > 0)
}

// lifeNote is what a renewal learned of the token's session, for its
// entry's timer.
type lifeNote struct {
	set bool
	end time.Time // end of the session; zero when unlimited or unknown
}

// sessionEnd returns the end of the session of a login at loginAt, or the
// zero time when it is unlimited or loginAt unknown.
func (a *Authenticator) sessionEnd(loginAt time.Time) time.Time {
	if a.policies.SessionLifetime <= 0 || loginAt.IsZero() {
		return time.Time{}
	}
	return loginAt.Add(a.policies.SessionLifetime)
}

// refusal returns the *PolicyError with which the policies refuse a token
// whose record is lc, at now; nil when they let it be used.
func (a *Authenticator) refusal(lc zohoauth.Lifecycle, now time.Time) *PolicyError {
	if a.policies.FailureDays > 0 && !lc.ExhaustedAt.IsZero() {
		return &PolicyError{Policy: PolicyFailureDays, TokenID: lc.ID, Since: lc.ExhaustedAt, Err: ErrExhausted}
	}
	if end := a.sessionEnd(lc.LoginAt); !end.IsZero() && !now.Before(end) {
		return &PolicyError{Policy: PolicySessionLifetime, TokenID: lc.ID, Since: end, Err: ErrSessionExpired}
	}
	return nil
}

// checkPolicy reads the lifecycle of the stored token t and returns the
// policy's refusal (as an ErrReauthorize remembered for t's refresh
// token), or nil; it notes the session's end in note. A failure to read
// the record fails the renewal (a session lifetime is not skipped because
// the store stumbled).
func (a *Authenticator) checkPolicy(ctx context.Context, t *zohoauth.Token, now time.Time, note *lifeNote) error {
	lc, err := a.keeper.Lifecycle(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("auth: token %s: read lifecycle: %w", t.ID, err)
	}
	if note != nil {
		note.set, note.end = true, a.sessionEnd(lc.LoginAt)
	}
	if pe := a.refusal(lc, now); pe != nil {
		a.log.Info("zohoauth: token refused by a policy", "id", t.ID, "policy", pe.Policy, "since", pe.Since)
		ev := a.tokenEvent(EventPolicyApplied, t)
		ev.Policy, ev.Action, ev.Err = pe.Policy, ActionRefused, pe
		a.emit(ctx, ev)
		return &reauthError{id: t.ID, refresh: renewalKey(t), err: pe}
	}
	return nil
}

// flushUses flushes the uses seen since the last flush: LastUsedAt of each
// token used is set to now, unless it is already within an interval of
// now (another process recorded it), so each token's record is written
// at most once an interval by each process.
func (a *Authenticator) flushUses(ctx context.Context) {
	a.mu.Lock()
	var ids []string
	for id, e := range a.entries {
		if e.used.Swap(false) {
			ids = append(ids, id)
		}
	}
	a.mu.Unlock()
	now := a.clock.Now()
	recent := func(l zohoauth.Lifecycle) bool {
		return !l.LastUsedAt.IsZero() && now.Sub(l.LastUsedAt) < a.useEvery && !now.Before(l.LastUsedAt)
	}
	for _, id := range ids {
		// A plain read first: most flushes find the use recorded already
		// (by this process an interval ago, or by another), and an update
		// opens a write transaction on SQL stores (SQLite's takes the
		// database's write lock) that a short-lived process would pay at
		// every run. A failed read falls through to the update, which
		// re-checks and reports.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		l, err := a.keeper.Lifecycle(rctx, id)
		cancel()
		if err == nil && recent(l) {
			continue
		}
		a.record(ctx, id, "use", func(l *zohoauth.Lifecycle) error {
			if recent(*l) {
				return errSkip
			}
			l.LastUsedAt = now
			return nil
		})
	}
}

// useTick is the timer function of the use recorder: flush, re-arm.
func (a *Authenticator) useTick() {
	a.tick(&a.useTimer, a.useEvery, func() { a.flushUses(context.Background()) })
}

// tick runs work as the timer *t's function, counted in a.wg so that Close
// waits for it, and re-arms *t after every; it runs nothing once a is
// closed. The background jobs (the use recorder, the sweeper) share it.
func (a *Authenticator) tick(t *clock.Timer, every time.Duration, work func()) {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.wg.Add(1)
	a.mu.Unlock()
	defer a.wg.Done()
	work()
	a.mu.Lock()
	if !a.closed {
		(*t).Reset(every)
	}
	a.mu.Unlock()
}
