// Package tokenserver is an HTTP service that hands out valid Zoho access
// tokens to a fleet of services in any language, over any zohoauth.Store.
// It holds the refresh tokens and refreshes once per expiry for every
// caller, through an auth.Authenticator (one refresh at a time inside the
// process, and across every instance sharing the store when the store is a
// zohoauth.Locker), so that the fleet does not stampede Zoho's token
// endpoint.
//
// The JSON API, versioned under /v1, needs an API key (Authorization:
// Bearer zak_…):
//
//	GET    /v1/token?user=U&client_id=C  a valid access token of user U (an e-mail or email:zgid)
//	POST   /v1/tokens/find               find_token: the token matching the posted partial token, with a valid access token
//	POST   /v1/tokens                    save_token: upsert the posted token, answer the stored one
//	GET    /v1/tokens                    get_tokens: every token in the key's scope
//	DELETE /v1/tokens                    delete_tokens: delete every token in the key's scope
//	GET    /v1/tokens/{id}               find_token_by_id, with a valid access token
//	DELETE /v1/tokens/{id}               delete_token
//	POST   /v1/revoke                    revoke at Zoho and delete: {"id":…} or {"user":…} or {"client_id":…}
//
// /healthz and /readyz need no key; /console/ is the web console (an admin
// key logs in); /metrics, when Config.Metrics is set, answers the metrics
// of the service and its Authenticator (in OpenMetrics or Prometheus text
// with PrometheusMetrics) to a key with the metrics or admin right. Tokens travel in the column names of Zoho's stores (id,
// user_name, client_id, client_secret, refresh_token, access_token,
// grant_token, expiry_time in epoch milliseconds, redirect_url, api_domain);
// a key without Scope.Secrets never receives a refresh token, grant token or
// client secret. Every error is a JSON object {"error": code, "message": text}.
package tokenserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/clock"
	"go.opentelemetry.io/otel/metric"
	"golang.org/x/time/rate"
)

// Defaults of Config.
const (
	DefaultAddr         = "127.0.0.1:8921"
	DefaultRate         = 50
	DefaultBurst        = 100
	DefaultMaxBodyBytes = 64 << 10
	DefaultSessionTTL   = 8 * time.Hour
)

// ErrInsecure reports a non-loopback listen address without TLS and
// without Config.Insecure.
var ErrInsecure = errors.New("tokenserver: refusing to serve tokens without TLS on a non-loopback address (give a certificate and key, or Insecure)")

// ErrMetricsPublic reports Config.MetricsPublic on a listen address that is
// not loopback: metrics without a key are only served to the host itself.
var ErrMetricsPublic = errors.New("tokenserver: metrics without an API key are served on a loopback address only")

// Config configures a Server. The zero value serves on DefaultAddr.
type Config struct {
	// Addr is the listen address; "" means DefaultAddr (loopback).
	Addr string
	// CertFile and KeyFile are a TLS certificate and its key (PEM). Both
	// or neither; with them the service speaks HTTPS only.
	CertFile, KeyFile string
	// Insecure allows plain HTTP on a non-loopback address (behind a
	// TLS-terminating proxy, for instance).
	Insecure bool
	// Accounts is the Zoho Accounts client used to revoke tokens whose
	// renewal fails (the Authenticator revokes the others); nil means
	// &accounts.Client{}. Give the Authenticator's.
	Accounts *accounts.Client
	// Rate and Burst are the default per-key rate limit (requests per
	// second, and how many at once); 0 means DefaultRate and DefaultBurst.
	Rate  float64
	Burst int
	// MaxBodyBytes bounds a request body; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// SessionTTL is how long a console session lasts; 0 means
	// DefaultSessionTTL.
	SessionTTL time.Duration
	// Clock is the time source; nil means clock.System().
	Clock clock.Clock
	// Logger receives access denials and errors (never a secret); nil
	// discards.
	Logger *slog.Logger
	// MeterProvider records the service's own metrics (MetricRequests,
	// MetricDenied, MetricRateLimited); nil means the global one
	// (otel.GetMeterProvider), a no-op unless the program installs one.
	// Give the Authenticator the same provider, so that /metrics shows
	// its refreshes too.
	MeterProvider metric.MeterProvider
	// Metrics, when not nil, answers GET /metrics: typically
	// PrometheusMetrics.Handler, or promhttp.HandlerFor over a registry or
	// gatherer of the program's choice. A call needs an API key with
	// Scope.Metrics or Scope.Admin. Nil: /metrics is not served (404).
	Metrics http.Handler
	// MetricsPublic serves /metrics without a key to callers on a loopback
	// address (a scraper on the same host). It is refused (ErrMetricsPublic)
	// unless Addr is a loopback address. A reverse proxy on the same host
	// calls from loopback too: do not route /metrics through one with this
	// set. A key that is given is still checked.
	MetricsPublic bool
	// Activity, when not nil, draws the console's chart of refreshes and
	// failed refreshes over time: give its Record method to the
	// Authenticator as auth.Options.OnEvent. Nil: no chart.
	Activity *Activity
}

