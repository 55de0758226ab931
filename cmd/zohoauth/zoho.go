package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
)

// authenticator returns an Authenticator over s that talks to Zoho (or the
// emulator of --accounts-url) with this run's clock and HTTP client.
func (a *app) authenticator(s zohoauth.Store, env zohoauth.Environment) *auth.Authenticator {
	ac := a.accountsClient()
	ac.Environment = env
	return auth.New(s, auth.Options{Accounts: ac, Clock: a.clock})
}

// handle opens the store, picks the token the selector names and returns
// its Handle; done closes everything.
func (a *app) handle(ctx context.Context, sel *selector) (h *auth.Handle, tok *zohoauth.Token, done func(), err error) {
	s, err := a.openExisting(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	tok, err = sel.pick(ctx, s, a.printableStore())
	if err != nil {
		s.Close()
		return nil, nil, nil, err
	}
	// The authenticator's own look-up is answered with the token just
	// read: a valid token costs one read of the store, an expired one a
	// second read under the refresh lock.
	authn := a.authenticator(seeded(s, tok), zohoauth.Environment{})
	done = func() {
		_ = authn.Close()
		_ = s.Close()
	}
	return authn.For(&zohoauth.Token{ID: tok.ID}), tok, done, nil
}

// accessView is the JSON of token --json.
type accessView struct {
	AccessToken      string    `json:"access_token"`
	TokenType        string    `json:"token_type"`
	Expiry           time.Time `json:"expiry"`
	ExpiresInSeconds int64     `json:"expires_in_seconds"`
	APIDomain        string    `json:"api_domain,omitempty"`
	ID               string    `json:"id"`
	User             string    `json:"user,omitempty"`
}

func (a *app) tokenCmd() *cobra.Command {
	var sel selector
	var asJSON bool
	c := &cobra.Command{
		Use:   "token [--user EMAIL | --id ID] [--client-id ID] [--json]",
		Short: "print a valid access token, refreshing it if needed",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.jsonErrors = asJSON
			return a.token(c.Context(), &sel, asJSON)
		},
	}
	sel.register(c.Flags())
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON: the access token with its expiry, API domain, id and user")
	return c
}

func (a *app) token(ctx context.Context, sel *selector, asJSON bool) error {
	h, _, done, err := a.handle(ctx, sel)
	if err != nil {
		return err
	}
	defer done()
	tok, err := h.Token(ctx)
	if err != nil {
		return err
	}
	if !asJSON {
		_, err := fmt.Fprintln(a.stdout, tok.AccessToken)
		return err
	}
	return writeJSON(a.stdout, accessView{
		AccessToken:      tok.AccessToken,
		TokenType:        strings.TrimSpace(auth.HeaderPrefix),
		Expiry:           tok.Expiry.UTC(),
		ExpiresInSeconds: int64(tok.Expiry.Sub(a.clock.Now()) / time.Second),
		APIDomain:        tok.APIDomain,
		ID:               tok.ID,
		User:             tok.UserName,
	})
}

func (a *app) refreshCmd() *cobra.Command {
	var sel selector
	c := &cobra.Command{
		Use:   "refresh [--user EMAIL | --id ID] [--client-id ID]",
		Short: "get a new access token now",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.refresh(c.Context(), &sel)
		},
	}
	sel.register(c.Flags())
	return c
}

func (a *app) refresh(ctx context.Context, sel *selector) error {
	h, _, done, err := a.handle(ctx, sel)
	if err != nil {
		return err
	}
	defer done()
	tok, err := h.Refresh(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "refreshed token %s (%s): valid for %s\n", printable(tok.ID), orDash(tok.Email()), timeLeft(*tok, a.clock.Now()))
	return nil
}

func (a *app) revokeCmd() *cobra.Command {
	var sel selector
	c := &cobra.Command{
		Use:   "revoke [--user EMAIL | --id ID] [--client-id ID]",
		Short: "revoke the refresh token at Zoho, then delete it here",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.revoke(c.Context(), &sel)
		},
	}
	sel.register(c.Flags())
	return c
}

func (a *app) revoke(ctx context.Context, sel *selector) error {
	h, tok, done, err := a.handle(ctx, sel)
	if err != nil {
		return err
	}
	defer done()
	if err := h.Revoke(ctx); err != nil {
		return &hintError{err: err, hint: "(the token is kept; to drop it from the store only: zohoauth delete --id " + tok.ID + ")"}
	}
	fmt.Fprintf(a.stderr, "revoked token %s (%s) at Zoho and deleted it from %s\n", printable(tok.ID), orDash(tok.Email()), a.printableStore())
	return nil
}

