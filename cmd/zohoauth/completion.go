package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth"
)

// storeSchemes returns the beginnings of the store URLs, for completion.
func storeSchemes() []string {
	return []string{
		"sqlite:\tSQLite file",
		"file:\tZoho's CSV token file",
		"mysql://\tMySQL or MariaDB",
		"postgres://\tPostgreSQL",
		"redis://\tRedis",
		"memory:\ta map in this process",
	}
}

// registerCompletions adds the completion of flag values to the command
// tree: store URLs, data centers, and the users, ids and clients of the
// store.
func (a *app) registerCompletions(root *cobra.Command) {
	urls := func(_ *cobra.Command, _ []string, typed string) ([]string, cobra.ShellCompDirective) {
		if strings.Contains(typed, ":") {
			return nil, cobra.ShellCompDirectiveDefault // a path or a host: the shell's own completion
		}
		return storeSchemes(), cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	}
	_ = root.RegisterFlagCompletionFunc("store", urls)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, name := range []string{"from", "to"} {
			if c.LocalNonPersistentFlags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, urls)
			}
		}
		if c.LocalNonPersistentFlags().Lookup("dc") != nil {
			_ = c.RegisterFlagCompletionFunc("dc", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				var codes []string // each data center once: its production environment
				for _, env := range zohoauth.Environments() {
					if env.Kind == zohoauth.Production {
						codes = append(codes, env.DC)
					}
				}
				return codes, cobra.ShellCompDirectiveNoFileComp
			})
		}
		// Stored values: only for commands that select stored tokens (the
		// emulator's --user and --client-id are new values).
		if c.Name() != "emulator" && c.Name() != "login" {
			for name, values := range map[string]func(*zohoauth.Token) (string, string){
				"id":        func(t *zohoauth.Token) (string, string) { return t.ID, t.UserName },
				"user":      func(t *zohoauth.Token) (string, string) { return t.UserName, "token " + t.ID },
				"client-id": func(t *zohoauth.Token) (string, string) { return t.ClientID, "" },
			} {
				if c.LocalNonPersistentFlags().Lookup(name) != nil {
					_ = c.RegisterFlagCompletionFunc(name, a.storedValues(values))
				}
			}
		}
		for _, sc := range c.Commands() {
			walk(sc)
		}
	}
	walk(root)
}

// storedValues completes a flag with a value of each stored token, and its
// description, read from the store of --store. It never creates a store,
// and a store that cannot be read completes nothing.
func (a *app) storedValues(value func(*zohoauth.Token) (string, string)) cobra.CompletionFunc {
	return func(c *cobra.Command, _ []string, typed string) ([]string, cobra.ShellCompDirective) {
		ctx := c.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		s, err := a.openExisting(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		defer s.Close()
		all, err := s.Tokens(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		seen := map[string]bool{}
		var out []string
		for _, t := range all {
			v, desc := value(t)
			if v == "" || seen[v] || !strings.HasPrefix(v, typed) || strings.ContainsAny(v, "\t\n\r") {
				continue
			}
			seen[v] = true
			if desc != "" {
				v += "\t" + printable(desc)
			}
			out = append(out, v)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
