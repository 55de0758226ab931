package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/zohoauth/zohoauth/storeurl"
)

// globalFlags registers the flags every command takes.
func (a *app) globalFlags(fs *pflag.FlagSet) {
	if a.storeURL == "" {
		a.storeURL = a.env(envStore, a.cfg.or(a.cfg.store, a.defaultStoreURL))
	}
	if a.accountsURL == "" {
		a.accountsURL = a.env(envAccountsURL, a.cfg.accountsURL)
	}
	fs.StringVar(&a.storeURL, "store", a.storeURL, "token store `URL` (env "+envStore+"): sqlite:PATH, file:PATH, mysql://…, postgres://…, redis://…, memory:")
	if !a.debug {
		switch strings.ToLower(a.getenv(envDebug)) {
		case "1", "true", "yes":
			a.debug = true
		}
	}
	fs.BoolVar(&a.debug, "debug", a.debug, "show every HTTP exchange with Zoho, secrets redacted, and the details of an error (env "+envDebug+"=1)")
	a.keysetFlags(fs)
	fs.StringVar(&a.accountsURL, "accounts-url", a.accountsURL, "Zoho Accounts server (`URL`) for every call, e.g. the emulator's (env "+envAccountsURL+")")
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
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments (got %q)", c.Name(), args[0])
	}
	return nil
}
