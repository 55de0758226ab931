package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/storekit"
)

// ErrRevokeIncomplete reports a central revocation (RevokeUser,
// RevokeClient) that left some of its tokens live at Zoho or stored: the
// RevokeReport returned with it lists them.
var ErrRevokeIncomplete = errors.New("auth: some tokens were not revoked")

// revokePage is how many tokens a central revocation reads at a time.
const revokePage = 500

// Zoho values of RevokedToken.Zoho.
const (
	// ZohoRevoked: Zoho confirmed the revocation of the refresh token (and
	// so of its access tokens).
	ZohoRevoked = "revoked"
	// ZohoAlreadyInvalid: Zoho refused the revocation because it no longer
	// knows the token (revoked or deleted already).
	ZohoAlreadyInvalid = "already_invalid"
	// ZohoNothing: the stored token held no refresh nor access token to
	// revoke.
	ZohoNothing = "nothing_to_revoke"
)

// Stages of a RevokeFailure.
const (
	// StageLock: the token's store lock was not taken; nothing was done.
	StageLock = "lock"
	// StageZoho: Zoho did not revoke the token (out of reach, 5xx, an
	// answer that does not say the token is unknown); it stays stored.
	StageZoho = "zoho"
	// StageStore: the token is revoked at Zoho but could not be deleted
	// from the store (or was replaced there by a new login, which is
	// kept).
	StageStore = "store"
)

// RevokeReport is what a central revocation did. It holds no secret.
type RevokeReport struct {
	// Revoked are the tokens no longer live at Zoho and deleted from the
	// store, in id order.
	Revoked []RevokedToken `json:"revoked"`
	// Failed are the tokens left as they were at Zoho or in the store, in
	// id order.
	Failed []RevokeFailure `json:"failed"`
}

// RevokedToken is a token a central revocation revoked and deleted.
type RevokedToken struct {
	ID       string `json:"id"`
	User     string `json:"user,omitempty"`
	ClientID string `json:"client_id"`
	// Refresh is the fingerprint of the revoked refresh token.
	Refresh string `json:"refresh,omitempty"`
	// Zoho is what Zoho answered: ZohoRevoked, ZohoAlreadyInvalid or
	// ZohoNothing.
	Zoho string `json:"zoho"`
}

// RevokeFailure is a token a central revocation could not revoke or
// delete.
type RevokeFailure struct {
	ID       string `json:"id"`
	User     string `json:"user,omitempty"`
	ClientID string `json:"client_id"`
	Refresh  string `json:"refresh,omitempty"`
	// Stage is where it failed: StageLock, StageZoho or StageStore.
	Stage string `json:"stage"`
	// Err is the failure; it holds no secret.
	Err error `json:"-"`
}

// Error returns the failure's text (the stage, the id and the error).
func (f RevokeFailure) Error() string {
	return fmt.Sprintf("token %s: %s: %v", f.ID, f.Stage, f.Err)
}

// Unwrap returns the failure's error.
func (f RevokeFailure) Unwrap() error { return f.Err }

// RevokeUser revokes every token of user, whatever its client, at Zoho and
// in the store: see revokeAll. user is an e-mail address (every token of
// that address, compared without case) or a user signature "email:zgid"
// (the e-mail without case, the zgid exactly).
func (a *Authenticator) RevokeUser(ctx context.Context, user string) (*RevokeReport, error) {
	email, zgid, withID := strings.Cut(strings.TrimSpace(user), ":")
	if email == "" || (withID && zgid == "") {
		return nil, &zohoauth.Error{Code: zohoauth.CodeMandatoryValue, Message: "revoke needs a user", Detail: "an e-mail address or email:zgid", Err: zohoauth.ErrInvalidToken}
	}
	return a.revokeAll(ctx, func(t *zohoauth.Token) bool {
		e, z, _ := strings.Cut(t.UserName, ":")
		return t.UserName != "" && strings.EqualFold(e, email) && (!withID || z == zgid)
	})
}

// RevokeClient revokes every token of the client clientID, whatever its
// user, at Zoho and in the store: see revokeAll.
func (a *Authenticator) RevokeClient(ctx context.Context, clientID string) (*RevokeReport, error) {
	if strings.TrimSpace(clientID) == "" {
		return nil, &zohoauth.Error{Code: zohoauth.CodeMandatoryValue, Message: "revoke needs a client id", Err: zohoauth.ErrInvalidToken}
	}
	return a.revokeAll(ctx, func(t *zohoauth.Token) bool { return t.ClientID == clientID })
}

