package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/storekit"
)

// unlockTimeout bounds the release of a store lock.
const unlockTimeout = 5 * time.Second

// renewLocked runs the renewal of the stored token req.id inside the
// token's store lock: it waits for the lock (at most a.lockWait), extends
// its lease while the renewal runs, and releases it on a detached context.
// A wait that fails re-reads the store before failing.
func (a *Authenticator) renewLocked(ctx context.Context, l zohoauth.Locker, req renewReq) (*zohoauth.Token, error) {
	log := a.log.With("id", req.id)
	if req.failed != nil {
		// A remembered ErrReauthorize: only a changed stored refresh token
		// is worth the lock.
		cur, err := a.store.FindTokenByID(ctx, req.id)
		if err != nil {
			return nil, fmt.Errorf("auth: token %s: re-read: %w", req.id, err)
		}
		cur.Merge(req.seed)
		if renewalKey(cur) == req.failed.refresh {
			return nil, req.failed.err
		}
	}
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, a.lockWait)
	defer cancel()
	var fresh *zohoauth.Token // what done found renewed
	lk, err := storekit.LockUnless(wctx, l, storekit.LockName(req.id), a.lease, func(ctx context.Context) (bool, error) {
		fresh = a.renewedMeanwhile(ctx, req)
		return fresh != nil, nil
	})
	if errors.Is(err, storekit.ErrLockUnneeded) && fresh != nil {
		log.Debug("zohoauth: the lock holder renewed the token; not taking the lock", "waited", time.Since(start))
		use := req
		use.seed, use.useOnly = fresh, true
		tok, uerr := a.renewIn(ctx, use, nil)
		if !errors.Is(uerr, errNeedsLock) {
			return tok, uerr
		}
		// Valid when checked, in the refresh margin by now: wait for the
		// lock after all.
		lk, err = l.Lock(wctx, storekit.LockName(req.id), a.lease)
	}
	cancel()
	waited := time.Since(start)
	if err != nil {
		return a.lockFailed(ctx, req, err, waited, log)
	}
	log.Debug("zohoauth: refresh lock taken", "waited", waited)
	h := a.hold(ctx, lk, log)
	defer h.release()
	return a.renewIn(ctx, req, h)
}

// errNeedsLock reports a renewal with renewReq.useOnly that found the token
// in need of renewal after all.
var errNeedsLock = errors.New("auth: the token needs renewing under the lock")

// renewedMeanwhile re-reads the stored token req.id, outside the lock, after
// a wait for it: it returns the token when it can be used as it is (the
// holder of the lock renewed it), and nil otherwise, a failed read
// included (the waiter then tries the lock, and re-reads inside it).
func (a *Authenticator) renewedMeanwhile(ctx context.Context, req renewReq) *zohoauth.Token {
	cur, err := a.reread(ctx, req)
	if err != nil || (req.owner != nil && !sameOwner(req.owner, cur)) {
		return nil
	}
	if act, err := a.decide(cur, a.clock.Now(), req); err != nil || act != useAsIs {
		return nil
	}
	return cur
}

// lockFailed handles a failed wait for the store lock: the holder may have
// renewed the token meanwhile, so the store is re-read (on a context of its
// own: ctx may be what ended the wait) and a usable token is returned.
func (a *Authenticator) lockFailed(ctx context.Context, req renewReq, err error, waited time.Duration, log *slog.Logger) (*zohoauth.Token, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unlockTimeout)
	defer cancel()
	cause := err
	if errors.Is(err, context.DeadlineExceeded) {
		cause = fmt.Errorf("%w (waited %v): %w", ErrLockTimeout, waited.Round(time.Millisecond), err)
	}
	tok, rerr := a.adoptStored(rctx, req, cause)
	if rerr != nil {
		log.Warn("zohoauth: refresh lock not taken", "error", err, "waited", waited)
		return nil, rerr
	}
	log.Info("zohoauth: refresh lock not taken, but the store holds a renewed token", "waited", waited)
	return tok, nil
}

// holder is a held store lock whose lease is extended every third of it
// until it is stopped or released: the refresh lock of a renewal or a
// revocation, and the sweep lock while a sweep runs.
type holder struct {
	a     *Authenticator
	lk    zohoauth.Lock
	ctx   context.Context // detached from the work's cancellation
	log   *slog.Logger
	what  string        // "refresh lock", "sweep lock": for the log
	lease time.Duration // of each extension
	lost  atomic.Bool   // an extension reported zohoauth.ErrLockLost

	mu    sync.Mutex // held while extending, so that release waits for it
	done  bool
	timer clock.Timer
}

// hold starts extending the refresh lock lk's lease (Options.Lease) on a's
// clock.
func (a *Authenticator) hold(ctx context.Context, lk zohoauth.Lock, log *slog.Logger) *holder {
	return a.holdFor(ctx, lk, "refresh lock", a.lease, log)
}

// holdFor starts extending lk's lease to lease, every third of it.
func (a *Authenticator) holdFor(ctx context.Context, lk zohoauth.Lock, what string, lease time.Duration, log *slog.Logger) *holder {
	h := &holder{a: a, lk: lk, ctx: context.WithoutCancel(ctx), log: log, what: what, lease: lease}
	h.mu.Lock()
	h.timer = a.clock.AfterFunc(h.every(), h.extend)
	h.mu.Unlock()
	return h
}

// extend extends the lease and schedules the next extension, unless the lock
// was lost or released. A failure other than ErrLockLost (the store out of
// reach for a moment) is retried at the next tick.
func (h *holder) extend() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return
	}
	every := h.every()
	ctx, cancel := context.WithTimeout(h.ctx, every)
	err := h.lk.Extend(ctx, h.lease)
	cancel()
	switch {
	case errors.Is(err, zohoauth.ErrLockLost):
		h.lost.Store(true)
		h.log.Warn("zohoauth: "+h.what+" lost: its lease ran out", "error", err)
		return
	case err != nil:
		h.log.Warn("zohoauth: "+h.what+" lease not extended; retrying", "error", err)
	}
	h.timer.Reset(every)
}

// every is the interval of lease extensions: a third of the lease, and at
// least a millisecond.
func (h *holder) every() time.Duration { return max(h.lease/3, time.Millisecond) }

// stop stops the extensions, waiting for one in flight; the lock stays held
// until its lease runs out or it is released.
func (h *holder) stop() {
	h.mu.Lock()
	h.done = true
	h.timer.Stop()
	h.mu.Unlock()
}

// release stops the extensions and releases the lock, on a context detached
// from the renewal's.
func (h *holder) release() {
	h.stop()
	ctx, cancel := context.WithTimeout(h.ctx, unlockTimeout)
	defer cancel()
	if err := h.lk.Unlock(ctx); err != nil && !h.lost.Load() {
		h.log.Warn("zohoauth: "+h.what+" not released", "error", err)
	}
}
