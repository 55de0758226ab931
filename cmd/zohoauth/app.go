package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

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
	// openBrowser opens url in the user's browser; it returns once the
	// browser is on its way, and reports an opener that fails later on
	// openerFailed.
	openBrowser  func(ctx context.Context, url string) error
	openerFailed chan error
	// listen opens the loopback listener of the login redirect.
	listen func(network, addr string) (net.Listener, error)
	// openStore opens a store URL.
	openStore func(ctx context.Context, rawURL string) (storeurl.Store, error)
	// isTerminal reports whether w is a terminal (progress bars).
	isTerminal func(w io.Writer) bool
	// interactive reports whether the user can answer a question
	// (standard input and standard error are terminals).
	interactive func() bool

	// Global options, set by the flags every command takes.
	storeURL    string
	accountsURL string
	debug       bool // --debug: HTTP exchanges and error details on stderr
	// Encryption at rest: --keyset, --keyset-mode (see keyset.go).
	keysetPath string
	keysetMode string
	keysetFlag *pflag.Flag
	// jsonErrors is set by a command run with --json: an error is a JSON
	// object on standard error.
	jsonErrors bool

	// The settings of the config file and the defaults, found once.
	configured      bool
	cfg             config
	defaultStoreURL string // "" when there is no data directory
	noDefaultStore  error  // why there is no default store
	hinted          bool   // hintWorkingDirStore has run
}

// newApp returns an app on the given streams and environment, with the real
// clock, browser, network and stores.
func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	a := &app{
		stdin:      stdin,
		stdout:     stdout,
		stderr:     stderr,
		getenv:     getenv,
		clock:      clock.System(),
		listen:     net.Listen,
		openStore:  stores().Open,
		isTerminal: func(w io.Writer) bool { return isTerminal(w) },
	}
	a.interactive = a.interactiveTerminal
	a.openBrowser = a.systemBrowser
	a.openerFailed = make(chan error, 1)
	return a
}

// run runs the command line args (without the program name) and returns
// the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newApp(stdin, stdout, stderr, os.Getenv).main(ctx, args)
}

// main runs the command line args and returns the exit code; an error is
// reported on standard error as one line.
func (a *app) main(ctx context.Context, args []string) int {
	err := a.execute(ctx, args)
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	a.reportError(ctx, err, code)
	return code
}

// execute runs the command line args.
func (a *app) execute(ctx context.Context, args []string) error {
	if err := a.configure(); err != nil {
		return err
	}
	root := a.rootCmd()
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}

// configure reads the config file and finds the default store, once.
func (a *app) configure() error {
	if a.configured {
		return nil
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	a.cfg, a.configured = cfg, true
	if dir, err := a.dataDir(); err != nil {
		a.noDefaultStore = err
	} else {
		a.defaultStoreURL = "sqlite:" + filepath.Join(dir, defaultStoreFile)
	}
	return nil
}

// client returns the HTTP client of the calls to Zoho: a.httpClient, which
// logs every exchange with --debug.
func (a *app) client() *http.Client {
	if !a.debug {
		return a.httpClient
	}
	var c http.Client
	if a.httpClient != nil {
		c = *a.httpClient
	}
	c.Transport = a.debugTransport(c.Transport)
	return &c
}

// accountsClient returns the Zoho Accounts client of this run.
func (a *app) accountsClient() *accounts.Client {
	return &accounts.Client{
		HTTPClient: a.client(),
		BaseURL:    strings.TrimRight(a.accountsURL, "/"),
		Now:        a.clock.Now,
	}
}