// apiOptions are the flags of api.
type apiOptions struct {
	sel     selector
	method  string
	headers []string
	input   string
	include bool
	timeout time.Duration
}

func (a *app) apiCmd() *cobra.Command {
	var o apiOptions
	c := &cobra.Command{
		Use:   "api [--user EMAIL | --id ID] [--client-id ID] [-X|--method METHOD] [-H|--header 'Name: value']... [--input FILE|-] [-i|--include] [--timeout D] [METHOD] PATH",
		Short: "make an authenticated request to the CRM API",
		Args:  cobra.ArbitraryArgs, // api checks them, with an example
		RunE: func(c *cobra.Command, args []string) error {
			return a.api(c.Context(), &o, args)
		},
	}
	o.sel.register(c.Flags())
	c.Flags().StringVarP(&o.method, "method", "X", "", "HTTP `METHOD` (default GET, or POST with --input)")
	c.Flags().StringArrayVarP(&o.headers, "header", "H", nil, "extra request header \"Name: value\" (repeatable)")
	c.Flags().StringVar(&o.input, "input", "", "`FILE` with the request body (- for standard input)")
	c.Flags().BoolVarP(&o.include, "include", "i", false, "print the status line and the response headers")
	c.Flags().DurationVar(&o.timeout, "timeout", time.Minute, "time limit of the request")
	return c
}

func (a *app) api(ctx context.Context, o *apiOptions, args []string) error {
	method := &o.method
	var path string
	switch len(args) {
	case 1:
		path = args[0]
	case 2:
		if *method != "" && !strings.EqualFold(*method, args[0]) {
			return usageErrorf("api: method given twice (-X %s and %s)", *method, args[0])
		}
		*method, path = args[0], args[1]
	default:
		return usageErrorf("api needs [METHOD] PATH, e.g. zohoauth api GET /crm/v8/Leads")
	}
	var body []byte
	if o.input != "" {
		var err error
		if body, err = a.readInput(o.input); err != nil {
			return err
		}
	}
	if *method == "" {
		*method = http.MethodGet
		if body != nil {
			*method = http.MethodPost
		}
	}
	*method = strings.ToUpper(*method)

	h, tok, done, err := a.handle(ctx, &o.sel)
	if err != nil {
		return err
	}
	defer done()
	target, err := apiURL(tok.APIDomain, path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, *method, target, bytes.NewReader(body))
	if err != nil {
		return usageErrorf("api: %v", err)
	}
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = nil, nil, 0
	}
	for _, hv := range o.headers {
		name, value, ok := strings.Cut(hv, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return usageErrorf("-H %q is not \"Name: value\"", hv)
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	var base http.RoundTripper
	if hc := a.client(); hc != nil {
		base = hc.Transport
	}
	resp, err := h.Client(base).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if o.include {
		fmt.Fprintf(a.stdout, "%s %s\n", resp.Proto, resp.Status)
		names := make([]string, 0, len(resp.Header))
		for k := range resp.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			for _, v := range resp.Header[k] {
				fmt.Fprintf(a.stdout, "%s: %s\n", k, v)
			}
		}
		fmt.Fprintln(a.stdout)
	}
	w := &lastByteWriter{w: a.stdout}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if w.n > 0 && w.last != '\n' && a.isTerminal(a.stdout) {
		fmt.Fprintln(a.stdout) // keep the shell prompt on a line of its own
	}
	if resp.StatusCode >= 400 {
		return &httpStatusError{status: resp.Status}
	}
	return nil
}

func (a *app) readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(a.stdin)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	return b, nil
}

// apiURL resolves path against the token's API domain. An absolute URL must
// be on that domain: the access token goes to no other host.
func apiURL(apiDomain, path string) (string, error) {
	if apiDomain == "" {
		apiDomain = "https://www.zohoapis.com"
	}
	base, err := url.Parse(apiDomain)
	if err != nil || base.Host == "" {
		return "", fmt.Errorf("the token's API domain %q is not a URL", apiDomain)
	}
	joined := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		joined = strings.TrimRight(apiDomain, "/") + "/" + strings.TrimLeft(path, "/")
	}
	u, err := url.Parse(joined)
	if err != nil {
		return "", usageErrorf("api: %q is not a valid URL path (write a literal %% as %%25)", path)
	}
	if u.Scheme != base.Scheme || u.Host != base.Host {
		return "", usageErrorf("api: refusing to send the token to %s://%s: the token's API domain is %s", u.Scheme, u.Host, apiDomain)
	}
	return u.String(), nil
}

// lastByteWriter remembers the last byte written through it.
type lastByteWriter struct {
	w    io.Writer
	n    int64
	last byte
}

func (l *lastByteWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.n += int64(n)
		l.last = p[n-1]
	}
	return n, err
}
