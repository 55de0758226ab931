// Package accounts is the HTTP client of Zoho Accounts: it exchanges a grant
// code for tokens, refreshes an access token, revokes a refresh token and
// reads the user signature (email:zgid) from the CRM API, as Zoho's SDKs do,
// with the fixes Zoho's SDKs lack: a timeout on every call, a bounded answer,
// no redirect (a token request's secrets go to one host only), typed errors
// that keep Zoho's error code and never hold a secret.
//
// A call succeeds if and only if Zoho's JSON answer has an access_token,
// whatever the HTTP status: Zoho answers most errors with HTTP 200.
package accounts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// DefaultTimeout bounds each call when Client.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// MaxBodySize is the largest answer read (1 MiB, as golang.org/x/oauth2).
const MaxBodySize = 1 << 20

// maxLifetime bounds a sane expires_in.
const maxLifetime = 366 * 24 * time.Hour

// DefaultLifetime is the lifetime assumed for an access token when Zoho's
// answer gives none (Zoho documents one hour).
const DefaultLifetime = time.Hour

// Client calls Zoho Accounts. The zero value is ready to use: it talks to the
// data center of each token with a 30 s timeout. A Client is safe for
// concurrent use; do not change its fields after the first call.
type Client struct {
	// HTTPClient sends the requests; nil means http.DefaultTransport. Its
	// redirect policy is replaced: a token request is never redirected.
	HTTPClient *http.Client
	// BaseURL, when set, replaces the accounts server of every data center,
	// e.g. the URL of the zohotest emulator. It is trusted as given, also
	// as an API domain (see APIDomains).
	BaseURL string
	// APIDomains are the API domains trusted besides those of Zoho's data
	// centers, as origins ("http://127.0.0.1:8920": scheme, host and port),
	// e.g. an emulator's. BaseURL and Environment.APIURL are trusted too:
	// they are the caller's own choice, and a server trusted with the
	// client secret and the refresh token gains nothing from an access
	// token. A token answer naming any other api_domain is refused
	// (zohoauth.ErrUntrustedAPIDomain), and UserSignature sends no access
	// token to any other host.
	APIDomains []string
	// Environment is the data center used for a token that has no API
	// domain (Zoho's Initializer environment). Zero means none.
	Environment zohoauth.Environment
	// Timeout bounds each call, the answer's body included. Zero means
	// DefaultTimeout.
	Timeout time.Duration
	// Now returns the current time, to turn expires_in into an expiry;
	// nil means time.Now. A clock.Clock's Now fits.
	Now func() time.Time
	// KeepAPIDomain keeps the token's API domain when Zoho's answer names
	// another (Zoho's SDKConfig update_api_domain=False).
	KeepAPIDomain bool
	// UserAgent is sent with every request; "" means "zohoauth".
	UserAgent string
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Client) httpClient() *http.Client {
	var hc http.Client
	if c.HTTPClient != nil {
		hc = *c.HTTPClient
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// Server returns the accounts server (scheme and host, no path) for t:
//
//  1. BaseURL, when set;
//  2. accountsServer, when set: the accounts-server parameter of a login
//     redirect, which must be one of Zoho's accounts servers (or
//     Environment.AccountsURL): a forged redirect cannot send the client
//     secret elsewhere;
//  3. the accounts server of the data center of t.APIDomain (Environment's
//     when t.APIDomain is Environment.APIURL, as with the emulator);
//  4. the accounts server of Environment.
//
// An unknown server or domain is an error matching
// zohoauth.ErrUnknownEnvironment.
func (c *Client) Server(t *zohoauth.Token, accountsServer string) (string, error) {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/"), nil
	}
	own := c.Environment
	if accountsServer != "" {
		if own.AccountsURL != "" && strings.TrimRight(accountsServer, "/") == own.AccountsURL {
			return own.AccountsURL, nil
		}
		env, err := zohoauth.LookupEnvironment(accountsServer)
		if err != nil {
			return "", err
		}
		return env.AccountsURL, nil
	}
	if t != nil && t.APIDomain != "" {
		if own.APIURL != "" && own.AccountsURL != "" && t.APIDomain == own.APIURL {
			return own.AccountsURL, nil
		}
		env, err := zohoauth.LookupEnvironment(t.APIDomain)
		if err != nil {
			return "", err
		}
		return env.AccountsURL, nil
	}
	if c.Environment.AccountsURL != "" {
		return c.Environment.AccountsURL, nil
	}
	return "", &zohoauth.Error{Code: zohoauth.CodeEnvironment, Message: storekit.MsgEnvironment, Detail: "token has no api_domain and no environment is set", Err: zohoauth.ErrUnknownEnvironment}
}

// TrustedAPIDomain returns apiDomain in canonical form if the client trusts
// it: the API URL of a known data center, or one of APIDomains, BaseURL and
// Environment.APIURL. Otherwise it returns an error matching
// zohoauth.ErrUntrustedAPIDomain.
func (c *Client) TrustedAPIDomain(apiDomain string) (string, error) {
	allowed := make([]string, 0, len(c.APIDomains)+2)
	allowed = append(allowed, c.APIDomains...)
	if c.BaseURL != "" {
		allowed = append(allowed, c.BaseURL)
	}
	if c.Environment.APIURL != "" {
		allowed = append(allowed, c.Environment.APIURL)
	}
	return zohoauth.TrustedAPIDomain(apiDomain, allowed...)
}

// apiDomain returns the API domain to record for a token whose answer named
// none: the token's own, or the one of the data center that issued it.
func (c *Client) apiDomain(t *zohoauth.Token, server string) string {
	if t.APIDomain != "" {
		return t.APIDomain
	}
	if env, err := zohoauth.LookupEnvironment(server); err == nil {
		return env.APIURL
	}
	return c.Environment.APIURL
}

// Exchange trades t's grant code for tokens (grant_type=authorization_code)
// at the accounts server chosen by Server(t, accountsServer). It sends
// t.ClientID, t.ClientSecret, t.GrantToken and, when set, t.RedirectURL. On
// success it returns a copy of t with the new access token, its expiry, the
// refresh token (when Zoho gave one) and the API domain; t is not changed.
func (c *Client) Exchange(ctx context.Context, t *zohoauth.Token, accountsServer string) (*zohoauth.Token, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {t.ClientID},
		"client_secret": {t.ClientSecret},
		"code":          {t.GrantToken},
	}
	if t.RedirectURL != "" {
		form.Set("redirect_uri", t.RedirectURL)
	}
	return c.token(ctx, "exchange", t, accountsServer, form)
}

