package auth

import (
	"context"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// LoginToken saves tok, a token obtained outside the Authenticator (by the
// device flow, accounts.Client.WaitDevice), as Login saves the token of a
// grant code: it looks up the user signature when tok has none, updates the
// stored token of the same user and client if there is one, and returns
// the saved token's Handle. tok needs an access token and a client id; it
// is not changed. The save goes on even if ctx ends: the tokens exist at
// Zoho already.
func (a *Authenticator) LoginToken(ctx context.Context, tok *zohoauth.Token) (*Handle, error) {
	if tok == nil || tok.AccessToken == "" || tok.ClientID == "" {
		return nil, &zohoauth.Error{Code: zohoauth.CodeMandatoryValue, Message: storekit.MsgMandatoryKey + storekit.MsgMandatoryKeysClient, Detail: "a login token needs an access token and a client id", Err: zohoauth.ErrInvalidToken}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.refreshTimeout)
	defer cancel()
	note := &lifeNote{}
	saved, err := a.save(sctx, renewReq{seed: tok.Clone(), login: true, life: note}, tok.Clone(), nil, nil, a.log)
	if err != nil {
		return nil, err
	}
	e, err := a.adopt(saved, note)
	if err != nil {
		return nil, err
	}
	h := &Handle{a: a, partial: &zohoauth.Token{ID: saved.ID}, key: keyOf(&zohoauth.Token{ID: saved.ID})}
	h.e.Store(e)
	return h, nil
}
