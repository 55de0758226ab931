package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// Actions of EventPolicyApplied and of a SweepItem.
const (
	// ActionRefused: a use of the token was refused (its session ended, or
	// it is exhausted); nothing changed in the store.
	ActionRefused = "refused"
	// ActionExhausted: the token was marked exhausted (Lifecycle.ExhaustedAt).
	ActionExhausted = "exhausted"
	// ActionRevoked: an idle token was revoked at Zoho and deleted.
	ActionRevoked = "revoked"
	// ActionRemoved: an orphan lifecycle record (its token was deleted by
	// another program) was deleted.
	ActionRemoved = "removed"
	// ActionStamped: a token without a lifecycle record was stamped with
	// the sweep's time (Lifecycle.LastUsedAt), from which its idle time
	// counts.
	ActionStamped = "stamped"
	// ActionSessionEnded: the token's session ended; it is kept (a new
	// login replaces it) and its next use is refused.
	ActionSessionEnded = "session_ended"
	// ActionFailed: an action failed; the token was left as it was.
	ActionFailed = "failed"
)

// Defaults of SweepOptions.
const (
	DefaultSweepInterval = time.Hour
	DefaultSweepWait     = 2 * time.Second
	DefaultSweepPage     = 500
	DefaultSweepItems    = 1000
)

// SweepLockName is the name of the store lock (zohoauth.Locker) under which
// a sweep runs.
const SweepLockName = "zohoauth:sweep"

// ErrSweepIncomplete reports a sweep some of whose actions failed (a
// revoke Zoho did not confirm, a store error): the SweepReport lists them
// as ActionFailed items, and the next sweep tries them again.
var ErrSweepIncomplete = errors.New("auth: some sweep actions failed")

// SweepOptions configure one Sweep.
type SweepOptions struct {
	// DryRun changes nothing, at Zoho or in the store, and takes no lock:
	// the report says what a sweep would do now.
	DryRun bool
	// Interval is the lease of the sweep lock: no other sweep of the fleet
	// starts within Interval of this one's start. 0 means
	// Options.SweepInterval, or DefaultSweepInterval when that is 0.
	Interval time.Duration
	// Wait is how long to wait for the sweep lock before reporting the
	// sweep skipped; 0 means DefaultSweepWait.
	Wait time.Duration
	// PageSize is how many tokens, and how many lifecycle records, are read
	// at a time; 0 means DefaultSweepPage.
	PageSize int
	// MaxItems is how many items the report lists at most (the counts are
	// exact); 0 means DefaultSweepItems.
	MaxItems int
}

// SweepReport is what a sweep did (or, in a dry run, would do). It holds no
// secret.
type SweepReport struct {
	DryRun bool `json:"dry_run"`
	// Skipped reports that another sweep holds the sweep lock: one ran
	// within the interval, or runs. Nothing was read.
	Skipped bool `json:"skipped"`
	// Started is when the sweep started, on the Authenticator's clock.
	Started time.Time `json:"started"`
	// Duration is how long it took.
	Duration time.Duration `json:"-"`
	// Tokens and Records are how many tokens and lifecycle records were
	// read.
	Tokens  int `json:"tokens"`
	Records int `json:"records"`
	// The counts of each action (in a dry run, of the actions it would
	// take): tokens revoked for idleness, marked exhausted, whose session
	// ended, stamped; orphan records removed; actions that failed.
	Revoked      int `json:"revoked"`
	Exhausted    int `json:"exhausted"`
	SessionEnded int `json:"session_ended"`
	Stamped      int `json:"stamped"`
	Removed      int `json:"removed"`
	Failed       int `json:"failed"`
	// Items lists the actions, at most SweepOptions.MaxItems of them, in
	// id order; Truncated counts those left out.
	Items     []SweepItem `json:"items"`
	Truncated int         `json:"truncated,omitempty"`
}

