package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/storeurl"
)

// defaultScopes are the scopes login asks for when --scope is not given:
// the CRM modules, and the two the user signature (email:zgid) needs.
const defaultScopes = "ZohoCRM.modules.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ"

// loginOptions are the flags of login.
type loginOptions struct {
	clientID, clientSecret string
	scopes                 string
	redirectURI            string
	dc                     string
	grantToken             string
	noBrowser              bool
	device                 bool
	timeout                time.Duration
}

func (a *app) loginCmd() *cobra.Command {
	var o loginOptions
	c := &cobra.Command{
		Use:   "login [--client-id ID] [--client-secret S] [--scope S] [--redirect-uri URI] [--dc DC] [--no-browser | --device | --grant-token CODE] [--timeout D]",
		Short: "authorize a client for a user and save the token",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.login(c.Context(), &o)
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.clientID, "client-id", a.env(envClientID, a.cfg.clientID), "OAuth client `ID` (env "+envClientID+")")
	fs.StringVar(&o.clientSecret, "client-secret", "", "OAuth client secret (env "+envClientSecret+", preferred: a flag shows in ps)")
	fs.StringVar(&o.scopes, "scope", defaultScopes, "comma-separated scopes to ask for")
	fs.StringVar(&o.redirectURI, "redirect-uri", a.env(envRedirectURI, defaultRedirectURI), "loopback redirect `URI` registered with the client (env "+envRedirectURI+")")
	fs.StringVar(&o.dc, "dc", a.env(envDataCenter, a.cfg.or(a.cfg.dc, "us")), "data center of the consent page: us, eu, in, cn, jp, au, ca, sa, uk (env "+envDataCenter+")")
	fs.StringVar(&o.grantToken, "grant-token", "", "a self-client grant `CODE` (from the API console) to exchange, instead of the browser; - reads it from standard input")
	fs.BoolVar(&o.noBrowser, "no-browser", false, "print the consent URL instead of opening a browser, and take the redirected URL (or its code) pasted on standard input")
	fs.BoolVar(&o.device, "device", false, "log in with a one-time code entered on any device (Zoho's device flow): no browser or port needed here")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "how long to wait for the consent")
	return c
}

func (a *app) login(ctx context.Context, o *loginOptions) error {
	if o.clientSecret == "" {
		o.clientSecret = a.getenv(envClientSecret)
	}
	if o.grantToken == "-" {
		b, err := io.ReadAll(io.LimitReader(a.stdin, 4096))
		if err != nil {
			return fmt.Errorf("reading the grant code: %w", err)
		}
		if o.grantToken = strings.TrimSpace(string(b)); o.grantToken == "" {
			return usageErrorf("--grant-token -: standard input holds no grant code")
		}
	}
	if o.clientID == "" {
		return usageErrorf("login needs a client id: --client-id or %s", envClientID)
	}
	if o.clientSecret == "" {
		return usageErrorf("login needs a client secret: %s or --client-secret", envClientSecret)
	}
	if o.device && (o.noBrowser || o.grantToken != "") {
		return usageErrorf("give one of --device, --no-browser and --grant-token")
	}
	env, err := zohoauth.LookupEnvironment(o.dc)
	if err != nil {
		return usageErrorf("--dc: %v", err)
	}
	s, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()

	// Made before the consent, so that a config the store cannot serve
	// stops the login before Zoho issues anything.
	authn, err := a.authenticator(s, env)
	if err != nil {
		return err
	}
	defer authn.Close()
	t := &zohoauth.Token{ClientID: o.clientID, ClientSecret: o.clientSecret}
	if o.device {
		return a.loginDevice(ctx, o, authn, env, t)
	}
	var accountsServer string
	if o.grantToken != "" {
		t.GrantToken = o.grantToken
	} else {
		res, err := a.browserConsent(ctx, *o, env)
		if err != nil {
			return err
		}
		t.GrantToken, t.RedirectURL, accountsServer = res.code, o.redirectURI, res.accountsServer
	}
	h, err := authn.Login(ctx, t, accountsServer)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	got, err := h.Token(ctx)
	if err != nil {
		return err
	}
	a.loggedIn(got)
	return nil
}

// loggedIn says who logged in and where the token went.
func (a *app) loggedIn(got *zohoauth.Token) {
	fmt.Fprintf(a.stderr, "logged in as %s: token %s (data center %s) saved in %s\n",
		orDash(got.Email()), printable(got.ID), orDash(dataCenter(got.APIDomain)), a.printableStore())
}

// consent is what the login redirect brought back.
type consent struct {
	code, location, accountsServer string
}

// browserConsent runs the authorization-code flow: it listens on the
// loopback redirect URI, sends the user to Zoho's consent page, and waits
// for the redirect with the code.
func (a *app) browserConsent(ctx context.Context, o loginOptions, env zohoauth.Environment) (consent, error) {
	ru, err := url.Parse(o.redirectURI)
	if err != nil || ru.Scheme != "http" || ru.Port() == "" || !loopback(ru.Hostname()) {
		return consent{}, usageErrorf("--redirect-uri %q must be http://127.0.0.1:PORT/PATH (a loopback address with a port)", o.redirectURI)
	}
	state, err := randomState()
	if err != nil {
		return consent{}, err
	}
	ln, err := a.listen("tcp", ru.Host)
	if err != nil {
		return consent{}, fmt.Errorf("cannot listen on the redirect URI %s: %w", o.redirectURI, err)
	}
	results := make(chan consentResult, 1)
	srv := &http.Server{
		Handler:           callbackHandler(ru.Path, state, results),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	base := env.AccountsURL
	if a.accountsURL != "" {
		base = strings.TrimRight(a.accountsURL, "/")
	}
	authURL := base + "/oauth/v2/auth?" + url.Values{
		"scope":         {o.scopes},
		"client_id":     {o.clientID},
		"response_type": {"code"},
		"access_type":   {"offline"},
		"prompt":        {"consent"},
		"redirect_uri":  {o.redirectURI},
		"state":         {state},
	}.Encode()
	return a.awaitConsent(ctx, o, authURL, state, results)
}

type consentResult struct {
	consent
	err error
}

// callbackHandler serves the redirect URI's path: it checks the state and
// hands the code (or Zoho's error) to results, once.
func callbackHandler(path, state string, results chan<- consentResult) http.Handler {
	if path == "" {
		path = "/"
	}
	mux := http.NewServeMux()
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var res consentResult
		switch {
		case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
			// Not our request (or a forged one): answer, but keep waiting.
			http.Error(w, "state mismatch: this answer is not for the running zohoauth login", http.StatusBadRequest)
			return
		case q.Get("error") != "":
			res.err = &accounts.Error{Op: "consent", Code: q.Get("error"), Kind: accounts.ErrRejected}
		case q.Get("code") == "":
			res.err = errors.New("the consent redirect carries no code")
		default:
			res.consent = consent{code: q.Get("code"), location: q.Get("location"), accountsServer: q.Get("accounts-server")}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if res.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<!doctype html><title>zohoauth</title><h1>Login failed</h1><p id=\"result\">%s</p>", html.EscapeString(res.err.Error()))
		} else {
			fmt.Fprint(w, "<!doctype html><title>zohoauth</title><h1>Logged in</h1><p id=\"result\">You may close this window and return to the terminal.</p>")
		}
		select {
		case results <- res:
		default: // a second answer: the first one counts
		}
	})
	return mux
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func randomState() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// printableStore returns the store URL with any password redacted.
func (a *app) printableStore() string { return storeurl.Redact(a.storeURL) }
