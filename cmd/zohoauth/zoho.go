package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
)

// authenticator returns an Authenticator over s that talks to Zoho (or the
// emulator of --accounts-url) with this run's clock and HTTP client.
//
// It applies the lifecycle policies of the config file; a policy the store
// cannot serve (it keeps no lifecycle records) is a config error (exit 2).
func (a *app) authenticator(s zohoauth.Store, env zohoauth.Environment) (*auth.Authenticator, error) {
	ac := a.accountsClient()
	ac.Environment = env
	p, _ := a.cfg.policies()
	authn, err := auth.New(s, auth.Options{Accounts: ac, Clock: a.clock, Policies: p})
	if err != nil {
		return nil, &configError{path: a.cfg.path, msg: err.Error()}
	}
	return authn, nil
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
	authn, err := a.authenticator(seeded(s, tok), zohoauth.Environment{})
	if err != nil {
		s.Close()
		return nil, nil, nil, err
	}
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
	var (
		sel                               selector
		allClients, allUsers, yes, asJSON bool
	)
	c := &cobra.Command{
		Use:   "revoke ([--user EMAIL | --id ID] [--client-id ID] | --user EMAIL --all-clients | --client-id ID --all-users) [-y|--yes] [--json]",
		Short: "revoke the refresh token at Zoho, then delete it here (or every token of a user, or of a client)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.jsonErrors = asJSON
			if allClients || allUsers {
				return a.revokeAll(c.Context(), &sel, allClients, allUsers, yes, asJSON)
			}
			if yes || asJSON {
				return usageErrorf("--yes and --json go with --all-clients or --all-users")
			}
			return a.revoke(c.Context(), &sel)
		},
	}
	sel.register(c.Flags())
	c.Flags().BoolVar(&allClients, "all-clients", false, "with --user: every token of the user, whatever the client (asks first on a terminal)")
	c.Flags().BoolVar(&allUsers, "all-users", false, "with --client-id: every token of the client, whatever the user (asks first on a terminal)")
	c.Flags().BoolVarP(&yes, "yes", "y", false, "--all-clients or --all-users without asking (required without a terminal)")
	c.Flags().BoolVar(&asJSON, "json", false, "--all-clients or --all-users: print the report as JSON")
	return c
}

// revokeReportView is the JSON of revoke --all-clients / --all-users.
type revokeReportView struct {
	Revoked []auth.RevokedToken `json:"revoked"`
	Failed  []revokeFailureView `json:"failed"`
}

type revokeFailureView struct {
	ID       string `json:"id"`
	User     string `json:"user,omitempty"`
	ClientID string `json:"client_id"`
	Refresh  string `json:"refresh,omitempty"`
	Stage    string `json:"stage"`
	Error    string `json:"error"`
}

// revokeIncomplete is a central revocation that left some tokens: exit
// code exitPartial. msg is what the user is told.
type revokeIncomplete struct {
	err error
	msg string
}

func (e *revokeIncomplete) Error() string { return e.err.Error() }
func (e *revokeIncomplete) Unwrap() error { return e.err }
func (e *revokeIncomplete) ExitCode() int { return exitPartial }

// revokeAll revokes every token of --user (--all-clients) or of
// --client-id (--all-users), after asking on a terminal.
func (a *app) revokeAll(ctx context.Context, sel *selector, allClients, allUsers, yes, asJSON bool) error {
	var what string
	switch {
	case allClients && allUsers:
		return usageErrorf("give --all-clients or --all-users, not both")
	case sel.id != "":
		return usageErrorf("--all-clients and --all-users take no --id")
	case allClients && (sel.user == "" || sel.client != ""):
		return usageErrorf("--all-clients needs --user, and no --client-id")
	case allUsers && (sel.client == "" || sel.user != ""):
		return usageErrorf("--all-users needs --client-id, and no --user")
	case allClients:
		what = "of " + printable(sel.user) + " (every client)"
	default:
		what = "of client " + printable(sel.client) + " (every user)"
	}
	s, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	tokens, err := s.Tokens(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, t := range tokens {
		if sel.matches(t) {
			n++
		}
	}
	if n == 0 {
		return notFoundf("no token %s in %s; zohoauth list shows the tokens", what, a.printableStore())
	}
	if err := a.confirm(ctx, yes, fmt.Sprintf("revoke at Zoho and delete the %d tokens %s in %s", n, what, a.printableStore())); err != nil {
		return err
	}
	authn, err := a.authenticator(s, zohoauth.Environment{})
	if err != nil {
		return err
	}
	defer authn.Close()
	var rep *auth.RevokeReport
	if allClients {
		rep, err = authn.RevokeUser(ctx, sel.user)
	} else {
		rep, err = authn.RevokeClient(ctx, sel.client)
	}
	if rep == nil {
		return err
	}
	if asJSON {
		v := revokeReportView{Revoked: rep.Revoked, Failed: []revokeFailureView{}}
		for _, f := range rep.Failed {
			v.Failed = append(v.Failed, revokeFailureView{ID: f.ID, User: f.User, ClientID: f.ClientID, Refresh: f.Refresh, Stage: f.Stage, Error: oneLine(f.Err.Error())})
		}
		if werr := writeJSON(a.stdout, v); werr != nil {
			return werr
		}
	} else {
		for _, r := range rep.Revoked {
			how := "revoked at Zoho"
			switch r.Zoho {
			case auth.ZohoAlreadyInvalid:
				how = "already invalid at Zoho"
			case auth.ZohoNothing:
				how = "nothing to revoke at Zoho"
			}
			fmt.Fprintf(a.stderr, "token %s (%s, client %s): %s, deleted\n", printable(r.ID), orDash(printable(r.User)), printable(r.ClientID), how)
		}
		for _, f := range rep.Failed {
			fmt.Fprintf(a.stderr, "token %s (%s, client %s): NOT revoked (%s): %s; kept\n", printable(f.ID), orDash(printable(f.User)), printable(f.ClientID), f.Stage, printable(oneLine(plainMessage(ctx, f.Err))))
		}
		fmt.Fprintf(a.stderr, "%d revoked and deleted, %d failed, in %s\n", len(rep.Revoked), len(rep.Failed), a.printableStore())
	}
	if errors.Is(err, auth.ErrRevokeIncomplete) {
		return &revokeIncomplete{err: err, msg: fmt.Sprintf("%d of %d tokens were not revoked and are kept (the report says why); run the command again to retry them", len(rep.Failed), len(rep.Failed)+len(rep.Revoked))}
	}
	return err
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