// Server is the token service. Its Handler is safe for concurrent use.
type Server struct {
	store    zohoauth.Store
	auth     *auth.Authenticator
	keys     *KeyFile
	accounts *accounts.Client
	cfg      Config
	clock    clock.Clock
	log      *slog.Logger
	handler  http.Handler
	tel      *serverTelemetry

	handles  sync.Map // handleKey → *cachedHandle
	limiters sync.Map // key id → *rate.Limiter

	sessions sessions
}

// New returns a Server over store, handing out tokens through a (which must
// be an Authenticator over the same store) and checking API keys against
// keys.
func New(store zohoauth.Store, a *auth.Authenticator, keys *KeyFile, cfg Config) (*Server, error) {
	if store == nil || a == nil || keys == nil {
		return nil, errors.New("tokenserver: New needs a store, an authenticator and a key file")
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, errors.New("tokenserver: give both a TLS certificate and its key, or neither")
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if err := CheckMetricsPublic(cfg.Addr, cfg.MetricsPublic); err != nil {
		return nil, err
	}
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	s := &Server{store: store, auth: a, keys: keys, accounts: cfg.Accounts, cfg: cfg, clock: cfg.Clock, log: cfg.Logger,
		tel: newServerTelemetry(cfg.MeterProvider)}
	if s.accounts == nil {
		s.accounts = &accounts.Client{}
	}
	if s.clock == nil {
		s.clock = clock.System()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.sessions.m = map[string]*session{}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the service's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// TLS reports whether the service is configured for HTTPS.
func (s *Server) TLS() bool { return s.cfg.CertFile != "" }

// CheckAddr applies the listening rule: a loopback address is always
// allowed; any other address needs TLS, or insecure. A host name other than
// "localhost" counts as non-loopback.
func CheckAddr(addr string, tls, insecure bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("tokenserver: listen address %q: %w", addr, err)
	}
	if tls || insecure || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInsecure, addr)
}

// CheckMetricsPublic applies the rule of Config.MetricsPublic: metrics
// without a key are allowed only on a loopback listen address.
func CheckMetricsPublic(addr string, public bool) error {
	if !public {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("tokenserver: listen address %q: %w", addr, err)
	}
	if !isLoopback(host) {
		return fmt.Errorf("%w: %s", ErrMetricsPublic, addr)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen checks the listen address (CheckAddr) and listens on it.
func (s *Server) Listen(ctx context.Context) (net.Listener, error) {
	if err := CheckAddr(s.cfg.Addr, s.TLS(), s.cfg.Insecure); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("tokenserver: %w", err)
	}
	return ln, nil
}

// Serve serves on ln (HTTPS when the Config has a certificate) until ctx
// ends, then shuts down gracefully, waiting at most 10 s for requests in
// flight. It returns nil after a shutdown caused by ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // a renewal may wait for Zoho
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if s.TLS() {
		cert, err := tls.LoadX509KeyPair(s.cfg.CertFile, s.cfg.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tokenserver: TLS certificate: %w", err)
		}
		hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		ln = tls.NewListener(ln, hs.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ListenAndServe is Listen then Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := s.Listen(ctx)
	if err != nil {
		return err
	}
	s.log.Info("zohoauth serve: listening", "addr", ln.Addr().String(), "tls", s.TLS())
	return s.Serve(ctx, ln)
}

// limiter returns the rate limiter of the key.
func (s *Server) limiter(k *Key) *rate.Limiter {
	if l, ok := s.limiters.Load(k.ID); ok {
		return l.(*rate.Limiter)
	}
	r, b := s.cfg.Rate, s.cfg.Burst
	if k.Rate > 0 {
		r = k.Rate
	}
	if k.Burst > 0 {
		b = k.Burst
	}
	l, _ := s.limiters.LoadOrStore(k.ID, rate.NewLimiter(rate.Limit(r), b))
	return l.(*rate.Limiter)
}
