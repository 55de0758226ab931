package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/storekit"
)

// renewReq is what a renewal is asked to do.
type renewReq struct {
	id             string          // the stored token to re-read; "" for a token not stored yet
	seed           *zohoauth.Token // the token as just read or given, instead of re-reading
	force          bool            // renew even if valid, when the access token is still failedAccess
	failedAccess   string
	login          bool   // exchange seed's grant code whatever the token holds
	accountsServer string // the login redirect's accounts-server
	failed         *failure
	grant          bool            // a grant code was exchanged: the save is a login's
	obs            *renewObs       // what renew reports; nil outside renew
	owner          *zohoauth.Token // the token the entry held: a re-read must find the same login
	life           *lifeNote       // where the renewal notes the session's end; may be nil
	useOnly        bool            // outside the lock: use the stored token as it is, or fail with errNeedsLock
}

// action is a decision of Zoho's get_token rules.
type action uint8

const (
	useAsIs  action = iota // valid: no call, no save
	saveOnly               // an access token without expiry nor id: save it as it is
	refresh                // no access token or an expired one, and a refresh token
	exchange               // no access token, no refresh token, a grant code
)

func (x action) String() string {
	return [...]string{"use", "save", "refresh", "exchange"}[x]
}

// reauthError is ErrReauthorize with its cause, and the fingerprint of the
// refresh token that failed.
type reauthError struct {
	id      string
	refresh [32]byte
	err     error
}

func (e *reauthError) Error() string {
	return fmt.Sprintf("auth: token %s: %s: %v", e.id, ErrReauthorize, e.err)
}

func (e *reauthError) Unwrap() []error { return []error{ErrReauthorize, e.err} }

// renewalKey fingerprints what renews t: its refresh token, or its grant
// code when it has none. A remembered ErrReauthorize holds until it
// changes. No secret is kept.
func renewalKey(t *zohoauth.Token) [32]byte {
	s := t.RefreshToken
	if s == "" {
		s = t.GrantToken
	}
	return sha256.Sum256([]byte(s))
}

// renewTx is the whole renewal of one token, as one transaction against the
// store: re-read the stored token, decide with Zoho's rules whether it
// still needs renewing (another process may have renewed it), call Zoho,
// look up the user signature, save, and return the saved token. It is the
// only function that renews (renew adds its span, metrics and events). When the store is a zohoauth.Locker, the
// renewal of a stored token runs inside the token's lock (see lock.go).
func (a *Authenticator) renewTx(ctx context.Context, req renewReq) (*zohoauth.Token, error) {
	l := a.locker
	if l == nil || req.id == "" || req.login {
		return a.renewIn(ctx, req, nil)
	}
	return a.renewLocked(ctx, l, req)
}

// renewIn is renew's work; h is the store lock held around it, or nil.
func (a *Authenticator) renewIn(ctx context.Context, req renewReq, h *holder) (*zohoauth.Token, error) {
	cur := req.seed
	var old *zohoauth.Token // the stored token as read: the guard of the save
	guarded := a.cas != nil
	if req.id != "" && !req.useOnly && (cur == nil || h != nil || guarded) {
		stored, err := a.store.FindTokenByID(ctx, req.id)
		if err != nil {
			return nil, fmt.Errorf("auth: token %s: re-read: %w", req.id, err)
		}
		if req.owner != nil && !sameOwner(req.owner, stored) {
			return nil, fmt.Errorf("auth: token %s was deleted and its id now holds another login: %w", req.id, zohoauth.ErrNotFound)
		}
		old = stored.Clone()
		stored.Merge(req.seed)
		cur = stored
	}
	if req.failed != nil && renewalKey(cur) == req.failed.refresh {
		return nil, req.failed.err // the refresh token Zoho rejected: no new request
	}
	if cur.APIDomain == "" {
		if env := a.accounts.Environment; env.APIURL != "" {
			cur.APIDomain = env.APIURL
		} else if req.accountsServer == "" && a.accounts.BaseURL == "" {
			return nil, &zohoauth.Error{Code: zohoauth.CodeEnvironment, Message: storekit.MsgEnvironment, Detail: "token has no api_domain and no environment is set", Err: zohoauth.ErrUnknownEnvironment}
		}
	}
	now := a.clock.Now()
	act, err := a.decide(cur, now, req)
	if req.useOnly && (err != nil || act != useAsIs) {
		return nil, errNeedsLock
	}
	req.obs.note(act, cur)
	if err != nil {
		return nil, err
	}
	if cur.ID != "" && (act == refresh || act == useAsIs) && a.needsLife() {
		// A stored token, not a login: its policies first, before Zoho is
		// asked or the token handed out.
		if err := a.checkPolicy(ctx, cur, now, req.life); err != nil {
			return nil, err
		}
	}
	log := a.log
	if cur.ID != "" {
		log = log.With("id", cur.ID)
	}
	if cur.UserName != "" {
		log = log.With("user", cur.UserName)
	}
	var tok *zohoauth.Token
	switch act {
	case useAsIs:
		log.Debug("zohoauth: stored access token is valid", "expiry", cur.Expiry)
		return cur, nil
	case saveOnly:
		tok = cur.Clone()
	case refresh, exchange:
		start := time.Now()
		if act == refresh {
			log.Info("zohoauth: refreshing access token", "expiry", cur.Expiry, "forced", req.force)
			tok, err = a.accounts.Refresh(ctx, cur)
		} else {
			log.Info("zohoauth: exchanging grant code")
			tok, err = a.accounts.Exchange(ctx, cur, req.accountsServer)
			req.grant = true
		}
		req.obs.answered(time.Since(start))
		if err != nil {
			err = a.classify(cur, err)
			log.Warn("zohoauth: "+act.String()+" failed", "error", err, "duration", time.Since(start))
			return nil, err
		}
		log.Info("zohoauth: new access token", "action", act.String(), "expiry", tok.Expiry, "api_domain", tok.APIDomain, "duration", time.Since(start))
	}
	// Zoho has answered (a grant code is spent): finish even if the
	// caller's context ends.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.refreshTimeout)
	defer cancel()
	return a.save(sctx, req, tok, old, h, log)
}

