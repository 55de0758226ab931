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
	"strings"

	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/storeurl"
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

// accountsClient returns the Zoho Accounts client of this run.
func (a *app) accountsClient() *accounts.Client {
	return &accounts.Client{
		HTTPClient: a.httpClient,
		BaseURL:    strings.TrimRight(a.accountsURL, "/"),
		Now:        a.clock.Now,
	}
}
