package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/clock"
)

// phase is where a token is in its life.
type phase uint8

const (
	fresh   phase = iota // valid, outside the margin: hand it out
	stale                // valid, inside the margin: hand it out, renew in the background
	expired              // expired or unusable: renew before handing out
)

// state is one published, immutable view of an entry's token. The hot path
// loads it with one atomic load.
type state struct {
	access  string
	tok     *zohoauth.Token // never modified once published
	phase   phase
	staleAt time.Time // zero when the token has no expiry
	expiry  time.Time // tok.Expiry, or the session's end when sooner (Policies.SessionLifetime)
}

// failure is a remembered renewal failure.
type failure struct {
	err     error
	until   time.Time
	reauth  bool     // ErrReauthorize: retried only if the stored refresh token changes
	refresh [32]byte // renewalKey of the token that failed (no secret kept)
}

// flight is one renewal in progress, shared by every caller that waits.
//
// It is not a golang.org/x/sync/singleflight call, as a resolution is
// (Handle.resolve), because its callers need what singleflight hides:
//   - whether the running renewal is forced: a caller whose access token
//     Zoho rejected may join a renewal only if it is forced or replaces
//     that token, and otherwise waits for it and forces the next one. A
//     separate singleflight key for forced renewals would let a forced and
//     an unforced renewal of one token run at once: two refreshes, where
//     this package makes one per token at a time;
//   - joining or starting must be decided atomically with the entry's
//     state under e.mu (closed, the remembered failure and its cool-down,
//     the current token), and the result installed under e.mu before any
//     waiter wakes;
//   - a background renewal of a stale token starts without a waiter, and
//     the hot path checks for a running one without a lock (e.busy).
type flight struct {
	done  chan struct{}
	force bool
	st    *state // result, set before done closes
	err   error
}

// entry is the in-process state of one stored token (by id).
type entry struct {
	a  *Authenticator
	id string

	cur  atomic.Pointer[state]
	busy atomic.Bool // a flight is running
	dead atomic.Bool // closed: handles must resolve again
	used atomic.Bool // handed out since the last flush of uses (Options.UseInterval)

	mu     sync.Mutex // guards the fields below
	flight *flight
	timer  clock.Timer
	fail   *failure
	closed bool
	end    time.Time // end of the token's session (Policies.SessionLifetime); zero: none known
}

var expiredNone = &state{phase: expired}

// phaseAt returns the phase of a token with the given stale and expiry
// instants at now.
func phaseAt(staleAt, expiry, now time.Time) phase {
	switch {
	case expiry.IsZero():
		return fresh
	case !now.Before(expiry):
		return expired
	case !now.Before(staleAt):
		return stale
	}
	return fresh
}

// installLocked publishes tok as the current token and arms the timer for
// its next phase change. A token just renewed (renewed) is never stale
// before half its lifetime, so that a margin longer than Zoho's lifetime
// does not renew in a loop. e.mu is held.
func (e *entry) installLocked(tok *zohoauth.Token, renewed bool) *state {
	now := e.a.clock.Now()
	s := &state{access: tok.AccessToken, tok: tok, expiry: tok.Expiry}
	if !tok.Expiry.IsZero() {
		margin := e.a.margin
		if left := tok.Expiry.Sub(now); renewed && margin > left/2 {
			margin = max(left/2, 0)
		}
		s.staleAt = tok.Expiry.Add(-margin)
	}
	if !e.end.IsZero() && (s.expiry.IsZero() || e.end.Before(s.expiry)) {
		// The session ends first: the token is handed out until then, and
		// not renewed in the background (the renewal would be refused).
		s.expiry = e.end
		if s.staleAt.IsZero() || e.end.Before(s.staleAt) {
			s.staleAt = e.end
		}
	}
	s.phase = phaseAt(s.staleAt, s.expiry, now)
	if tok.AccessToken == "" {
		s.phase = expired
	}
	e.cur.Store(s)
	e.armLocked(s, now)
	return s
}

// armLocked (re)starts the timer for s's next phase change. e.mu is held.
func (e *entry) armLocked(s *state, now time.Time) {
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	if e.closed || s.tok == nil || s.expiry.IsZero() || s.phase == expired {
		return
	}
	at := s.expiry
	if s.phase == fresh {
		at = s.staleAt
	}
	e.timer = e.a.clock.AfterFunc(at.Sub(now), func() { e.tick(s) })
}

// tick moves s to the phase the clock now says, if s is still current. A
// timer that fires early (the wall clock was set back) re-arms.
func (e *entry) tick(s *state) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur.Load() != s {
		return // replaced (renewed, or moved on by an earlier tick)
	}
	now := e.a.clock.Now()
	p := phaseAt(s.staleAt, s.expiry, now)
	if p == s.phase {
		e.armLocked(s, now)
		return
	}
	next := *s
	next.phase = p
	e.cur.Store(&next)
	e.armLocked(&next, now)
	if p == stale {
		e.a.log.Debug("zohoauth: access token entered the refresh margin", "id", e.id, "expiry", s.tok.Expiry)
	}
}

