// Package zohotest is an offline emulator of Zoho Accounts and of a small
// part of the Zoho CRM API, for tests (like net/http/httptest) and as a
// server on loopback (the CLI's emulator command).
//
// It answers as Zoho does, HTTP 200 error bodies included:
//
//   - GET  /oauth/v2/auth: the consent page (an HTML form whose Accept
//     button has id "approve"; Options.AutoApprove skips it). Approval
//     redirects to redirect_uri with code, location, accounts-server and
//     state.
//   - POST /oauth/v2/auth/approve: the form's target.
//   - POST /oauth/v2/token: grant_type authorization_code and refresh_token,
//     parameters in the form body or the query string.
//   - POST /oauth/v2/token/revoke?token=…: revokes a refresh token (with all
//     its access tokens) or an access token.
//   - POST /oauth/v3/device/code, POST /oauth/v3/device/token and the
//     verification page GET /oauth/v3/device: Zoho's device flow, with
//     authorization_pending, slow_down, other_dc, access_denied and expired
//     (ApproveDevice and DenyDevice act as the user without a browser).
//   - GET  /crm/v8/users?type=CurrentUser, GET /crm/v8/org,
//     GET and POST /crm/v8/Leads (GET pages with page and per_page or with
//     page_token and info.next_page_token, as Get Records does; AddLeads
//     seeds records), authenticated with the header
//     "Authorization: Zoho-oauthtoken <access token>". Any version v2…v8 is
//     accepted in place of v8.
//
// Zoho's limits are enforced by the server's clock (Options.Clock): grant
// codes are single-use and live 3 minutes; at most 10 grant codes per client
// per 10 minutes (sliding); at most 10 refreshes per refresh token per 10
// minutes (a fixed window that opens with the refresh token and then with the
// first refresh after the previous window; later refreshes get "Access
// Denied" for the rest of it; the access token of the grant exchange does not
// count); at most 15 live access
// tokens per refresh token (the 16th drops the oldest); at most 20 refresh
// tokens per user and client (the 21st deletes the oldest and its access
// tokens).
//
// Every call is counted (Stats), faults can be injected (Inject) and all
// tokens can be expired at once (ExpireAccessTokens). Tokens, codes and
// secrets never appear in the server's log.
//
// Where Zoho's behaviour is not documented the emulator picks one and says
// so: a missing parameter answers as a wrong one (no client_id:
// invalid_client; no client_secret: invalid_client_secret; no code or
// refresh_token: invalid_code); a missing or unknown grant_type answers
// {"error":"unsupported_grant_type"}; a method other than POST on the token
// or revoke endpoint is HTTP 405; a failed revoke is HTTP 400
// {"status":"failure","error":"invalid_request"}; a grant code from the
// consent page must be exchanged with the same redirect_uri.
package zohotest

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/zohoauth/zohoauth"
)

// Clock tells the time. github.com/zohoauth/zohoauth/clock's Fake is one.
type Clock interface{ Now() time.Time }

// Options configure a Server. The zero value is usable.
type Options struct {
	// Clock is the server's clock for every expiry and limit; nil is real time.
	// Injected delays (Fault.Delay) always use real time.
	Clock Clock
	// AutoApprove makes GET /oauth/v2/auth redirect at once, as if the first
	// user had clicked Accept.
	AutoApprove bool
	// Location is the data center the login redirect reports in its
	// location parameter and Environment reports as DC; "us" by default.
	Location string
	// AccessTokenTTL is the lifetime of access tokens; 1 hour by default.
	AccessTokenTTL time.Duration
	// GrantTTL is the lifetime of grant codes; 3 minutes by default.
	GrantTTL time.Duration
	// LegacyExpiresIn makes token responses use Zoho's pre-2020 shape:
	// expires_in in milliseconds plus expires_in_sec in seconds.
	LegacyExpiresIn bool
	// CheckScopes makes the CRM endpoints answer 401 OAUTH_SCOPE_MISMATCH
	// when the token's scopes do not cover the call. Tokens issued from a
	// grant without scopes are never checked.
	CheckScopes bool
	// DeviceInterval is the poll interval a device-code answer gives, and
	// the least time between two polls of one device code before a
	// slow_down; 5 seconds by default. After a slow_down the least time is
	// 30 seconds (DeviceSlowDownInterval).
	DeviceInterval time.Duration
	// DeviceCodeTTL is the lifetime of device and user codes; 5 minutes by
	// default.
	DeviceCodeTTL time.Duration
	// Logger receives one line per request (method, path, outcome; never a
	// token, code or secret); nil discards.
	Logger *slog.Logger
}

