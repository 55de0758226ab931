package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storeurl"
)

// Exit codes of the command (documented in the package doc).
const (
	exitOK          = 0   // success
	exitFailure     = 1   // any other failure
	exitUsage       = 2   // bad command line or store URL
	exitNotFound    = 3   // no such token
	exitAuth        = 4   // Zoho refused the client, grant or refresh token: log in again
	exitUnavailable = 5   // store or Zoho unreachable, or Zoho's throttle: try again later
	exitHTTP        = 6   // api: the server answered with a status of 400 or more
	exitInterrupted = 130 // interrupted (Ctrl-C)
)

// Environment variables read by the command.
const (
	envStore        = "ZOHOAUTH_STORE"
	envAccountsURL  = "ZOHOAUTH_ACCOUNTS_URL"
	envClientID     = "ZOHOAUTH_CLIENT_ID"
	envClientSecret = "ZOHOAUTH_CLIENT_SECRET"
	envRedirectURI  = "ZOHOAUTH_REDIRECT_URI"
	envDataCenter   = "ZOHOAUTH_DC"
)

// Defaults.
const (
	defaultStore       = "sqlite:zohooauth.db"
	defaultRedirectURI = "http://127.0.0.1:8910/callback"
)

// app is one run of the command: its streams, its environment and the
// hooks tests replace.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	clock          clock.Clock
	// httpClient sends every request to Zoho (nil: http.DefaultClient).
	httpClient *http.Client
	// openBrowser opens url in the user's browser.
	openBrowser func(ctx context.Context, url string) error
	// listen opens the loopback listener of the login redirect.
	listen func(network, addr string) (net.Listener, error)
	// openStore opens a store URL.
	openStore func(ctx context.Context, rawURL string) (storeurl.Store, error)
	// isTerminal reports whether w is a terminal (progress bars).
	isTerminal func(w io.Writer) bool

	// Global options, set by the flags every command takes.
	storeURL    string
	accountsURL string
}

// newApp returns an app on the given streams and environment, with the real
// clock, browser, network and stores.
func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{
		stdin:       stdin,
		stdout:      stdout,
		stderr:      stderr,
		getenv:      getenv,
		clock:       clock.System(),
		openBrowser: openBrowser,
		listen:      net.Listen,
		openStore:   storeurl.Open,
		isTerminal:  isTerminal,
	}
}

// run runs the command line args (without the program name) and returns
// the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newApp(stdin, stdout, stderr, os.Getenv).main(ctx, args)
}

// command is a subcommand.
type command struct {
	name     string
	synopsis string // the arguments after the name
	summary  string
	run      func(a *app, ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{"login", "[--grant-token CODE | --no-browser] [--scope S]", "authorize a client for a user and save the token", (*app).cmdLogin},
		{"token", "[--user EMAIL | --id ID] [--json]", "print a valid access token, refreshing it if needed", (*app).cmdToken},
		{"list", "[--json]", "list the stored tokens, without secrets", (*app).cmdList},
		{"show", "[--user EMAIL | --id ID] [--reveal] [--json]", "show one token, secrets redacted unless --reveal", (*app).cmdShow},
		{"refresh", "[--user EMAIL | --id ID]", "get a new access token now", (*app).cmdRefresh},
		{"revoke", "[--user EMAIL | --id ID]", "revoke the refresh token at Zoho, then delete it here", (*app).cmdRevoke},
		{"delete", "(--user EMAIL | --id ID | --all) [--client-id ID]", "delete tokens from the store only", (*app).cmdDelete},
		{"purge", "--older-than AGE [--dry-run]", "delete tokens unused or unrefreshable for longer than AGE", (*app).cmdPurge},
		{"migrate", "--from URL --to URL [--delete-source]", "copy every token from one store to another", (*app).cmdMigrate},
		{"api", "[--user EMAIL | --id ID] [METHOD] PATH", "make an authenticated request to the CRM API", (*app).cmdAPI},
		{"quickstart", "[--keep]", "the whole story offline: log in, call the API, see the token refreshed", (*app).cmdQuickstart},
		{"emulator", "[--addr HOST:PORT]", "serve the offline Zoho emulator", (*app).cmdEmulator},
	}
}

