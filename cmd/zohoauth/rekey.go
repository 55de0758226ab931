package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth/sealed"
)

func (a *app) rekeyCmd() *cobra.Command {
	var after string
	var page int
	c := &cobra.Command{
		Use:   "rekey [--after ID] [--page N]",
		Short: "re-encrypt every stored token under the keyset's primary key",
		Long: `Rewrites every stored value that is not under the primary key of the keyset, a page at a time,
each token guarded against a concurrent refresh, each rewrite read back and checked. It is
idempotent: values already under the primary key are left alone, so run it again at will.
With --keyset-mode migrate it also encrypts plain values; with --keyset-mode unseal it
decrypts every value instead.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.rekey(c.Context(), after, page)
		},
	}
	c.Flags().StringVar(&after, "after", "", "resume: skip the tokens with an id up to `ID` (the last id an interrupted run reported)")
	c.Flags().IntVar(&page, "page", sealed.DefaultPageSize, "tokens read at a time, `N`")
	return c
}

func (a *app) rekey(ctx context.Context, after string, page int) error {
	if page < 1 {
		return usageErrorf("--page must be at least 1")
	}
	ks, err := a.globalKeyset()
	if err != nil {
		return err
	}
	if ks.src == nil {
		return usageErrorf("rekey needs the keyset: --keyset FILE, %s or %s", envKeysetFile, envKeyset)
	}
	st, closer, err := a.openSealedStore(ctx, a.storeURL, false, ks)
	if err != nil {
		return err
	}
	defer closer.Close()

	total := -1
	if a.isTerminal(a.stderr) {
		// Counted beforehand for the bar's total and time left; only
		// read, nothing is written by this walk.
		if u, err := st.Usage(ctx, page); err == nil {
			total = u.Tokens
			if after != "" {
				total = -1 // the walk skips an unknown part
			}
		}
	}
	draw := a.progress("rekeying ")
	draw(0, total)
	var last sealed.RekeyReport
	rep, err := st.Rekey(ctx, sealed.RekeyOptions{PageSize: page, After: after, Progress: func(r sealed.RekeyReport) {
		last = r
		draw(r.Tokens, total)
	}})
	draw(-1, -1)
	if err != nil {
		done := rep
		if done.LastID == "" {
			done = last
		}
		hint := "run zohoauth rekey again: it skips what is done"
		if done.LastID != "" {
			hint = fmt.Sprintf("done through token id %s, %s rewritten; run zohoauth rekey again (it skips what is done), or resume with --after %s",
				done.LastID, plural(done.Rewritten, "token"), done.LastID)
		}
		return &hintError{err: err, hint: "(" + hint + ")"}
	}
	target := "key " + rep.Target.String()
	if st.Mode() == sealed.Unseal {
		target = "plain values"
	}
	fmt.Fprintf(a.stderr, "rekeyed %s of %s: %s rewritten (%s) to %s, each read back and checked; %s left under other keys\n",
		plural(rep.Tokens, "token"), storeName(a.storeURL), plural(rep.Rewritten, "token"), plural(rep.Values, "value"), target, plural(rep.Remaining, "value"))
	if st.Mode() != sealed.Unseal {
		keys := st.Keyring().Keys()
		old := slices.DeleteFunc(slices.Clone(keys), func(id sealed.KeyID) bool { return id == rep.Target })
		for _, id := range old {
			fmt.Fprintf(a.stderr, "key %s holds no value of this store now: zohoauth keys retire %s (once every store sharing the keyset is rekeyed)\n", id, id)
		}
	}
	return nil
}
