package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
)

// sweepOptions are the flags of sweep.
type sweepOptions struct {
	dryRun   bool
	asJSON   bool
	interval time.Duration
}

func (a *app) sweepCmd() *cobra.Command {
	var o sweepOptions
	c := &cobra.Command{
		Use:   "sweep [--dry-run] [--json] [--interval D]",
		Short: "apply the lifecycle policies of the config file to every stored token",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.jsonErrors = o.asJSON
			return a.sweep(c.Context(), &o)
		},
	}
	c.Flags().BoolVar(&o.dryRun, "dry-run", false, "change nothing (at Zoho or in the store), take no lock: say what a sweep would do now")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	c.Flags().DurationVar(&o.interval, "interval", 0, "no other sweep of the store starts within this `D`uration of this one (default: sweep_interval of the config file, or 1h)")
	return c
}

// sweepView is the JSON of sweep --json.
type sweepView struct {
	Store string `json:"store"`
	auth.SweepReport
	DurationMS int64 `json:"duration_ms"`
}

// sweepIncomplete is a sweep some of whose actions failed: exit code
// exitPartial.
type sweepIncomplete struct{ err error }

func (e *sweepIncomplete) Error() string {
	return e.err.Error() + "; the tokens concerned are kept (the report says why): run zohoauth sweep again to retry them"
}
func (e *sweepIncomplete) Unwrap() error { return e.err }
func (e *sweepIncomplete) ExitCode() int { return exitPartial }

// sweep runs one sweep of the store with the policies of the config file.
func (a *app) sweep(ctx context.Context, o *sweepOptions) error {
	if o.interval < 0 {
		return usageErrorf("--interval %v is negative", o.interval)
	}
	s, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, ok := s.(zohoauth.LifecycleKeeper); !ok {
		return usageErrorf("the store %s keeps no lifecycle records: there is nothing to sweep, and no policy can apply to it", a.printableStore())
	}
	authn, err := a.authenticator(s, zohoauth.Environment{})
	if err != nil {
		return err
	}
	defer authn.Close()
	p, every := a.cfg.policies()
	if o.interval > 0 {
		every = o.interval
	}
	if p.IsZero() && !o.asJSON {
		fmt.Fprintln(a.stderr, "no policy is set in the config file (session_lifetime, idle_timeout, failure_days): the sweep only removes orphan lifecycle records")
	}
	rep, err := authn.Sweep(ctx, auth.SweepOptions{DryRun: o.dryRun, Interval: every})
	if err != nil && !errors.Is(err, auth.ErrSweepIncomplete) {
		return err
	}
	if o.asJSON {
		if werr := writeJSON(a.stdout, sweepView{Store: a.printableStore(), SweepReport: rep, DurationMS: rep.Duration.Milliseconds()}); werr != nil {
			return werr
		}
	} else {
		writeSweep(a.stderr, a.printableStore(), rep)
	}
	if err != nil {
		return &sweepIncomplete{err: err}
	}
	return nil
}

// writeSweep writes the report for a person: one line an action, then the
// counts.
func writeSweep(w io.Writer, store string, rep auth.SweepReport) {
	if rep.Skipped {
		fmt.Fprintf(w, "sweep of %s skipped: another process swept it within the interval, or sweeps it now\n", store)
		return
	}
	would := ""
	if rep.DryRun {
		would = "would be "
	}
	for _, it := range rep.Items {
		who := fmt.Sprintf("token %s (%s, client %s)", printable(it.ID), orDash(printable(it.User)), orDash(printable(it.ClientID)))
		since := ""
		if !it.Since.IsZero() {
			since = it.Since.UTC().Format(time.RFC3339)
		}
		switch it.Action {
		case auth.ActionRevoked:
			fmt.Fprintf(w, "%s: idle since %s: %srevoked at Zoho and deleted\n", who, since, would)
		case auth.ActionExhausted:
			fmt.Fprintf(w, "%s: refreshes failing since %s: %smarked exhausted (refused until a new login)\n", who, since, would)
		case auth.ActionSessionEnded:
			fmt.Fprintf(w, "%s: session ended %s: kept, refused until a new login\n", who, since)
		case auth.ActionStamped:
			fmt.Fprintf(w, "%s: no lifecycle record (saved by another program): %sstamped now; its idle time counts from now\n", who, would)
		case auth.ActionRemoved:
			fmt.Fprintf(w, "lifecycle record %s: its token is gone: %sremoved\n", printable(it.ID), would)
		case auth.ActionFailed:
			fmt.Fprintf(w, "%s: %s: FAILED, kept: %s\n", who, it.Policy, printable(oneLine(it.Error)))
		}
	}
	if rep.Truncated > 0 {
		fmt.Fprintf(w, "… and %d more (the counts below are complete)\n", rep.Truncated)
	}
	head := "sweep of"
	if rep.DryRun {
		head = "dry run of the sweep of (nothing changed)"
	}
	fmt.Fprintf(w, "%s %s: %d tokens, %d records: %d revoked, %d exhausted, %d sessions ended, %d stamped, %d orphan records removed, %d failed (%s)\n",
		head, store, rep.Tokens, rep.Records, rep.Revoked, rep.Exhausted, rep.SessionEnded, rep.Stamped, rep.Removed, rep.Failed, rep.Duration.Round(time.Millisecond))
}