// SweepItem is one action of a sweep.
type SweepItem struct {
	ID       string `json:"id"`
	User     string `json:"user,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// Policy is PolicySessionLifetime, PolicyIdleTimeout,
	// PolicyFailureDays or PolicyOrphan.
	Policy string `json:"policy"`
	// Action is ActionRevoked, ActionExhausted, …; ActionFailed when the
	// action failed (Error says why).
	Action string `json:"action"`
	// Since is the time that made the policy apply: the last activity of
	// an idle token, the end of a session, the first failure day.
	Since time.Time `json:"since,omitzero"`
	// Error is the failure of an ActionFailed item; no secret.
	Error string `json:"error,omitempty"`
}

// Sweep applies the lifecycle policies (Options.Policies) to every stored
// token, and removes the lifecycle records whose token was deleted by
// another program (Zoho's SDKs):
//
//   - idle timeout: a token neither used, refreshed nor logged in for
//     Policies.IdleTimeout is revoked at Zoho and deleted, inside its store
//     lock, after its record is read again there (a use recorded meanwhile
//     keeps it). When Zoho does not confirm the revocation (out of reach,
//     5xx) the token is kept in the store and reported as failed: it is
//     never dropped while it may be live at Zoho, and the next sweep tries
//     again. A token without any record is stamped (ActionStamped).
//   - failure days: a token with failed refreshes on Policies.FailureDays
//     days is marked exhausted, if the Authenticator has not done it.
//   - session lifetime: a token whose session ended is reported; it is
//     kept, and refused when used.
//
// Tokens and records are read a page at a time (SweepOptions.PageSize), in
// id order, and joined, so a large store never sits in memory (a store
// that is not a zohoauth.Pager is read whole, as it can only be).
//
// When the store is a zohoauth.Locker, a sweep takes the lock
// SweepLockName with a lease of the interval and does not release it when
// it ends: the lease runs out one interval after the sweep started (or when
// the sweep ends, if it took longer), so that across a fleet sharing the
// store one sweep runs per interval, whichever process asks. A sweep that
// finds the lock held waits SweepOptions.Wait and returns a report with
// Skipped set and a nil error. Its limits: the interval is the caller's
// (processes with different intervals sweep at the shortest); a process
// that dies mid-sweep blocks the next sweep until its lease runs out; and
// without a Locker every process sweeps (each action is still re-checked
// under the token's lock when there is one, so a token is revoked once).
// A dry run takes no lock.
//
// Each action is complete or not done: a sweep cancelled halfway (ctx)
// returns its partial report with ctx's error; a revoke Zoho confirmed is
// followed by the delete even if ctx ends; nothing is deleted before Zoho
// confirms. Failed actions give an error matching ErrSweepIncomplete with
// the report.
func (a *Authenticator) Sweep(ctx context.Context, opts SweepOptions) (rep SweepReport, err error) {
	now := a.clock.Now()
	rep = SweepReport{DryRun: opts.DryRun, Started: now, Items: []SweepItem{}}
	start := time.Now()
	defer func() { rep.Duration = time.Since(start) }()
	a.mu.Lock()
	closed := a.closed
	a.mu.Unlock()
	if closed {
		return rep, ErrClosed
	}
	if a.keeper == nil {
		return rep, &PolicyStoreError{Store: a.storeType, Policy: "sweep"}
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = orDefault(a.sweepEvery, DefaultSweepInterval)
	}
	if !opts.DryRun && a.locker != nil {
		wctx, cancel := context.WithTimeout(ctx, orDefault(opts.Wait, DefaultSweepWait))
		lk, err := a.locker.Lock(wctx, SweepLockName, interval)
		cancel()
		if err != nil {
			if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				a.log.Info("zohoauth: sweep skipped: another sweep holds the lock (it ran within the interval, or runs)", "interval", interval)
				rep.Skipped = true
				return rep, nil
			}
			return rep, fmt.Errorf("auth: sweep: lock: %w", err)
		}
		sl := a.holdFor(ctx, lk, "sweep lock", interval, a.log)
		defer a.endSweepHold(sl, now, interval)
	}
	sw := &sweeper{a: a, rep: &rep, now: now, dry: opts.DryRun, max: opts.MaxItems}
	if sw.max <= 0 {
		sw.max = DefaultSweepItems
	}
	size := opts.PageSize
	if size <= 0 {
		size = DefaultSweepPage
	}
	err = sw.run(ctx, size)
	a.log.Info("zohoauth: sweep done", "dry_run", rep.DryRun, "tokens", rep.Tokens, "records", rep.Records,
		"revoked", rep.Revoked, "exhausted", rep.Exhausted, "session_ended", rep.SessionEnded, "stamped", rep.Stamped,
		"removed", rep.Removed, "failed", rep.Failed, "duration", time.Since(start), "error", err)
	if err != nil {
		return rep, fmt.Errorf("auth: sweep: %w", err)
	}
	if rep.Failed > 0 {
		return rep, fmt.Errorf("%w (%d)", ErrSweepIncomplete, rep.Failed)
	}
	return rep, nil
}

// endSweepHold stops the extensions of the sweep lock h and sets its lease
// to end one interval after the sweep's start; a sweep that took longer
// releases the lock.
func (a *Authenticator) endSweepHold(h *holder, start time.Time, interval time.Duration) {
	h.stop()
	ctx, cancel := context.WithTimeout(h.ctx, unlockTimeout)
	defer cancel()
	var err error
	if left := start.Add(interval).Sub(a.clock.Now()); left > 0 {
		err = h.lk.Extend(ctx, left)
	} else {
		err = h.lk.Unlock(ctx)
	}
	if err != nil {
		a.log.Warn("zohoauth: sweep lock not left to its interval", "error", err)
	}
}

// sweeper is one sweep's state.
type sweeper struct {
	a   *Authenticator
	rep *SweepReport
	now time.Time
	dry bool
	max int
}

// add lists it in the report, up to the limit.
func (s *sweeper) add(it SweepItem) {
	if len(s.rep.Items) < s.max {
		s.rep.Items = append(s.rep.Items, it)
	} else {
		s.rep.Truncated++
	}
}

// fail counts and lists a failed action.
func (s *sweeper) fail(it SweepItem, err error) {
	s.rep.Failed++
	it.Action, it.Error = ActionFailed, err.Error()
	s.a.log.Warn("zohoauth: sweep action failed", "id", it.ID, "policy", it.Policy, "error", err)
	s.add(it)
}

// applied reports an action that was taken (not in a dry run) as an event.
func (s *sweeper) applied(ctx context.Context, t *zohoauth.Token, id, policy, action string) {
	if s.dry {
		return
	}
	ev := s.a.tokenEvent(EventPolicyApplied, t)
	ev.TokenID, ev.Policy, ev.Action = id, policy, action
	s.a.emit(ctx, ev)
}

// run walks the tokens and the records in id order, joined.
func (s *sweeper) run(ctx context.Context, size int) error {
	recs := &recCursor{k: s.a.keeper, size: size}
	err := s.eachTokenPage(ctx, size, func(page []*zohoauth.Token) error {
		for _, t := range page {
			if err := ctx.Err(); err != nil {
				return err
			}
			s.rep.Tokens++
			lc := zohoauth.Lifecycle{ID: t.ID}
			for {
				r, err := recs.peek(ctx)
				if err != nil {
					return err
				}
				if r == nil {
					break
				}
				c := storekit.CompareIDs(r.ID, t.ID)
				if c > 0 {
					break
				}
				rec := recs.pop()
				s.rep.Records++
				if c == 0 {
					lc = rec
					break
				}
				s.orphan(ctx, rec)
			}
			s.token(ctx, t, lc)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := recs.peek(ctx)
		if err != nil || r == nil {
			return err
		}
		rec := recs.pop()
		s.rep.Records++
		s.orphan(ctx, rec)
	}
}

// eachTokenPage calls fn with the stored tokens a page at a time in numeric
// id order: through TokensAfter when the store is a Pager, otherwise from
// Tokens, sorted.
func (s *sweeper) eachTokenPage(ctx context.Context, size int, fn func([]*zohoauth.Token) error) error {
	if _, ok := s.a.rawStore.(zohoauth.Pager); ok {
		return zohoauth.EachPage(ctx, s.a.rawStore, size, fn)
	}
	all, err := s.a.store.Tokens(ctx)
	if err != nil {
		return err
	}
	slices.SortFunc(all, func(x, y *zohoauth.Token) int { return storekit.CompareIDs(x.ID, y.ID) })
	for i := 0; i < len(all); i += size {
		if err := fn(all[i:min(i+size, len(all))]); err != nil {
			return err
		}
	}
	return nil
}

// recCursor reads the lifecycle records a page at a time.
type recCursor struct {
	k     zohoauth.LifecycleKeeper
	size  int
	buf   []zohoauth.Lifecycle
	after string
	done  bool
}

// peek returns the next record, or nil after the last.
func (c *recCursor) peek(ctx context.Context) (*zohoauth.Lifecycle, error) {
	for len(c.buf) == 0 && !c.done {
		page, err := c.k.LifecyclesAfter(ctx, c.after, c.size)
		if err != nil {
			return nil, err
		}
		c.done = len(page) < c.size
		if len(page) > 0 {
			c.after = page[len(page)-1].ID
		}
		c.buf = page
	}
	if len(c.buf) == 0 {
		return nil, nil
	}
	return &c.buf[0], nil
}

// pop removes and returns the next record.
func (c *recCursor) pop() zohoauth.Lifecycle {
	r := c.buf[0]
	c.buf = c.buf[1:]
	return r
}

// orphan removes the record rec when its token is indeed gone.
func (s *sweeper) orphan(ctx context.Context, rec zohoauth.Lifecycle) {
	it := SweepItem{ID: rec.ID, Policy: PolicyOrphan, Action: ActionRemoved}
	_, err := s.a.store.FindTokenByID(ctx, rec.ID)
	switch {
	case err == nil:
		return // saved since the page of tokens was read
	case !errors.Is(err, zohoauth.ErrNotFound):
		s.fail(it, fmt.Errorf("auth: token %s: re-read: %w", rec.ID, err))
		return
	}
	if !s.dry {
		if err := s.a.keeper.DeleteLifecycle(ctx, rec.ID); err != nil {
			s.fail(it, fmt.Errorf("auth: token %s: delete lifecycle: %w", rec.ID, err))
			return
		}
	}
	s.rep.Removed++
	s.add(it)
	s.applied(ctx, nil, rec.ID, PolicyOrphan, ActionRemoved)
}

// lastActivity is the latest of a record's login, use and refresh.
func lastActivity(lc zohoauth.Lifecycle) time.Time {
	t := lc.LoginAt
	for _, u := range []time.Time{lc.LastUsedAt, lc.LastRefreshAt} {
		if u.After(t) {
			t = u
		}
	}
	return t
}

// idle reports whether a token with record lc is idle at now.
func (a *Authenticator) idle(lc zohoauth.Lifecycle, now time.Time) bool {
	last := lastActivity(lc)
	return a.policies.IdleTimeout > 0 && !last.IsZero() && now.Sub(last) >= a.policies.IdleTimeout
}

// token applies the policies to the stored token t whose record is lc.
func (s *sweeper) token(ctx context.Context, t *zohoauth.Token, lc zohoauth.Lifecycle) {
	a, p := s.a, s.a.policies
	item := func(policy, action string, since time.Time) SweepItem {
		return SweepItem{ID: t.ID, User: t.UserName, ClientID: t.ClientID, Policy: policy, Action: action, Since: since}
	}
	if p.IdleTimeout > 0 {
		switch {
		case lastActivity(lc).IsZero():
			s.stamp(ctx, t, item(PolicyIdleTimeout, ActionStamped, time.Time{}))
		case a.idle(lc, s.now):
			if s.revokeIdle(ctx, t, item(PolicyIdleTimeout, ActionRevoked, lastActivity(lc))) {
				return
			}
		}
	}
	if p.FailureDays > 0 && lc.FailureDays >= p.FailureDays && lc.ExhaustedAt.IsZero() {
		s.exhaust(ctx, t, item(PolicyFailureDays, ActionExhausted, lc.LastFailureAt))
	}
	if end := a.sessionEnd(lc.LoginAt); !end.IsZero() && !s.now.Before(end) {
		s.rep.SessionEnded++
		s.add(item(PolicySessionLifetime, ActionSessionEnded, end))
	}
}

// stamp gives a token without a record the sweep's time as its last use.
func (s *sweeper) stamp(ctx context.Context, t *zohoauth.Token, it SweepItem) {
	if !s.dry {
		_, err := s.a.keeper.UpdateLifecycle(ctx, t.ID, func(l *zohoauth.Lifecycle) error {
			if !lastActivity(*l).IsZero() {
				return errSkip // recorded meanwhile
			}
			l.LastUsedAt = s.now
			return nil
		})
		if errors.Is(err, errSkip) {
			return
		}
		if err != nil {
			s.fail(it, fmt.Errorf("auth: token %s: stamp lifecycle: %w", t.ID, err))
			return
		}
	}
	s.rep.Stamped++
	s.add(it)
}

// exhaust marks t exhausted, if its record still says so.
func (s *sweeper) exhaust(ctx context.Context, t *zohoauth.Token, it SweepItem) {
	n := s.a.policies.FailureDays
	if !s.dry {
		_, err := s.a.keeper.UpdateLifecycle(ctx, t.ID, func(l *zohoauth.Lifecycle) error {
			if l.FailureDays < n || !l.ExhaustedAt.IsZero() {
				return errSkip
			}
			l.ExhaustedAt = s.now
			return nil
		})
		if errors.Is(err, errSkip) {
			return
		}
		if err != nil {
			s.fail(it, fmt.Errorf("auth: token %s: mark exhausted: %w", t.ID, err))
			return
		}
	}
	s.rep.Exhausted++
	s.add(it)
	s.applied(ctx, t, t.ID, PolicyFailureDays, ActionExhausted)
}

// revokeIdle revokes and deletes the idle token t (revokeOne: inside its
// lock, re-read), if it is still the same login and still idle there. It
// reports whether the token is gone.
func (s *sweeper) revokeIdle(ctx context.Context, t *zohoauth.Token, it SweepItem) bool {
	if s.dry {
		s.rep.Revoked++
		s.add(it)
		return true
	}
	a := s.a
	ok, fail := a.revokeOne(ctx, t.ID, func(cur *zohoauth.Token) bool {
		if cur.RefreshToken != t.RefreshToken {
			return false // another login meanwhile
		}
		lc, err := a.keeper.Lifecycle(ctx, t.ID)
		return err == nil && a.idle(lc, a.clock.Now()) // a use recorded meanwhile keeps it
	})
	switch {
	case fail != nil:
		s.fail(it, fail)
		return false
	case ok == nil:
		return false // used, replaced or deleted meanwhile
	}
	s.rep.Revoked++
	s.add(it)
	s.applied(ctx, t, t.ID, PolicyIdleTimeout, ActionRevoked)
	return true
}

// startSweeps arms the background sweep (Options.SweepInterval).
func (a *Authenticator) startSweeps() {
	ctx, cancel := context.WithCancel(context.Background())
	a.mu.Lock()
	a.sweepStop = cancel
	a.sweepTimer = a.clock.AfterFunc(a.sweepEvery, func() { a.sweepTick(ctx) })
	a.mu.Unlock()
}

// sweepTick runs one background sweep and re-arms the timer.
func (a *Authenticator) sweepTick(ctx context.Context) {
	a.tick(&a.sweepTimer, a.sweepEvery, func() {
		rep, err := a.Sweep(ctx, SweepOptions{Interval: a.sweepEvery})
		if err != nil {
			a.log.Warn("zohoauth: background sweep failed", "error", err, "failed", rep.Failed)
		}
	})
}
