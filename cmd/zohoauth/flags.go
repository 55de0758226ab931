package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/zohoauth/zohoauth/storeurl"
)

// globalFlags registers the flags every command takes.
func (a *app) globalFlags(fs *flag.FlagSet) {
	if a.storeURL == "" {
		a.storeURL = a.env(envStore, defaultStore)
	}
	if a.accountsURL == "" {
		a.accountsURL = a.getenv(envAccountsURL)
	}
	fs.StringVar(&a.storeURL, "store", a.storeURL, "token store URL (env "+envStore+")")
	fs.StringVar(&a.accountsURL, "accounts-url", a.accountsURL, "Zoho Accounts server for every call (env "+envAccountsURL+")")
}

// flags returns the flag set of a command, with the global flags.
func (a *app) flags(c string) *flag.FlagSet {
	fs := flag.NewFlagSet(c, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.globalFlags(fs)
	return fs
}

// parse parses args with fs, flags and arguments in any order ("--" ends
// the flags), and returns the arguments. -h prints the command's usage.
func (a *app) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				a.commandUsage(fs)
				return nil, err
			}
			return nil, usageErrorf("%s: %v (see zohoauth %s -h)", fs.Name(), err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (a *app) commandUsage(fs *flag.FlagSet) {
	for _, c := range commands() {
		if c.name == fs.Name() {
			fmt.Fprintf(a.stdout, "Usage: zohoauth %s %s\n\n%s.\n\nFlags:\n", c.name, c.synopsis, upperFirst(c.summary))
		}
	}
	// Defaults come from the environment too (ZOHOAUTH_STORE may hold a
	// database password): show none of their secrets.
	fs.VisitAll(func(f *flag.Flag) { f.DefValue = redactDefault(f.DefValue) })
	fs.SetOutput(a.stdout)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// redactDefault hides the password of a URL-like flag default, as
// storeurl.Redact does, and also of a value Redact cannot take apart (a raw
// '?' or '/' in the password): whatever lies between the user name's ':'
// and the last '@'. It may hide more than the password, never less.
func redactDefault(v string) string {
	v = storeurl.Redact(v)
	at := strings.LastIndex(v, "@")
	if at < 0 {
		return v
	}
	start := 0
	if i := strings.Index(v, "//"); i >= 0 && i < at {
		start = i + 2
	}
	user, _, hasPass := strings.Cut(v[start:at], ":")
	if !hasPass {
		return v
	}
	return v[:start] + user + ":xxxxx" + v[at:]
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// noArgs fails when a command that takes no arguments was given some.
func noArgs(name string, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments (got %q)", name, args[0])
	}
	return nil
}
