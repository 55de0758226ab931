package auth

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
)

// Handle is one user's token in an Authenticator: Zoho's switch_user
// without thread-locals. It is safe for concurrent use.
type Handle struct {
	a       *Authenticator
	partial *zohoauth.Token
	key     string
	e       atomic.Pointer[entry]
}

// AccessToken returns a valid access token, renewing it first if it expired
// or was never obtained. Inside the refresh margin it returns the still
// valid token at once and renews it in the background. When the token is
// valid this is one lock-free load, without reading the clock nor
// allocating.
func (h *Handle) AccessToken(ctx context.Context) (string, error) {
	if e := h.e.Load(); e != nil {
		if s := e.cur.Load(); s.phase == fresh {
			if !e.used.Load() { // a load, not a store, on the hot path: no contended write
				e.used.Store(true)
			}
			return s.access, nil
		}
	}
	s, err := h.state(ctx)
	if err != nil {
		return "", err
	}
	return s.access, nil
}

// Token returns a copy of the current token (valid, as for AccessToken),
// with every stored field. Printing it shows no secret.
func (h *Handle) Token(ctx context.Context) (*zohoauth.Token, error) {
	s, err := h.state(ctx)
	if err != nil {
		return nil, err
	}
	return s.tok.Clone(), nil
}

// ID returns the store id of the token, or "" before the first use.
func (h *Handle) ID() string {
	if e := h.e.Load(); e != nil {
		return e.id
	}
	return h.partial.ID
}

// Refresh renews the access token now, whatever its expiry, and returns the
// new token. Concurrent calls share one renewal.
func (h *Handle) Refresh(ctx context.Context) (*zohoauth.Token, error) {
	e, err := h.resolve(ctx)
	if err != nil {
		return nil, err
	}
	s := e.cur.Load()
	s, err = e.await(ctx, true, s.access)
	if err != nil {
		return nil, err
	}
	return s.tok.Clone(), nil
}

// Invalidate reports that Zoho rejected access (HTTP 401 INVALID_TOKEN) and
// returns the access token to use instead: the current one if a renewal
// already replaced access, otherwise a new one from a forced refresh shared
// with every concurrent caller.
func (h *Handle) Invalidate(ctx context.Context, access string) (string, error) {
	s, err := h.invalidate(ctx, access)
	if err != nil {
		return "", err
	}
	return s.access, nil
}

// invalidate is Invalidate, returning the state of the token to use.
func (h *Handle) invalidate(ctx context.Context, access string) (*state, error) {
	e, err := h.resolve(ctx)
	if err != nil {
		return nil, err
	}
	return e.await(ctx, true, access)
}

// current is AccessToken, returning the state of the token.
func (h *Handle) current(ctx context.Context) (*state, error) {
	if e := h.e.Load(); e != nil {
		if s := e.cur.Load(); s.phase == fresh {
			if !e.used.Load() {
				e.used.Store(true)
			}
			return s, nil
		}
	}
	return h.state(ctx)
}

// Revoke revokes the refresh token at Zoho (which revokes its access
// tokens too) and deletes the token from the store.
func (h *Handle) Revoke(ctx context.Context) error {
	e, err := h.resolve(ctx)
	if err != nil {
		return err
	}
	tok, err := h.a.store.FindTokenByID(ctx, e.id)
	if err != nil {
		return fmt.Errorf("auth: token %s: %w", e.id, err)
	}
	secret := tok.RefreshToken
	if secret == "" {
		secret = tok.AccessToken
	}
	if err := h.a.accounts.Revoke(ctx, tok, secret); err != nil {
		return fmt.Errorf("auth: token %s: %w", e.id, err)
	}
	h.a.log.Info("zohoauth: token revoked", "id", e.id, "user", tok.UserName)
	h.a.emit(ctx, h.a.tokenEvent(EventRevoked, tok))
	h.a.forget(e)
	h.e.Store(nil)
	if err := h.a.store.DeleteToken(ctx, e.id); err != nil {
		return fmt.Errorf("auth: token %s revoked at Zoho but not deleted: %w", e.id, err)
	}
	return nil
}

// state returns a usable state: the current one when fresh or stale (a
// stale one starts a background renewal), otherwise the result of a
// renewal.
func (h *Handle) state(ctx context.Context) (*state, error) {
	e, err := h.resolve(ctx)
	if err != nil {
		return nil, err
	}
	e.used.Store(true)
	switch s := e.cur.Load(); s.phase {
	case fresh:
		return s, nil
	case stale:
		e.kick(ctx)
		return s, nil
	}
	return e.await(ctx, false, "")
}