// reread reads the stored token req.id; a seed fills the fields the store
// lacks.
func (a *Authenticator) reread(ctx context.Context, req renewReq) (*zohoauth.Token, error) {
	stored, err := a.store.FindTokenByID(ctx, req.id)
	if err != nil {
		return nil, fmt.Errorf("auth: token %s: re-read: %w", req.id, err)
	}
	stored.Merge(req.seed)
	return stored, nil
}

// usable reports whether t can be handed out for req without renewing it:
// it has an access token that has not expired and is not the one a forced
// renewal replaces.
func usable(t *zohoauth.Token, now time.Time, req renewReq) bool {
	return t.AccessToken != "" && (t.Expiry.IsZero() || now.Before(t.Expiry)) &&
		!(req.force && t.AccessToken == req.failedAccess)
}

// adoptStored re-reads the stored token req.id and returns it if it is
// usable (another process renewed it); otherwise it returns an error
// wrapping cause.
func (a *Authenticator) adoptStored(ctx context.Context, req renewReq, cause error) (*zohoauth.Token, error) {
	cur, err := a.reread(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%w (after: %w)", err, cause)
	}
	if !usable(cur, a.clock.Now(), req) {
		return nil, fmt.Errorf("auth: token %s: %w", req.id, cause)
	}
	return cur, nil
}

// decide applies the rules by which Zoho's SDKs (OAuthToken.get_token)
// choose what to do with a token, with this package's margin:
//
//   - no access token: refresh with the refresh token, else exchange the
//     grant code, else fail (nothing to obtain a token with);
//   - an access token that expired, or is inside the margin, or was
//     rejected (a forced renewal): refresh it when there is a refresh
//     token; otherwise use it while it lasts, and then fail;
//   - an access token without expiry nor id (given by the caller): save it
//     as it is;
//   - otherwise the token is valid: use it as it is, with no call and no
//     save.
func (a *Authenticator) decide(t *zohoauth.Token, now time.Time, req renewReq) (action, error) {
	switch {
	case req.login:
		return exchange, nil
	case t.AccessToken == "":
		if t.RefreshToken != "" {
			return refresh, nil
		}
		if t.GrantToken != "" {
			return exchange, nil
		}
		return 0, &zohoauth.Error{Code: zohoauth.CodeMandatoryValue, Message: storekit.MsgMandatoryKey + storekit.MsgMandatoryKeysRefresh, Err: zohoauth.ErrInvalidToken}
	case req.force && t.AccessToken == req.failedAccess,
		!t.Expiry.IsZero() && !now.Before(t.Expiry.Add(-a.margin)):
		if t.RefreshToken != "" {
			return refresh, nil
		}
		if req.force || !now.Before(t.Expiry) {
			return 0, &reauthError{id: t.ID, refresh: renewalKey(t), err: errNoRefreshToken}
		}
		return useAsIs, nil // in the margin, nothing to refresh it with: use it while it lasts
	case t.Expiry.IsZero() && t.ID == "":
		return saveOnly, nil
	}
	return useAsIs, nil
}