// Server is a running or unstarted emulator. All methods are safe for
// concurrent use.
type Server struct {
	// URL is the base URL, "http://127.0.0.1:port", set by Start. The
	// accounts endpoints and the CRM endpoints are all under it. When the
	// Handler is served elsewhere and URL is empty, the base URL of each
	// request is taken from its Host header.
	URL string
	// Listener is the listener Start serves on. NewUnstartedServer leaves it
	// nil; set it before Start to serve on your own listener, otherwise Start
	// listens on 127.0.0.1:0.
	Listener net.Listener

	opts    Options
	handler http.Handler
	closing chan struct{} // closed by Close: aborts injected delays

	srv      *http.Server
	serveErr chan error

	life struct {
		sync.Mutex
		closed bool
		active int           // handlers running
		idle   chan struct{} // closed when active drops to 0 after Close
	}

	mu    sync.Mutex
	state state
}

// NewServer starts and returns a Server on 127.0.0.1 with a random port.
// The caller must Close it.
func NewServer(opts Options) *Server {
	s := NewUnstartedServer(opts)
	s.Start()
	return s
}

// NewUnstartedServer returns a Server that does not listen yet; call Start,
// or serve Handler yourself.
func NewUnstartedServer(opts Options) *Server {
	if opts.Location == "" {
		opts.Location = "us"
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = time.Hour
	}
	if opts.GrantTTL <= 0 {
		opts.GrantTTL = 3 * time.Minute
	}
	if opts.DeviceInterval <= 0 {
		opts.DeviceInterval = 5 * time.Second
	}
	if opts.DeviceCodeTTL <= 0 {
		opts.DeviceCodeTTL = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, closing: make(chan struct{})}
	s.state = newState()
	s.handler = s.routes()
	return s
}

// Start starts serving on s.Listener, or on a new listener on 127.0.0.1:0.
// It panics if it cannot listen or was already started, as httptest does.
func (s *Server) Start() {
	if s.srv != nil {
		panic("zohotest: Server already started")
	}
	if s.Listener == nil {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic("zohotest: failed to listen on a port: " + err.Error())
		}
		s.Listener = l
	}
	s.URL = "http://" + s.Listener.Addr().String()
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelDebug),
	}
	s.serveErr = make(chan error, 1)
	go func() { s.serveErr <- s.srv.Serve(s.Listener) }()
}

// Close stops the server: it aborts injected delays, closes the listener and
// every connection, and waits for the running handlers to return. It may be
// called more than once.
func (s *Server) Close() {
	s.life.Lock()
	if s.life.closed {
		s.life.Unlock()
		return
	}
	s.life.closed = true
	close(s.closing)
	var idle chan struct{}
	if s.life.active > 0 {
		idle = make(chan struct{})
		s.life.idle = idle
	}
	s.life.Unlock()
	if s.srv != nil {
		_ = s.srv.Close()
		<-s.serveErr
	}
	if idle != nil {
		<-idle
	}
}

// enter registers a running handler; it reports false after Close.
func (s *Server) enter() bool {
	s.life.Lock()
	defer s.life.Unlock()
	if s.life.closed {
		return false
	}
	s.life.active++
	return true
}

// leave unregisters a running handler and wakes Close when it was the last.
func (s *Server) leave() {
	s.life.Lock()
	defer s.life.Unlock()
	s.life.active--
	if s.life.active == 0 && s.life.idle != nil {
		close(s.life.idle)
		s.life.idle = nil
	}
}

// Handler returns the emulator's handler, to serve it yourself (for example
// with http.Serve on a listener of your choice).
func (s *Server) Handler() http.Handler { return s.handler }

// Environment returns the environment that points every Zoho URL at the
// emulator: DC Options.Location ("us"), Kind Production, and APIURL,
// AccountsURL and FileUploadURL all s.URL.
func (s *Server) Environment() zohoauth.Environment {
	return zohoauth.Environment{
		DC:            s.opts.Location,
		Kind:          zohoauth.Production,
		APIURL:        s.URL,
		AccountsURL:   s.URL,
		FileUploadURL: s.URL,
	}
}

func (s *Server) now() time.Time {
	if s.opts.Clock != nil {
		return s.opts.Clock.Now()
	}
	return time.Now()
}

// baseURL is s.URL, or the request's own origin when the handler is served
// by someone else.
func (s *Server) baseURL(r *http.Request) string {
	if s.URL != "" {
		return s.URL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// sleep waits d of real time; it stops early when the request's context ends
// or the server closes, and then reports false.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}