// Refresh gets a new access token for t's refresh token
// (grant_type=refresh_token). On success it returns a copy of t with the new
// access token and expiry, the API domain Zoho named, and the refresh token
// of Zoho's answer or, when the answer has none (Zoho's usual refresh
// answer), t's own; t is not changed.
func (c *Client) Refresh(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {t.ClientID},
		"client_secret": {t.ClientSecret},
		"refresh_token": {t.RefreshToken},
	}
	return c.token(ctx, "refresh", t, "", form)
}

func (c *Client) token(ctx context.Context, op string, t *zohoauth.Token, accountsServer string, form url.Values) (*zohoauth.Token, error) {
	secrets := []string{t.ClientSecret, t.GrantToken, t.RefreshToken, t.AccessToken}
	if t.APIDomain != "" {
		if _, err := c.TrustedAPIDomain(t.APIDomain); err != nil {
			return nil, untrusted(op, 0, t.APIDomain, secrets)
		}
	}
	server, err := c.Server(t, accountsServer)
	if err != nil {
		return nil, err
	}
	start := c.now()
	status, body, err := c.post(ctx, op, server+"/oauth/v2/token", form, secrets)
	if err != nil {
		return nil, err
	}
	ans, err := ParseTokenAnswer(body)
	if err != nil {
		return nil, classify(op, status, ans, err, secrets)
	}
	out := t.Clone()
	out.AccessToken = ans.AccessToken
	out.Expiry = start.Add(ans.Lifetime).Truncate(time.Millisecond)
	if ans.RefreshToken != "" {
		out.RefreshToken = ans.RefreshToken
	}
	if ans.APIDomain != "" {
		// A forged api_domain would have the access token sent to its
		// host by every later API call: refuse the answer, even when the
		// token keeps its own API domain.
		canon, err := c.TrustedAPIDomain(ans.APIDomain)
		if err != nil {
			return nil, untrusted(op, status, ans.APIDomain, append(secrets, ans.AccessToken, ans.RefreshToken))
		}
		if !c.KeepAPIDomain || out.APIDomain == "" {
			out.APIDomain = canon
		}
	}
	out.APIDomain = c.apiDomain(out, server)
	return out, nil
}