func (a *app) usage(w io.Writer) {
	fmt.Fprint(w, `zohoauth manages the OAuth tokens of Zoho CRM clients.

Usage:
  zohoauth [--store URL] [--accounts-url URL] COMMAND [flags] [args]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, `
Global flags (before or after the command):
  --store URL         token store (env %s, default %s):
                      sqlite:PATH, file:PATH, mysql://…, postgres://…, redis://…, memory:
  --accounts-url URL  Zoho Accounts server for every call, e.g. the emulator's (env %s)

Run "zohoauth COMMAND -h" for a command's flags, "go doc github.com/zohoauth/zohoauth/cmd/zohoauth" for all.
`, envStore, defaultStore, envAccountsURL)
}

func (a *app) main(ctx context.Context, args []string) (code int) {
	err := a.dispatch(ctx, args)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(a.stderr, "zohoauth: "+printable(oneLine(err.Error())))
	return exitCode(ctx, err)
}

func (a *app) dispatch(ctx context.Context, args []string) error {
	global := flag.NewFlagSet("zohoauth", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	a.globalFlags(global)
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			a.usage(a.stdout)
			return err
		}
		return usageErrorf("%v", err)
	}
	rest := global.Args()
	if len(rest) == 0 {
		a.usage(a.stderr)
		return usageErrorf("no command given")
	}
	name := rest[0]
	if name == "help" {
		if len(rest) > 1 {
			return a.dispatch(ctx, []string{rest[1], "-h"})
		}
		a.usage(a.stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(a, ctx, rest[1:])
		}
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return usageErrorf("unknown command %q (commands: %s)", name, strings.Join(names, ", "))
}

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

// env returns the environment variable name, or def when it is empty.
func (a *app) env(name, def string) string {
	if v := a.getenv(name); v != "" {
		return v
	}
	return def
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

// open opens the store of --store.
func (a *app) open(ctx context.Context) (storeurl.Store, error) {
	return a.openStore(ctx, a.storeURL)
}

// accountsClient returns the Zoho Accounts client of this run.
func (a *app) accountsClient() *accounts.Client {
	return &accounts.Client{
		HTTPClient: a.httpClient,
		BaseURL:    strings.TrimRight(a.accountsURL, "/"),
		Now:        a.clock.Now,
	}
}

// selector picks one stored token: --user, --id, --client-id.
type selector struct {
	user, id, client string
}

func (sel *selector) register(fs *flag.FlagSet) {
	fs.StringVar(&sel.user, "user", "", "the token of this user (an e-mail, or Zoho's email:zgid)")
	fs.StringVar(&sel.id, "id", "", "the token with this store id")
	fs.StringVar(&sel.client, "client-id", "", "only tokens of this client")
}

func (sel *selector) matches(t *zohoauth.Token) bool {
	if sel.client != "" && t.ClientID != sel.client {
		return false
	}
	if sel.user == "" {
		return true
	}
	if strings.Contains(sel.user, ":") {
		return t.UserName == sel.user
	}
	return strings.EqualFold(t.Email(), sel.user)
}

// pick returns the one stored token the selector names. With no --user and
// no --id, the store must hold exactly one token (of --client-id, if given).
func (sel *selector) pick(ctx context.Context, s zohoauth.Store) (*zohoauth.Token, error) {
	if sel.id != "" {
		if sel.user != "" {
			return nil, usageErrorf("give --user or --id, not both")
		}
		if !zohoauth.ValidID(sel.id) {
			return nil, usageErrorf("--id %q is not a token id (a number)", sel.id)
		}
		t, err := s.FindTokenByID(ctx, sel.id)
		if err != nil {
			return nil, err
		}
		if sel.client != "" && t.ClientID != sel.client {
			return nil, notFoundf("token %s belongs to another client", sel.id)
		}
		return t, nil
	}
	if strings.Contains(sel.user, ":") && sel.client != "" {
		// Zoho's full user name and the client: at most one token (the
		// Store contract), found by the store's own look-up, no scan.
		t, err := s.FindToken(ctx, &zohoauth.Token{UserName: sel.user, ClientID: sel.client})
		if err == nil || !errors.Is(err, zohoauth.ErrNotFound) {
			return t, err
		}
		return nil, notFoundf("no token matches %s", sel.describe())
	}
	all, err := s.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	var found []*zohoauth.Token
	for _, t := range all {
		if sel.matches(t) {
			found = append(found, t)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0 && len(all) == 0:
		return nil, notFoundf("the store holds no token; run zohoauth login first")
	case len(found) == 0:
		return nil, notFoundf("no token matches %s", sel.describe())
	}
	ids := make([]string, 0, len(found))
	for _, t := range found {
		ids = append(ids, t.ID)
	}
	sort.Slice(ids, func(i, j int) bool { return zohoauth.CompareIDs(ids[i], ids[j]) < 0 })
	if len(ids) > 10 {
		ids = append(ids[:10], "…")
	}
	return nil, usageErrorf("%d tokens match %s (ids %s); choose one with --user or --id", len(found), sel.describe(), strings.Join(ids, ", "))
}

func (sel *selector) describe() string {
	var parts []string
	if sel.user != "" {
		parts = append(parts, "user "+sel.user)
	}
	if sel.client != "" {
		parts = append(parts, "client "+sel.client)
	}
	if len(parts) == 0 {
		return "the store"
	}
	return strings.Join(parts, " and ")
}

// Errors of the command line.

// usageError is a bad command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// notFoundError is a token that is not there: exit code 3.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }
func (e *notFoundError) Unwrap() error { return zohoauth.ErrNotFound }

func notFoundf(format string, args ...any) error {
	return &notFoundError{msg: fmt.Sprintf(format, args...)}
}

// httpStatusError is an api answer of status 400 or more, whose body was
// printed: exit code 6.
type httpStatusError struct{ status string }

func (e *httpStatusError) Error() string { return "HTTP " + e.status }

// exitCode maps an error to the command's exit code.
func exitCode(ctx context.Context, err error) int {
	var (
		ue *usageError
		se *storeurl.Error
		he *httpStatusError
	)
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &he):
		return exitHTTP
	case ctx.Err() != nil && errors.Is(err, ctx.Err()), errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &se) && (errors.Is(err, storeurl.ErrBadURL) || errors.Is(err, storeurl.ErrUnknownScheme) || errors.Is(err, storeurl.ErrConfig)),
		errors.Is(err, filestore.ErrReadOnly):
		return exitUsage
	case errors.Is(err, zohoauth.ErrNotFound):
		return exitNotFound
	case errors.Is(err, auth.ErrReauthorize), errors.Is(err, accounts.ErrInvalidCode), errors.Is(err, accounts.ErrInvalidClient),
		errors.Is(err, accounts.ErrInvalidRedirectURI), errors.Is(err, accounts.ErrRejected),
		errors.Is(err, accounts.ErrRevokeFailed):
		return exitAuth
	case errors.Is(err, accounts.ErrTransient), errors.Is(err, accounts.ErrThrottled),
		errors.As(err, &se), errors.Is(err, context.DeadlineExceeded):
		return exitUnavailable
	}
	return exitFailure
}

// oneLine joins the lines of a message.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// timeLeft formats the time left until t: "59m12s", "expired 3m ago", "-".
func timeLeft(t zohoauth.Token, now time.Time) string {
	if t.Expiry.IsZero() {
		return "-"
	}
	d := t.Expiry.Sub(now).Round(time.Second)
	if d <= 0 {
		return "expired " + shortDuration(-d) + " ago"
	}
	return shortDuration(d)
}

// shortDuration formats d as "2d3h", "1h05m", "59m12s", "5s".
func shortDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd%dh", d/(24*time.Hour), (d%(24*time.Hour))/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, (d%time.Hour)/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, (d%time.Minute)/time.Second)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
