package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/tokenserver"
)

// envServeKeys names the API key file of serve.
const envServeKeys = "ZOHOAUTH_SERVE_KEYS"

// serveKeysFile is the API key file's name in the user's data directory.
const serveKeysFile = "serve-keys.json"

// serveOptions are the flags of serve.
type serveOptions struct {
	addr, cert, key string
	insecure        bool
	rate            float64
	burst           int
	maxBody         int64
	metricsPublic   bool
}

func (a *app) serveCmd() *cobra.Command {
	var o serveOptions
	var keysPath string
	c := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--cert FILE --key FILE] [--insecure] [--keys FILE] [--rate R] [--burst N] [--max-body BYTES] [--metrics-public]",
		Short: "serve valid access tokens and the token store over HTTP to a fleet, with a web console",
		Long: `Serves the JSON API of package tokenserver (GET /v1/token?user=U&client_id=C, the six
token-store operations under /v1/tokens, POST /v1/revoke, /healthz, /readyz), the web
console (/console/, an admin key logs in) and /metrics (OpenMetrics or Prometheus text: the
refreshes and store calls of the authenticator, the requests by route and status, the denied
and rate-limited calls), until interrupted. Every call but /healthz and /readyz needs an API
key (Authorization: Bearer zak_…), made with "zohoauth serve keys create"; /metrics needs a
key made with --metrics or --admin, unless --metrics-public opens it to callers on loopback
(only with a loopback --addr).
It listens on loopback by default; another address needs --cert and --key (HTTPS), or
--insecure (behind a TLS-terminating proxy). Several instances over one store refresh each
token once for all.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.serve(c.Context(), keysPath, o)
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.addr, "addr", tokenserver.DefaultAddr, "address to listen on, `HOST:PORT` (port 0: any free port); not loopback: needs --cert and --key, or --insecure")
	fs.StringVar(&o.cert, "cert", "", "TLS certificate `FILE` (PEM), with --key: serve HTTPS")
	fs.StringVar(&o.key, "key", "", "TLS private key `FILE` (PEM), with --cert")
	fs.BoolVar(&o.insecure, "insecure", false, "allow plain HTTP on an address that is not loopback")
	fs.Float64Var(&o.rate, "rate", tokenserver.DefaultRate, "requests per second allowed to each API key, `R` (a key's own limit wins)")
	fs.IntVar(&o.burst, "burst", tokenserver.DefaultBurst, "requests an API key may make at once above --rate, `N`")
	fs.Int64Var(&o.maxBody, "max-body", tokenserver.DefaultMaxBodyBytes, "largest request body, in `BYTES`")
	fs.BoolVar(&o.metricsPublic, "metrics-public", false, "serve /metrics without an API key to callers on loopback (only with a loopback --addr)")
	c.PersistentFlags().StringVar(&keysPath, "keys", a.getenv(envServeKeys), "API key `FILE` (mode 0600; env "+envServeKeys+"; default "+serveKeysFile+" in the data directory)")
	c.AddCommand(a.serveKeysCmd(&keysPath))
	return c
}

// serveKeysPath returns the API key file: --keys, or serve-keys.json in
// the user's data directory.
func (a *app) serveKeysPath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	dir, err := a.dataDir()
	if err != nil {
		return "", usageErrorf("no API key file: %v; give --keys FILE or %s", err, envServeKeys)
	}
	return filepath.Join(dir, serveKeysFile), nil
}

func (a *app) serve(ctx context.Context, keysFlag string, o serveOptions) error {
	if (o.cert == "") != (o.key == "") {
		return usageErrorf("serve: give both --cert and --key, or neither")
	}
	if o.rate <= 0 || o.burst < 1 || o.maxBody < 1 {
		return usageErrorf("serve: --rate, --burst and --max-body must be positive")
	}
	// The address is checked first: a refusal changes nothing, opens
	// nothing.
	if err := tokenserver.CheckAddr(o.addr, o.cert != "", o.insecure); err != nil {
		return err
	}
	if err := tokenserver.CheckMetricsPublic(o.addr, o.metricsPublic); err != nil {
		return err
	}
	keysPath, err := a.serveKeysPath(keysFlag)
	if err != nil {
		return err
	}
	keys, err := tokenserver.OpenKeyFile(keysPath)
	if err != nil {
		return err
	}
	if list, err := keys.ListKeys(ctx); err == nil && len(list) == 0 {
		fmt.Fprintf(a.stderr, "zohoauth: note: %s holds no API key: every call will be refused; create one with zohoauth serve keys create NAME --keys %s\n", keysPath, keysPath)
	}
	s, err := a.open(ctx) // an empty store is served: callers may save tokens
	if err != nil {
		return err
	}
	defer s.Close()
	log := slog.New(slog.NewTextHandler(a.stderr, nil))
	// The metrics of this service only: a registry of its own, not the
	// process-wide default.
	metrics, err := tokenserver.NewPrometheusMetrics()
	if err != nil {
		return err
	}
	defer metrics.Shutdown(context.WithoutCancel(ctx))
	ac := a.accountsClient()
	activity := tokenserver.NewActivity(0, 0) // the console's chart
	// The config file's policies; with its sweep_interval, the service
	// sweeps in the background (one process of a fleet per interval).
	policies, every := a.cfg.policies()
	au, err := auth.New(s, auth.Options{Accounts: ac, Clock: a.clock, Logger: log, MeterProvider: metrics.Provider, OnEvent: activity.Record,
		Policies: policies, SweepInterval: every})
	if err != nil {
		return &configError{path: a.cfg.path, msg: err.Error()}
	}
	defer au.Close()
	srv, err := tokenserver.New(s, au, keys, tokenserver.Config{
		Addr: o.addr, CertFile: o.cert, KeyFile: o.key, Insecure: o.insecure,
		Rate: o.rate, Burst: o.burst, MaxBodyBytes: o.maxBody,
		Accounts: ac, Clock: a.clock, Logger: log,
		MeterProvider: metrics.Provider, Metrics: metrics.Handler(), MetricsPublic: o.metricsPublic,
		Activity: activity,
	})
	if err != nil {
		return err
	}
	ln, err := srv.Listen(ctx)
	if err != nil {
		return err
	}
	scheme := "http"
	if srv.TLS() {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String()
	fmt.Fprintln(a.stdout, url)
	access := "a key with --metrics or --admin"
	if o.metricsPublic {
		access = "public on loopback"
	}
	fmt.Fprintf(a.stderr, "serving the tokens of %s at %s (API keys: %s; console: %s/console/; metrics: %s/metrics, %s). Press Ctrl-C to stop.\n", storeName(a.storeURL), url, keysPath, url, url, access)
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// serveExitCode returns the exit code of an error of serve, or 0: an
// address refused without TLS, public metrics on an address that is not
// loopback, or a key file others may read, is a bad configuration (2); an
// unknown API key id is not found (3).
func serveExitCode(err error) int {
	switch {
	case errors.Is(err, tokenserver.ErrInsecure), errors.Is(err, tokenserver.ErrMetricsPublic), errors.Is(err, tokenserver.ErrKeyFileMode):
		return exitUsage
	case errors.Is(err, tokenserver.ErrUnknownKey):
		return exitNotFound
	}
	return 0
}

func (a *app) serveKeysCmd(keysPath *string) *cobra.Command {
	c := &cobra.Command{
		Use:   "keys create|list|revoke",
		Short: "manage the API keys of serve (stored as hashes in the key file)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.commandHelp(c)
			return usageErrorf("serve keys needs a command: create, list or revoke")
		},
	}
	c.AddCommand(a.serveKeysCreateCmd(keysPath), a.serveKeysListCmd(keysPath), a.serveKeysRevokeCmd(keysPath))
	return c
}

func (a *app) serveKeysCreateCmd(keysPath *string) *cobra.Command {
	var spec tokenserver.KeySpec
	c := &cobra.Command{
		Use:   "create NAME [--user EMAIL]... [--client ID]... [--secrets] [--admin] [--metrics] [--ttl D] [--key-rate R] [--key-burst N]",
		Short: "create an API key for the calling service NAME and print it once",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			spec.Name = args[0]
			return a.serveKeysCreate(c.Context(), *keysPath, spec)
		},
	}
	fs := c.Flags()
	fs.StringSliceVar(&spec.Users, "user", nil, "a user whose tokens the key may get: an `EMAIL`, email:zgid, or * for every user (repeat or comma-separate)")
	fs.StringSliceVar(&spec.Clients, "client", nil, "a client `ID` whose tokens the key may get, or * for every client (repeat or comma-separate)")
	fs.BoolVar(&spec.Secrets, "secrets", false, "let the key read refresh tokens, grant tokens and client secrets (by default: access tokens only)")
	fs.BoolVar(&spec.Admin, "admin", false, "let the key log in to the console, manage API keys and act on every token")
	fs.BoolVar(&spec.Metrics, "metrics", false, "let the key read /metrics (alone: a scraper's key, which gets no token)")
	fs.DurationVar(&spec.TTL, "ttl", 0, "the key expires after `D` (a Go duration; default: never)")
	fs.Float64Var(&spec.Rate, "key-rate", 0, "the key's own rate limit, `R` requests per second (default: serve's --rate)")
	fs.IntVar(&spec.Burst, "key-burst", 0, "the key's own burst, `N` (default: serve's --burst)")
	return c
}

func (a *app) serveKeysCreate(ctx context.Context, keysFlag string, spec tokenserver.KeySpec) error {
	if strings.TrimSpace(spec.Name) == "" {
		return usageErrorf("serve keys create: NAME must not be empty")
	}
	tokens := len(spec.Users) > 0 || len(spec.Clients) > 0
	if !spec.Admin && (tokens || !spec.Metrics) && (len(spec.Users) == 0 || len(spec.Clients) == 0) {
		return usageErrorf("serve keys create: say which tokens the key may get: --user EMAIL (or '*') and --client ID (or '*'), or --admin; or --metrics alone for a key that only reads /metrics")
	}
	if spec.TTL < 0 || spec.Rate < 0 || spec.Burst < 0 {
		return usageErrorf("serve keys create: --ttl, --key-rate and --key-burst must not be negative")
	}
	path, err := a.serveKeysPath(keysFlag)
	if err != nil {
		return err
	}
	if keysFlag == "" {
		// The default file's directory is the default store's: private.
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("creating the key file's directory: %w", err)
		}
	}
	keys, err := tokenserver.OpenKeyFile(path)
	if err != nil {
		return err
	}
	key, rec, err := keys.CreateKey(ctx, spec, a.clock.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, key)
	fmt.Fprintf(a.stderr, "created API key %s (%s) in %s; it is shown once, above: only its hash is kept\n", rec.ID, rec.Name, path)
	return nil
}

func (a *app) serveKeysListCmd(keysPath *string) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: "list the API keys: id, name, scope, dates (never a key)",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.jsonErrors = asJSON
			return a.serveKeysList(c.Context(), *keysPath, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (a *app) serveKeysList(ctx context.Context, keysFlag string, asJSON bool) error {
	path, err := a.serveKeysPath(keysFlag)
	if err != nil {
		return err
	}
	keys, err := tokenserver.OpenKeyFile(path)
	if err != nil {
		return err
	}
	list, err := keys.ListKeys(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		for _, k := range list {
			k.Hash = "" // not needed to manage keys
		}
		if list == nil {
			list = []*tokenserver.Key{}
		}
		return writeJSON(a.stdout, list)
	}
	if len(list) == 0 {
		fmt.Fprintf(a.stderr, "no API keys in %s; zohoauth serve keys create NAME makes one\n", path)
		return nil
	}
	now := a.clock.Now()
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tUSERS\tCLIENTS\tRIGHTS\tCREATED\tSTATE")
	for _, k := range list {
		var rights []string
		if k.Admin {
			rights = append(rights, "admin")
		}
		if k.Secrets {
			rights = append(rights, "secrets")
		}
		if k.Metrics {
			rights = append(rights, "metrics")
		}
		if len(rights) == 0 {
			rights = append(rights, "tokens")
		}
		state := "active"
		switch {
		case !k.Revoked.IsZero():
			state = "revoked " + k.Revoked.UTC().Format("2006-01-02 15:04")
		case !k.Expires.IsZero() && !now.Before(k.Expires):
			state = "expired " + k.Expires.UTC().Format("2006-01-02 15:04")
		case !k.Expires.IsZero():
			state = "expires " + k.Expires.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, printable(k.Name), listOrDash(k.Users), listOrDash(k.Clients),
			strings.Join(rights, ","), k.Created.UTC().Format("2006-01-02 15:04"), state)
	}
	return tw.Flush()
}

func listOrDash(v []string) string {
	if len(v) == 0 {
		return "-"
	}
	return printable(strings.Join(v, ","))
}

func (a *app) serveKeysRevokeCmd(keysPath *string) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "revoke the API key ID: running services refuse it at their next request",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return a.serveKeysRevoke(c.Context(), *keysPath, args[0])
		},
	}
}

func (a *app) serveKeysRevoke(ctx context.Context, keysFlag, id string) error {
	path, err := a.serveKeysPath(keysFlag)
	if err != nil {
		return err
	}
	keys, err := tokenserver.OpenKeyFile(path)
	if err != nil {
		return err
	}
	if err := keys.RevokeKey(ctx, id, a.clock.Now()); err != nil {
		if errors.Is(err, tokenserver.ErrUnknownKey) {
			return &hintError{err: fmt.Errorf("no API key with id %q in %s: %w", id, path, err), hint: "(zohoauth serve keys list shows the ids)"}
		}
		return err
	}
	fmt.Fprintf(a.stderr, "revoked API key %s in %s\n", id, path)
	return nil
}
