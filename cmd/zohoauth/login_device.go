package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
)

// loginDevice logs in with Zoho's device flow, as gh auth login shows its
// one-time code: it asks for a user code, shows it with the verification
// URL on standard error, polls until the user approves on any device (or
// denies, or the code expires), then saves the token as login does.
func (a *app) loginDevice(ctx context.Context, o *loginOptions, authn *auth.Authenticator, env zohoauth.Environment, t *zohoauth.Token) error {
	ac := a.accountsClient()
	ac.Environment = env
	d, err := ac.StartDevice(ctx, t, accounts.DeviceOptions{Scopes: strings.Split(o.scopes, ","), Offline: true, Consent: true})
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	// StartDevice checked that the code and the URL hold nothing but
	// printable ASCII.
	fmt.Fprintf(a.stderr, "! First copy your one-time code: %s\n", d.UserCode)
	fmt.Fprintf(a.stderr, "Then open %s in a browser on any device, enter the code and approve.\n", d.VerificationURL)
	fmt.Fprintf(a.stderr, "Waiting for the approval (the code expires in %s; Ctrl-C to stop)…\n", shortDuration(d.Expiry.Sub(a.clock.Now())))
	tok, err := ac.WaitDevice(ctx, a.clock, t, d)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	h, err := authn.LoginToken(ctx, tok)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	got, err := h.Token(ctx)
	if err != nil {
		return err
	}
	a.loggedIn(got)
	return nil
}
