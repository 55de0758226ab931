package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
)

// authenticator returns an Authenticator over s that talks to Zoho (or the
// emulator of --accounts-url) with this run's clock and HTTP client.
func (a *app) authenticator(s zohoauth.Store, env zohoauth.Environment) *auth.Authenticator {
	ac := a.accountsClient()
	ac.Environment = env
	return auth.New(s, auth.Options{Accounts: ac, Clock: a.clock})
}

// handle opens the store, picks the token the selector names and returns
// its Handle; done closes everything.
func (a *app) handle(ctx context.Context, sel *selector) (h *auth.Handle, tok *zohoauth.Token, done func(), err error) {
	s, err := a.openExisting(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	tok, err = sel.pick(ctx, s, a.printableStore())
	if err != nil {
		s.Close()
		return nil, nil, nil, err
	}
	// The authenticator's own look-up is answered with the token just
	// read: a valid token costs one read of the store, an expired one a
	// second read under the refresh lock.
	authn := a.authenticator(seeded(s, tok), zohoauth.Environment{})
	done = func() {
		_ = authn.Close()
		_ = s.Close()
	}
	return authn.For(&zohoauth.Token{ID: tok.ID}), tok, done, nil
}

// accessView is the JSON of token --json.
type accessView struct {
	AccessToken      string    `json:"access_token"`
	TokenType        string    `json:"token_type"`
	Expiry           time.Time `json:"expiry"`
	ExpiresInSeconds int64     `json:"expires_in_seconds"`
	APIDomain        string    `json:"api_domain,omitempty"`
	ID               string    `json:"id"`
	User             string    `json:"user,omitempty"`
}

func (a *app) tokenCmd() *cobra.Command {
	var sel selector
	var asJSON bool
	c := &cobra.Command{
		Use:   "token [--user EMAIL | --id ID] [--client-id ID] [--json]",
		Short: "print a valid access token, refreshing it if needed",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.jsonErrors = asJSON
			return a.token(c.Context(), &sel, asJSON)
		},
	}
	sel.register(c.Flags())
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON: the access token with its expiry, API domain, id and user")
	return c
}

func (a *app) token(ctx context.Context, sel *selector, asJSON bool) error {
	h, _, done, err := a.handle(ctx, sel)
	if err != nil {
		return err
	}
	defer done()
	tok, err := h.Token(ctx)
	if err != nil {
		return err
	}
	if !asJSON {
		_, err := fmt.Fprintln(a.stdout, tok.AccessToken)
		return err
	}
	return writeJSON(a.stdout, accessView{
		AccessToken:      tok.AccessToken,
		TokenType:        strings.TrimSpace(auth.HeaderPrefix),
		Expiry:           tok.Expiry.UTC(),
		ExpiresInSeconds: int64(tok.Expiry.Sub(a.clock.Now()) / time.Second),
		APIDomain:        tok.APIDomain,
		ID:               tok.ID,
		User:             tok.UserName,
	})
}

func (a *app) refreshCmd() *cobra.Command {
	var sel selector
	c := &cobra.Command{
		Use:   "refresh [--user EMAIL | --id ID] [--client-id ID]",
		Short: "get a new access token now",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.refresh(c.Context(), &sel)
		},
	}
	sel.register(c.Flags())
	return c
}

func (a *app) refresh(ctx context.Context, sel *selector) error {
	h, _, done, err := a.handle(ctx, sel)
	if err != nil {
		return err
	}
	defer done()
	tok, err := h.Refresh(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "refreshed token %s (%s): valid for %s\n", printable(tok.ID), orDash(tok.Email()), timeLeft(*tok, a.clock.Now()))
	return nil
}

func (a *app) revokeCmd() *cobra.Command {
	var sel selector
	c := &cobra.Command{
		Use:   "revoke [--user EMAIL | --id ID] [--client-id ID]",
		Short: "revoke the refresh token at Zoho, then delete it here",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.revoke(c.Context(), &sel)
		},
	}
	sel.register(c.Flags())
	return c
}

func (a *app) revoke(ctx context.Context, sel *selector) error {
	h, tok, done, err := a.handle(ctx, sel)
	if err != nil {
		return err
	}
	defer done()
	if err := h.Revoke(ctx); err != nil {
		return &hintError{err: err, hint: "(the token is kept; to drop it from the store only: zohoauth delete --id " + tok.ID + ")"}
	}
	fmt.Fprintf(a.stderr, "revoked token %s (%s) at Zoho and deleted it from %s\n", printable(tok.ID), orDash(tok.Email()), a.printableStore())
	return nil
}
