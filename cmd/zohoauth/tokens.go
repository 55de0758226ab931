package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storeurl"
)

func (a *app) listCmd() *cobra.Command {
	var sel selector
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--user EMAIL] [--client-id ID] [--json]",
		Short: "list the stored tokens, without secrets",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.jsonErrors = asJSON
			return a.list(c.Context(), &sel, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().StringVar(&sel.user, "user", "", "only the tokens of this user (an `EMAIL`, or Zoho's email:zgid)")
	c.Flags().StringVar(&sel.client, "client-id", "", "only the tokens of this client (its `ID`)")
	return c
}

func (a *app) list(ctx context.Context, sel *selector, asJSON bool) error {
	s, err := a.openExisting(ctx)
	var none *noStoreError
	if errors.As(err, &none) {
		if asJSON {
			return writeJSON(a.stdout, []tokenView{})
		}
		fmt.Fprintln(a.stderr, "no tokens: "+none.Error())
		return nil
	}
	if err != nil {
		return err
	}
	defer s.Close()
	all, err := s.Tokens(ctx)
	if err != nil {
		return err
	}
	tokens := all[:0]
	for _, t := range all {
		if sel.matches(t) {
			tokens = append(tokens, t)
		}
	}
	now := a.clock.Now()
	if asJSON {
		views := make([]tokenView, 0, len(tokens))
		for _, t := range tokens {
			views = append(views, viewOf(t, now, false))
		}
		return writeJSON(a.stdout, views)
	}
	if len(tokens) == 0 {
		fmt.Fprintln(a.stderr, "no tokens in "+storeurl.Redact(a.storeURL))
		return nil
	}
	return writeTable(a.stdout, tokens, now)
}

func (a *app) showCmd() *cobra.Command {
	var sel selector
	var asJSON, reveal bool
	c := &cobra.Command{
		Use:   "show [--user EMAIL | --id ID] [--client-id ID] [--reveal] [--json]",
		Short: "show one token, secrets redacted unless --reveal",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.jsonErrors = asJSON
			return a.show(c.Context(), &sel, asJSON, reveal)
		},
	}
	sel.register(c.Flags())
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.Flags().BoolVar(&reveal, "reveal", false, "show the secrets (client secret, grant, refresh and access tokens)")
	return c
}

func (a *app) show(ctx context.Context, sel *selector, asJSON, reveal bool) error {
	s, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	t, err := sel.pick(ctx, s, a.printableStore())
	if err != nil {
		return err
	}
	if reveal {
		fmt.Fprintln(a.stderr, "zohoauth: warning: --reveal prints the token's secrets: whoever sees this screen, its scrollback or this output can act as the user")
	}
	now := a.clock.Now()
	if asJSON {
		return writeJSON(a.stdout, viewOf(t, now, reveal))
	}
	return writeDetails(a.stdout, t, now, reveal)
}

func (a *app) deleteCmd() *cobra.Command {
	var sel selector
	var all, yes bool
	c := &cobra.Command{
		Use:   "delete (--user EMAIL | --id ID | --all [--yes]) [--client-id ID]",
		Short: "delete tokens from the store only",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.delete(c.Context(), &sel, all, yes)
		},
	}
	sel.register(c.Flags())
	c.Flags().BoolVar(&all, "all", false, "delete every token of the store (asks first on a terminal)")
	c.Flags().BoolVarP(&yes, "yes", "y", false, "delete --all without asking (required without a terminal)")
	return c
}

func (a *app) delete(ctx context.Context, sel *selector, all, yes bool) error {
	if all == (sel.user != "" || sel.id != "" || sel.client != "") {
		return usageErrorf("delete needs --user or --id (with --client-id to narrow), or --all alone")
	}
	s, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if all {
		tokens, err := s.Tokens(ctx)
		if err != nil {
			return err
		}
		if len(tokens) == 0 {
			fmt.Fprintln(a.stderr, "no tokens in "+a.printableStore())
			return nil
		}
		if err := a.confirm(ctx, yes, fmt.Sprintf("delete all %d tokens of %s", len(tokens), a.printableStore())); err != nil {
			return err
		}
		if err := s.DeleteTokens(ctx); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "deleted %d tokens\n", len(tokens))
		return nil
	}
	t, err := sel.pick(ctx, s, a.printableStore())
	if err != nil {
		return err
	}
	if err := s.DeleteToken(ctx, t.ID); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "deleted token %s (%s)\n", printable(t.ID), orDash(t.Email()))
	return nil
}

