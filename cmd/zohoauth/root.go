package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// rootCmd returns the command tree of one run: the zohoauth command, its
// global flags and its subcommands, with the help and errors this command
// prints (one line "zohoauth: …" on standard error, exit codes of
// exitCode).
func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "zohoauth",
		Short: "zohoauth manages the OAuth tokens of Zoho CRM clients.",
		// An unknown command reaches RunE, which names it with
		// suggestions: cobra's own message would be a plain error (exit 1).
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				a.rootHelp(c, a.stderr)
				return usageErrorf("no command given")
			}
			msg := fmt.Sprintf("unknown command %q", args[0])
			if s := c.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return usageErrorf("%s (run zohoauth --help for the commands)", msg)
		},
		// An unknown flag before an unknown command: report the command.
		FParseErrWhitelist:         cobra.FParseErrWhitelist{UnknownFlags: true},
		SilenceErrors:              true,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	a.globalFlags(root.PersistentFlags())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageErrorf("%s: %v (see zohoauth %s --help)", c.Name(), err, c.Name())
	})
	root.SetHelpFunc(func(c *cobra.Command, _ []string) {
		if c == root {
			a.rootHelp(c, a.stdout)
			return
		}
		a.commandHelp(c)
	})
	root.AddCommand(
		a.loginCmd(),
		a.tokenCmd(),
		a.listCmd(),
		a.statusCmd(),
		a.showCmd(),
		a.refreshCmd(),
		a.revokeCmd(),
		a.deleteCmd(),
		a.purgeCmd(),
		a.sweepCmd(),
		a.migrateCmd(),
		a.keysCmd(),
		a.rekeyCmd(),
		a.serveCmd(),
		a.apiCmd(),
		a.quickstartCmd(),
		a.emulatorCmd(),
		a.versionCmd(),
	)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	a.registerCompletions(root)
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Short = "help about a command: zohoauth help COMMAND"
		case "completion":
			c.Short = "print the shell completion script: bash, zsh, fish or powershell"
		}
	}
	return root
}

// subcommands returns the commands of the tree that a user runs: every
// subcommand but help and the hidden ones.
func subcommands(root *cobra.Command) []*cobra.Command {
	var cs []*cobra.Command
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() && c.Name() != "help" {
			cs = append(cs, c)
		}
	}
	return cs
}

// rootHelp writes the command's overview: usage, commands, global flags.
func (a *app) rootHelp(root *cobra.Command, w io.Writer) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  zohoauth %s COMMAND [flags] [args]\n\nCommands:\n", root.Short, flagSynopsis(root.PersistentFlags()))
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() || c.Name() == "help" {
			fmt.Fprintf(w, "  %-11s %s\n", c.Name(), c.Short)
		}
	}
	fmt.Fprintf(w, "\nGlobal flags (before or after the command):\n%s\n", flagUsages(root.PersistentFlags()))
	fmt.Fprintln(w, `Run "zohoauth COMMAND --help" for a command's flags, "go doc github.com/zohoauth/zohoauth/cmd/zohoauth" for all.`)
}

// commandHelp writes a command's help: its usage line, which names every
// flag it takes, its summary and its flags.
func (a *app) commandHelp(c *cobra.Command) {
	w := a.stdout
	fmt.Fprintf(w, "Usage: %s\n\n%s.\n", usageLine(c), upperFirst(c.Short))
	if c.Long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.Long))
	}
	if c.HasAvailableSubCommands() {
		fmt.Fprintln(w, "\nCommands:")
		for _, sc := range c.Commands() {
			if sc.IsAvailableCommand() {
				fmt.Fprintf(w, "  %-11s %s\n", sc.Name(), sc.Short)
			}
		}
	}
	if local := c.LocalNonPersistentFlags(); local.HasAvailableFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", flagUsages(local))
	}
	if inherited := c.InheritedFlags(); inherited.HasAvailableFlags() {
		fmt.Fprintf(w, "\nGlobal flags:\n%s", flagUsages(inherited))
	}
}

// usageLine returns "zohoauth COMMAND SYNOPSIS" with every flag of the
// command on it: the synopsis of its Use, then each flag the synopsis
// does not name, then the global flags.
func usageLine(c *cobra.Command) string {
	line := c.CommandPath()
	if _, synopsis, ok := strings.Cut(c.Use, " "); ok {
		line += " " + synopsis
	}
	var rest []string
	c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" || mentions(c.Use, f.Name) {
			return
		}
		rest = append(rest, flagSynopsisOf(f))
	})
	if len(rest) > 0 {
		line += " " + strings.Join(rest, " ")
	}
	if g := flagSynopsis(c.InheritedFlags()); g != "" {
		line += " " + g
	}
	return line
}

// mentions reports whether a synopsis names the flag --name.
func mentions(synopsis, name string) bool {
	for _, w := range strings.FieldsFunc(synopsis, func(r rune) bool { return strings.ContainsRune(" []()|=", r) }) {
		if w == "--"+name {
			return true
		}
	}
	return false
}

// flagSynopsis returns "[--name VALUE] …" for the flags of fs.
func flagSynopsis(fs *pflag.FlagSet) string {
	var parts []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden && f.Name != "help" {
			parts = append(parts, flagSynopsisOf(f))
		}
	})
	return strings.Join(parts, " ")
}

// flagSynopsisOf returns "[--name VALUE]", or "[--name]" for a boolean.
func flagSynopsisOf(f *pflag.Flag) string {
	name, _ := pflag.UnquoteUsage(f)
	if name == "" || f.NoOptDefVal != "" {
		return "[--" + f.Name + "]"
	}
	return "[--" + f.Name + " " + name + "]"
}

// flagUsages returns the flags' help lines, with the defaults (which may
// come from the environment or the config file) redacted.
func flagUsages(fs *pflag.FlagSet) string {
	fs.VisitAll(func(f *pflag.Flag) { f.DefValue = redactDefault(f.DefValue) })
	return fs.FlagUsages()
}