// resolve returns the entry of h's token, finding the token in the store
// (and obtaining and saving one if it is not there) on first use. Concurrent
// resolutions of one partial token share the work (a.resolving); a caller
// that gives up (ctx) leaves it running for the others.
func (h *Handle) resolve(ctx context.Context) (*entry, error) {
	if e := h.e.Load(); e != nil && !e.dead.Load() {
		return e, nil
	}
	a := h.a
	a.mu.Lock()
	e, err := a.settledLocked(h.key)
	a.mu.Unlock()
	if e == nil && err == nil {
		ch := a.resolving.DoChan(h.key, func() (any, error) { return a.runResolve(ctx, h.key, h.partial) })
		select {
		case r := <-ch:
			e, err = r.Val.(*entry), r.Err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	h.e.Store(e)
	return e, nil
}

// settledLocked returns what an earlier resolution of the partial token
// key settled: its entry, or its failure while it is remembered, or
// ErrClosed; nil and nil when the token must be resolved. a.mu is held.
func (a *Authenticator) settledLocked(key string) (*entry, error) {
	if a.closed {
		return nil, ErrClosed
	}
	if e := a.keys[key]; e != nil {
		return e, nil
	}
	if fl := a.keyFails[key]; fl != nil {
		if a.clock.Now().Before(fl.until) {
			return nil, fl.err
		}
		delete(a.keyFails, key)
	}
	return nil, nil
}

// remembered reports whether a failed resolution is remembered: a failure
// of Zoho's (not a store error, nor a bad partial token, which the caller
// fixes).
func remembered(err error) bool {
	var ae *accounts.Error
	return errors.As(err, &ae) || errors.Is(err, ErrReauthorize)
}

// runResolve finds partial's token and makes its entry usable, on a
// context detached from the caller's; it is the work of one resolution
// shared through a.resolving. A stored token's entry is kept even when its
// first renewal failed: the entry remembers the failure. It decides again
// under a.mu first: a resolution that ended between a caller's look and its
// joining a.resolving has settled what this one would do (a used grant code
// is not exchanged twice).
func (a *Authenticator) runResolve(ctx context.Context, key string, partial *zohoauth.Token) (*entry, error) {
	a.mu.Lock()
	if e, err := a.settledLocked(key); e != nil || err != nil {
		a.mu.Unlock()
		return e, err
	}
	a.wg.Add(1) // under a.mu, before Close can wait
	a.running++
	a.mu.Unlock()
	defer a.wg.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.refreshTimeout)
	defer cancel()
	e, err := a.resolveEntry(ctx, partial)
	a.mu.Lock()
	switch {
	case e != nil && !a.closed:
		a.keys[key] = e
	case err != nil && remembered(err):
		// A token not stored yet (so without an entry) whose exchange or
		// refresh failed: do not ask Zoho again at once (a used grant code
		// stays used).
		a.keyFails[key] = a.failureOf(err)
	}
	a.running--
	a.mu.Unlock()
	return e, err
}

func (a *Authenticator) resolveEntry(ctx context.Context, partial *zohoauth.Token) (*entry, error) {
	tok, err := a.lookup(ctx, partial)
	if err != nil {
		return nil, err
	}
	if tok.ID == "" {
		// Not stored yet: obtain and save it; the save gives it an id.
		note := &lifeNote{}
		tok, err = a.renew(ctx, renewReq{seed: tok, life: note})
		if err != nil {
			return nil, err
		}
		return a.adopt(tok, note)
	}
	now := a.clock.Now()
	var end time.Time // the session's end
	refused := false  // by a policy: the renewal says why
	if a.needsLife() {
		lc, err := a.keeper.Lifecycle(ctx, tok.ID)
		if err != nil {
			return nil, fmt.Errorf("auth: token %s: read lifecycle: %w", tok.ID, err)
		}
		end, refused = a.sessionEnd(lc.LoginAt), a.refusal(lc, now) != nil
	}
	e, err := a.entry(tok.ID)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if cur := e.cur.Load(); cur != nil && cur.tok != nil && !sameOwner(cur.tok, tok) {
		// The token this entry holds was deleted and its id given to
		// another login (the file and SQL stores reuse the greatest id):
		// drop the entry before anyone is handed its token.
		e.mu.Unlock()
		a.forget(e)
		if e, err = a.entry(tok.ID); err != nil {
			return nil, err
		}
		e.mu.Lock()
	}
	if e.cur.Load() != nil {
		e.mu.Unlock()
		return e, nil // another handle manages this token already
	}
	e.end = end
	if !refused && tok.AccessToken != "" && (tok.Expiry.IsZero() || now.Before(tok.Expiry)) {
		// Usable (valid: used as it is): publish it; inside the margin, the first caller
		// starts a background renewal.
		e.installLocked(tok, false)
		e.mu.Unlock()
		return e, nil
	}
	// Expired or no access token: the entry's renewal applies the rules,
	// deduplicated with every other caller of this token.
	e.cur.Store(expiredNone)
	f := e.flight
	if f == nil {
		f = e.startLocked(ctx, renewReq{id: e.id, seed: tok})
	}
	e.mu.Unlock()
	<-f.done
	return e, f.err // on failure, e remembers it (and re-reads the store before retrying)
}