// close stops the timer and makes the hot path fall through to ErrClosed.
func (e *entry) close() {
	e.dead.Store(true)
	e.mu.Lock()
	e.closed = true
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	e.cur.Store(expiredNone)
	e.mu.Unlock()
}

// failingLocked returns the remembered failure that still holds at now, or nil.
// e.mu is held.
func (e *entry) failingLocked(now time.Time) *failure {
	if e.fail != nil && now.Before(e.fail.until) {
		return e.fail
	}
	return nil
}

// kick starts a background renewal of a stale token, unless one runs or a
// failure is remembered. The caller goes on with the stale token.
func (e *entry) kick(ctx context.Context) {
	if e.busy.Load() {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.flight != nil || e.closed || e.failingLocked(e.a.clock.Now()) != nil {
		return
	}
	e.startLocked(ctx, renewReq{id: e.id})
}

// await returns a usable state, renewing the token if needed: it joins the
// running renewal or starts one, and waits for it or for ctx. With force,
// it renews unless the current access token is no longer failedAccess (a
// renewal already replaced it).
func (e *entry) await(ctx context.Context, force bool, failedAccess string) (*state, error) {
	for range 2 {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return nil, ErrClosed
		}
		s := e.cur.Load()
		if s != nil && s.phase != expired && (!force || s.access != failedAccess) {
			e.mu.Unlock()
			return s, nil
		}
		f := e.flight
		if f == nil {
			if fl := e.failingLocked(e.a.clock.Now()); fl != nil && !fl.reauth {
				e.mu.Unlock()
				return nil, fl.err
			}
			f = e.startLocked(ctx, renewReq{id: e.id, force: force, failedAccess: failedAccess})
		}
		e.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if f.err != nil {
			return nil, f.err
		}
		if force && !f.force && f.st.access == failedAccess {
			continue // joined a renewal that kept the failed token: force one
		}
		if f.st.phase == expired {
			continue // the renewal kept a token that expired meanwhile: decide again
		}
		return f.st, nil
	}
	return nil, &zohoauth.Error{Code: zohoauth.CodeInvalidToken, Message: "access token rejected and not renewed"}
}

// startLocked starts a renewal on a context detached from ctx's
// cancellation, bounded by the refresh timeout. e.mu is held.
func (e *entry) startLocked(ctx context.Context, req renewReq) *flight {
	a := e.a
	f := &flight{done: make(chan struct{}), force: req.force}
	var before string // the access token this renewal may replace
	if s := e.cur.Load(); s != nil {
		before = s.access
		if req.owner == nil {
			req.owner = s.tok
		}
	}
	e.flight = f
	e.busy.Store(true)
	if fl := e.failingLocked(a.clock.Now()); fl != nil && fl.reauth {
		req.failed = fl
	}
	note := &lifeNote{}
	req.life = note
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.refreshTimeout)
		tok, err := a.renew(rctx, req)
		cancel()
		e.mu.Lock()
		if note.set {
			e.end = note.end
		}
		if err == nil && e.closed {
			f.err = ErrClosed
		} else if err == nil {
			f.st = e.installLocked(tok, true)
			if f.st.phase == expired && tok.AccessToken != before && tok.AccessToken != "" && (e.end.IsZero() || a.clock.Now().Before(e.end)) {
				// A token Zoho just issued is usable even if the clock
				// says it expired (a lifetime shorter than the time the
				// call took). A token the renewal kept as it was stays
				// expired: it was valid when decided, not now.
				f.st = &state{access: tok.AccessToken, tok: tok, phase: fresh}
			}
			e.fail = nil
		} else {
			f.err = err
			e.rememberLocked(err, req.failed)
		}
		e.flight = nil
		e.busy.Store(false)
		e.mu.Unlock()
		if err != nil && errors.Is(err, zohoauth.ErrNotFound) {
			// Deleted from the store: resolve afresh next time. Before
			// the waiters wake, so that none of them, told ErrNotFound,
			// is handed the deleted token by its next call.
			a.forget(e)
		}
		close(f.done)
	}()
	return f
}

// rememberLocked records a failed renewal for the cool-down that fits it.
// e.mu is held.
func (e *entry) rememberLocked(err error, prev *failure) {
	if prev != nil && errors.Is(err, prev.err) {
		return // the remembered failure, handed out again: keep its deadline
	}
	e.fail = e.a.failureOf(err)
}

// failureOf returns how long err is remembered, and for which refresh
// token.
func (a *Authenticator) failureOf(err error) *failure {
	now := a.clock.Now()
	fl := &failure{err: err}
	switch {
	case errors.Is(err, ErrReauthorize):
		fl.reauth, fl.until = true, now.Add(a.cooldown)
		var re *reauthError
		if errors.As(err, &re) {
			fl.refresh = re.refresh
		}
	case Permanent(err):
		fl.until = now.Add(a.cooldown)
	case errors.Is(err, accounts.ErrThrottled):
		fl.until = now.Add(a.throttleCooldown)
	default:
		fl.until = now.Add(a.retryBackoff)
	}
	return fl
}