func (a *app) purgeCmd() *cobra.Command {
	var olderThan string
	var dryRun, yes bool
	c := &cobra.Command{
		Use:   "purge --older-than AGE [--dry-run | --yes]",
		Short: "delete tokens unused or unrefreshable for longer than AGE",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.purge(c.Context(), olderThan, dryRun, yes)
		},
	}
	c.Flags().StringVar(&olderThan, "older-than", "", "`AGE`, e.g. 90d, 720h (required)")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be deleted, delete nothing")
	c.Flags().BoolVarP(&yes, "yes", "y", false, "delete without asking (required without a terminal)")
	return c
}

func (a *app) purge(ctx context.Context, olderThan string, dryRun, yes bool) error {
	if olderThan == "" {
		return usageErrorf("purge needs --older-than AGE, e.g. --older-than 90d")
	}
	age, err := parseAge(olderThan)
	if err != nil {
		return usageErrorf("--older-than: %v", err)
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
	now := a.clock.Now()
	type doomed struct {
		t   *zohoauth.Token
		why string
	}
	var purge []doomed
	for _, t := range tokens {
		if why := purgeReason(t, now, age); why != "" {
			purge = append(purge, doomed{t, why})
		}
	}
	listed := false
	list := func() {
		for _, d := range purge {
			fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", printable(d.t.ID), orDash(d.t.Email()), d.why)
		}
		listed = true
	}
	if !dryRun && len(purge) > 0 {
		if !yes && a.interactive() {
			list() // what the question is about
		}
		if err := a.confirm(ctx, yes, fmt.Sprintf("delete %d of the %d tokens of %s", len(purge), len(tokens), a.printableStore())); err != nil {
			return err
		}
	}
	if !listed {
		list()
	}
	n := 0
	for _, d := range purge {
		if !dryRun {
			if err := s.DeleteToken(ctx, d.t.ID); err != nil && !errors.Is(err, zohoauth.ErrNotFound) {
				return fmt.Errorf("purged %d tokens, then: %w", n, err)
			}
		}
		n++
	}
	verb := "purged"
	if dryRun {
		verb = "would purge"
	}
	fmt.Fprintf(a.stderr, "%s %d of %d tokens\n", verb, n, len(tokens))
	return nil
}

// purgeReason says why t is to be purged, or "" to keep it:
//   - unused: its access token expired more than age ago, so nothing has
//     used it since (every use of an expired token refreshes it);
//   - unrefreshable: it has neither a refresh token nor a grant code, and
//     its access token has expired (or has no known expiry) more than age
//     ago, so it can never work again.
//
// A token with a refresh token and no known expiry is kept: nothing says
// how old it is.
func purgeReason(t *zohoauth.Token, now time.Time, age time.Duration) string {
	cutoff := now.Add(-age)
	old := !t.Expiry.IsZero() && t.Expiry.Before(cutoff)
	refreshable := t.RefreshToken != "" || t.GrantToken != ""
	switch {
	case !refreshable && (old || t.Expiry.IsZero()):
		return "unrefreshable"
	case old:
		return "unused since " + t.Expiry.UTC().Format(time.RFC3339)
	}
	return ""
}

// parseAge parses a duration that may also be given in days: "90d", "36h",
// "1d12h".
func parseAge(s string) (time.Duration, error) {
	var days int64
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 32)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not an age such as 90d or 720h", s)
		}
		days, s = n, s[i+1:]
	}
	var d time.Duration
	if s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not an age such as 90d or 720h", s)
		}
	}
	d += time.Duration(days) * 24 * time.Hour
	if d <= 0 {
		return 0, fmt.Errorf("the age must be positive")
	}
	return d, nil
}