// untrusted is the error of a token answer whose API domain is not trusted.
func untrusted(op string, status int, apiDomain string, secrets []string) error {
	return &Error{Op: op, StatusCode: status, Kind: zohoauth.ErrUntrustedAPIDomain,
		Err: fmt.Errorf("api_domain %q is not the API URL of a Zoho data center nor an allowed one", scrub(apiDomain, secrets))}
}

// classify turns a token answer without an access token into an *Error.
func classify(op string, status int, ans *TokenAnswer, perr error, secrets []string) error {
	e := &Error{Op: op, StatusCode: status}
	if ans != nil {
		e.Code = scrub(ans.Error, secrets)
		e.Description = scrub(ans.Description, secrets)
	}
	switch {
	case e.Code != "":
		e.Kind = kindOf(ans.Error)
	case status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests:
		e.Kind = ErrTransient
	case errors.Is(perr, ErrNoAccessToken):
		e.Kind = ErrNoAccessToken
	default:
		e.Kind = ErrMalformed
		var m *malformedError
		if errors.As(perr, &m) {
			e.Err = errors.New(m.detail)
		}
	}
	return e
}

// Revoke revokes token (a refresh token, or an access token) at the
// accounts server of t, POST {accounts}/oauth/v2/token/revoke. Zoho revokes
// every access token made from a revoked refresh token. It succeeds iff Zoho
// answers {"status":"success"}.
func (c *Client) Revoke(ctx context.Context, t *zohoauth.Token, token string) error {
	server, err := c.Server(t, "")
	if err != nil {
		return err
	}
	secrets := []string{t.ClientSecret, t.GrantToken, t.RefreshToken, t.AccessToken, token}
	status, body, err := c.post(ctx, "revoke", server+"/oauth/v2/token/revoke", url.Values{"token": {token}}, secrets)
	if err != nil {
		return err
	}
	var ans struct {
		Status      string `json:"status"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		e := &Error{Op: "revoke", StatusCode: status, Kind: ErrRevokeFailed, Err: ErrMalformed}
		if status >= 500 {
			e.Kind, e.Err = ErrTransient, nil
		}
		return e
	}
	if ans.Status == "success" {
		return nil
	}
	e := &Error{Op: "revoke", StatusCode: status, Code: scrub(ans.Error, secrets), Description: scrub(ans.Description, secrets), Kind: ErrRevokeFailed}
	if status >= 500 && ans.Error == "" {
		e.Kind = ErrTransient
	}
	return e
}

// post sends a form and returns the status and the body, read up to
// MaxBodySize.
func (c *Client) post(ctx context.Context, op, endpoint string, form url.Values, secrets []string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, &Error{Op: op, Kind: ErrMalformed, Err: fmt.Errorf("bad accounts server URL %q", scrub(endpoint, secrets))}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(ctx, op, req, secrets)
}

// do sends req with the call's timeout and reads the answer.
func (c *Client) do(ctx context.Context, op string, req *http.Request, secrets []string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req = req.WithContext(ctx)
	req.Header.Set("Accept", "application/json")
	ua := c.UserAgent
	if ua == "" {
		ua = "zohoauth"
	}
	req.Header.Set("User-Agent", ua)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, nil, &Error{Op: op, Kind: ErrTransient, Err: netError(err, secrets)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodySize+1))
	if err != nil {
		return resp.StatusCode, nil, &Error{Op: op, StatusCode: resp.StatusCode, Kind: ErrTransient, Err: netError(err, secrets)}
	}
	if len(body) > MaxBodySize {
		return resp.StatusCode, nil, &Error{Op: op, StatusCode: resp.StatusCode, Kind: ErrTooLarge, Err: fmt.Errorf("more than %d bytes", MaxBodySize)}
	}
	return resp.StatusCode, body, nil
}

// netError keeps the cause's identity (errors.Is with context errors and
// net.Error still work) while making sure its text holds no secret.
func netError(err error, secrets []string) error {
	msg := err.Error()
	if scrubbed := scrub(msg, secrets); scrubbed != msg || len(msg) > 200 {
		return &scrubbedError{msg: scrubbed, err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// TokenAnswer is Zoho's answer to a token request.
type TokenAnswer struct {
	AccessToken  string
	RefreshToken string
	APIDomain    string
	// Lifetime is how long the access token is valid: expires_in seconds,
	// or expires_in milliseconds when the answer also has expires_in_sec
	// (Zoho's answers before 2020); DefaultLifetime when absent.
	Lifetime    time.Duration
	Error       string
	Description string
}

// ParseTokenAnswer parses a token answer. It returns an error matching
// ErrMalformed when body is not a JSON object (or a field has the wrong
// type), and ErrNoAccessToken when it is one without an access_token; in
// the latter case the partial answer, with Zoho's error, is returned too.
func ParseTokenAnswer(body []byte) (*TokenAnswer, error) {
	var raw struct {
		AccessToken  *string    `json:"access_token"`
		RefreshToken *string    `json:"refresh_token"`
		APIDomain    *string    `json:"api_domain"`
		ExpiresIn    *flexInt   `json:"expires_in"`
		ExpiresInSec *flexInt   `json:"expires_in_sec"`
		Error        flexString `json:"error"`
		Description  flexString `json:"error_description"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, malformed(jsonProblem(err))
	}
	if dec.More() {
		return nil, malformed("data after the JSON object")
	}
	ans := &TokenAnswer{Error: string(raw.Error), Description: string(raw.Description)}
	if raw.AccessToken == nil || *raw.AccessToken == "" {
		return ans, ErrNoAccessToken
	}
	ans.AccessToken = *raw.AccessToken
	if raw.RefreshToken != nil {
		ans.RefreshToken = *raw.RefreshToken
	}
	if raw.APIDomain != nil {
		ans.APIDomain = strings.TrimRight(*raw.APIDomain, "/")
	}
	n, unit := int64(DefaultLifetime/time.Second), time.Second
	switch {
	case raw.ExpiresIn == nil && raw.ExpiresInSec != nil:
		n = int64(*raw.ExpiresInSec)
	case raw.ExpiresIn == nil:
	case raw.ExpiresInSec != nil:
		n, unit = int64(*raw.ExpiresIn), time.Millisecond
	default:
		n = int64(*raw.ExpiresIn)
	}
	if n <= 0 || n > int64(maxLifetime/unit) {
		return nil, malformed("expires_in out of range")
	}
	ans.Lifetime = time.Duration(n) * unit
	return ans, nil
}

// malformedError is a parse failure; it matches ErrMalformed.
type malformedError struct{ detail string }

func malformed(detail string) error { return &malformedError{detail} }

func (e *malformedError) Error() string        { return ErrMalformed.Error() + ": " + e.detail }
func (e *malformedError) Is(target error) bool { return target == ErrMalformed }

// jsonError describes a decoding error without quoting the input.
func jsonError(err error) error { return errors.New(jsonProblem(err)) }

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "invalid JSON at offset " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "field " + te.Field + " has the wrong type"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	case errors.Is(err, errNotInteger):
		return "a number field is not an integer"
	}
	return "not a JSON object"
}

var errNotInteger = errors.New("not an integer")

// flexInt is a JSON integer given as a number or a decimal string.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return errNotInteger
		}
		v = int64(f)
	}
	*n = flexInt(v)
	return nil
}

// flexString is a JSON string, or any other JSON value kept as its text
// (Zoho's "error" is a string, but a proxy may answer otherwise).
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err == nil {
		*s = flexString(v)
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	*s = flexString(b)
	return nil
}