// revokeAll revokes every stored token that match selects. For each token,
// inside its store lock when the store is a zohoauth.Locker (so that no
// renewal of another process saves it again in between): the stored token
// is re-read; its refresh token (its access token when it has none) is
// revoked at Zoho, which revokes its access tokens too; then it is deleted
// from the store. A token Zoho refuses because it no longer knows it is
// deleted too; one Zoho did not answer for (network, 5xx) stays stored and
// is reported in Failed. A token that a login replaced between the revoke
// and the delete is kept. Each token Zoho confirms revoked gives
// EventRevoked.
//
// Processes that cached an access token of a revoked token learn of it at
// their next API call: Zoho answers 401 INVALID_TOKEN, Transport renews
// once, and the renewal finds the token gone from the store
// (zohoauth.ErrNotFound) or its refresh token rejected (ErrReauthorize).
//
// The report is returned with a nil error when every token was revoked,
// with an error matching ErrRevokeIncomplete (and each failure's error)
// when some were not; a failure to read the store returns no report.
func (a *Authenticator) revokeAll(ctx context.Context, match func(*zohoauth.Token) bool) (*RevokeReport, error) {
	a.mu.Lock()
	closed := a.closed
	a.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	var ids []string
	err := zohoauth.EachPage(ctx, a.store, revokePage, func(page []*zohoauth.Token) error {
		for _, t := range page {
			if match(t) {
				ids = append(ids, t.ID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("auth: revoke: list the tokens: %w", err)
	}
	rep := &RevokeReport{Revoked: []RevokedToken{}, Failed: []RevokeFailure{}}
	var errs []error
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("auth: revoke: %w", err)
		}
		ok, fail := a.revokeOne(ctx, id, match)
		switch {
		case fail != nil:
			rep.Failed = append(rep.Failed, *fail)
			errs = append(errs, *fail)
		case ok != nil:
			rep.Revoked = append(rep.Revoked, *ok)
		}
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("%w (%d of %d): %w", ErrRevokeIncomplete, len(errs), len(ids), errors.Join(errs...))
	}
	return rep, nil
}

// revokeOne revokes and deletes the stored token id if it still matches.
// It returns nil, nil when the token is gone or no longer matches.
func (a *Authenticator) revokeOne(ctx context.Context, id string, match func(*zohoauth.Token) bool) (*RevokedToken, *RevokeFailure) {
	log := a.log.With("id", id)
	if a.locker != nil {
		wctx, cancel := context.WithTimeout(ctx, a.lockWait)
		lk, err := a.locker.Lock(wctx, storekit.LockName(id), a.lease)
		cancel()
		if err != nil {
			return nil, &RevokeFailure{ID: id, Stage: StageLock, Err: fmt.Errorf("auth: token %s: lock: %w", id, err)}
		}
		h := a.hold(ctx, lk, log)
		defer h.release()
	}
	tok, err := a.store.FindTokenByID(ctx, id)
	if errors.Is(err, zohoauth.ErrNotFound) {
		return nil, nil // deleted meanwhile
	}
	fail := func(stage string, err error) *RevokeFailure {
		return &RevokeFailure{ID: id, User: tok.UserName, ClientID: tok.ClientID, Refresh: zohoauth.Fingerprint(tok.RefreshToken), Stage: stage, Err: err}
	}
	if err != nil {
		tok = &zohoauth.Token{ID: id}
		return nil, fail(StageZoho, fmt.Errorf("auth: token %s: re-read: %w", id, err))
	}
	if !match(tok) {
		return nil, nil // its user or client changed meanwhile
	}
	done := &RevokedToken{ID: id, User: tok.UserName, ClientID: tok.ClientID, Refresh: zohoauth.Fingerprint(tok.RefreshToken), Zoho: ZohoNothing}
	secret := tok.RefreshToken
	if secret == "" {
		secret = tok.AccessToken
	}
	if secret != "" {
		err := a.accounts.Revoke(ctx, tok, secret)
		switch {
		case err == nil:
			done.Zoho = ZohoRevoked
			a.emit(ctx, a.tokenEvent(EventRevoked, tok))
			log.Info("zohoauth: token revoked", "user", tok.UserName, "client_id", tok.ClientID)
		case alreadyInvalid(err):
			done.Zoho = ZohoAlreadyInvalid
			log.Info("zohoauth: Zoho no longer knows the token; deleting it", "user", tok.UserName, "client_id", tok.ClientID, "error", err)
		default:
			log.Warn("zohoauth: token not revoked at Zoho; kept in the store", "user", tok.UserName, "client_id", tok.ClientID, "error", err)
			return nil, fail(StageZoho, fmt.Errorf("auth: token %s: %w", id, err))
		}
	}
	// The revoke is done: finish even if ctx ends.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.refreshTimeout)
	defer cancel()
	if cur, err := a.store.FindTokenByID(sctx, id); err == nil && cur.RefreshToken != tok.RefreshToken {
		return nil, fail(StageStore, fmt.Errorf("auth: token %s: revoked at Zoho, but a new login replaced it in the store meanwhile: kept", id))
	}
	a.mu.Lock()
	e := a.entries[id]
	a.mu.Unlock()
	if e != nil {
		a.forget(e)
	}
	if err := a.store.DeleteToken(sctx, id); err != nil && !errors.Is(err, zohoauth.ErrNotFound) {
		log.Warn("zohoauth: token revoked at Zoho but not deleted", "error", err)
		return nil, fail(StageStore, fmt.Errorf("auth: token %s revoked at Zoho but not deleted: %w", id, err))
	}
	return done, nil
}

// alreadyInvalid reports whether err is Zoho's refusal to revoke a token it
// does not know: an HTTP 4xx answer with the error code invalid_request
// (what Zoho answers for an unknown token), invalid_token or invalid_code.
// The token was revoked or deleted already. Another code ("Access Denied"),
// an answer without Zoho's error code (a proxy's page) or a 5xx is not.
func alreadyInvalid(err error) bool {
	var ae *accounts.Error
	if !errors.As(err, &ae) || !errors.Is(err, accounts.ErrRevokeFailed) || ae.StatusCode < 400 || ae.StatusCode >= 500 {
		return false
	}
	switch ae.Code {
	case "invalid_request", "invalid_token", "invalid_code":
		return true
	}
	return false
}