// classify wraps a failed Zoho call: invalid_code becomes ErrReauthorize.
func (a *Authenticator) classify(t *zohoauth.Token, err error) error {
	if errors.Is(err, accounts.ErrInvalidCode) {
		return &reauthError{id: t.ID, refresh: renewalKey(t), err: err}
	}
	if t.ID != "" {
		return fmt.Errorf("auth: token %s: %w", t.ID, err)
	}
	return fmt.Errorf("auth: %w", err)
}

// save looks up the user signature of a new token when it has none, then
// saves it, and returns the saved token (tok, updated to the stored value,
// its id included). A failed save is an error (Zoho's Python SDK only logs
// it). When old, the stored token the renewal started from, is known and
// the store is a zohoauth.CompareAndSwapper, the save is guarded by it: if
// another process saved a newer token meanwhile, that token is returned and
// tok is dropped. Without the guard, a holder that lost the store lock h
// does not save.
func (a *Authenticator) save(ctx context.Context, req renewReq, tok, old *zohoauth.Token, h *holder, log *slog.Logger) (*zohoauth.Token, error) {
	if tok.UserName == "" && !a.skipUserLookup && tok.AccessToken != "" {
		name, err := a.accounts.UserSignature(ctx, tok)
		if err != nil {
			log.Warn("zohoauth: user signature lookup failed; saving without it", "error", err)
		} else {
			tok.UserName = name
		}
	}
	login := req.login || req.grant
	var replaced *zohoauth.Token // the stored token a login replaces
	if tok.ID == "" && tok.UserName != "" {
		// A new login of a user already stored updates that user's token.
		if prev, err := a.store.FindToken(ctx, &zohoauth.Token{UserName: tok.UserName, ClientID: tok.ClientID}); err == nil {
			tok.ID = prev.ID
			replaced = prev
		}
	} else if login && tok.ID != "" {
		replaced = old
		if replaced == nil {
			replaced, _ = a.store.FindTokenByID(ctx, tok.ID)
		}
	}
	cas, guarded := a.cas, a.cas != nil && old != nil
	var err error
	switch {
	case guarded:
		err = cas.SwapToken(ctx, old, tok)
	case h != nil && h.lost.Load():
		log.Warn("zohoauth: refresh lock lost before the save; not saving, re-reading the store")
		return a.adoptStored(ctx, req, zohoauth.ErrLockLost)
	default:
		err = a.store.SaveToken(ctx, tok)
	}
	if guarded && errors.Is(err, zohoauth.ErrStale) {
		log.Info("zohoauth: another process saved a newer token; adopting it")
		return a.adoptStored(ctx, req, err)
	}
	if err != nil {
		log.Error("zohoauth: "+zohoauth.CodeSaveToken, "error", err)
		return nil, &zohoauth.Error{Code: zohoauth.CodeSaveToken, Message: "the new token was not saved", Detail: "token " + tok.ID, Err: err}
	}
	log.Debug("zohoauth: token saved", "id", tok.ID, "user", tok.UserName, "guarded", guarded)
	a.emit(ctx, a.tokenEvent(EventSaved, tok))
	if login {
		a.recordLogin(ctx, tok)
		if req.life != nil {
			req.life.set, req.life.end = true, a.sessionEnd(a.clock.Now())
		}
		a.afterLogin(ctx, tok, replaced, log)
	}
	return tok, nil
}

// lookup finds the stored token partial designates (Zoho's get_token steps
// 2 and 3): by id, or by FindToken. The result is partial with its empty
// fields filled from the stored token, or partial itself when nothing is
// stored.
func (a *Authenticator) lookup(ctx context.Context, partial *zohoauth.Token) (*zohoauth.Token, error) {
	if err := partial.Validate(); err != nil {
		return nil, err
	}
	var stored *zohoauth.Token
	var err error
	if partial.ID != "" {
		stored, err = a.store.FindTokenByID(ctx, partial.ID)
	} else {
		stored, err = a.store.FindToken(ctx, partial)
	}
	t := partial.Clone()
	switch {
	case err == nil:
		t.Merge(stored)
		return t, nil
	case partial.ID == "" && errors.Is(err, zohoauth.ErrNotFound):
		if partial.UserName != "" && partial.GrantToken == "" && partial.RefreshToken == "" {
			return nil, &zohoauth.Error{Code: zohoauth.CodeMandatoryValue, Message: storekit.MsgUserNameNotFound + " - grant_token, refresh_token", Err: err}
		}
		return t, nil
	}
	return nil, fmt.Errorf("auth: find token: %w", err)
}
