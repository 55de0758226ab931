package accounts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/clock"
)

// The device flow (Zoho's "OAuth for devices"), for logins where no browser
// can reach a loopback port: StartDevice asks for a user code, the user
// enters it on the verification page of Zoho Accounts in any browser and
// approves, and WaitDevice polls until Zoho hands out the tokens.
//
// Zoho's answers while the login waits, in the error field of an HTTP 200
// answer, each matched with errors.Is against the *Error PollDevice
// returns:
const (
	// CodeAuthorizationPending is Zoho's answer while the user has neither
	// approved nor denied: poll again after the interval.
	CodeAuthorizationPending = "authorization_pending"
	// CodeSlowDown is Zoho's answer to two polls within its limit: poll at
	// most once per SlowDownInterval from then on.
	CodeSlowDown = "slow_down"
	// CodeOtherDC is Zoho's answer when the user approved from another data
	// center than the client's: the answer's user_location names it, and
	// every later poll goes to that data center's accounts server.
	CodeOtherDC = "other_dc"
	// CodeAccessDenied is Zoho's answer when the user denied the request.
	CodeAccessDenied = "access_denied"
	// CodeExpired is Zoho's answer when the user did nothing before the
	// code expired.
	CodeExpired = "expired"
)

// Sentinels of the device flow.
var (
	// ErrAuthorizationPending: the user has not approved yet.
	ErrAuthorizationPending = errors.New("authorization_pending: the user has not approved the device code yet")
	// ErrSlowDown: the polls came too fast.
	ErrSlowDown = errors.New("slow_down: polled too fast")
	// ErrOtherDC: the user's data center is another one. PollDevice follows
	// it (the next poll goes there); the error is final only when the
	// location is not a known data center or Zoho answered other_dc again
	// from the user's own data center.
	ErrOtherDC = errors.New("other_dc: the user belongs to another data center")
	// ErrAccessDenied: the user denied the request.
	ErrAccessDenied = errors.New("access_denied: the user denied the request")
	// ErrDeviceExpired: the user code expired before the user approved.
	ErrDeviceExpired = errors.New("expired: the device code expired before it was approved")
)

// Limits of the device flow.
const (
	// SlowDownInterval is the least time between two polls once Zoho has
	// answered slow_down: Zoho allows one poll per 30 seconds.
	SlowDownInterval = 30 * time.Second
	// DefaultDeviceInterval is the poll interval when the answer gives none.
	DefaultDeviceInterval = 5 * time.Second
	// DefaultDeviceLifetime is the lifetime of a user code when the answer
	// gives none (Zoho documents 5 minutes).
	DefaultDeviceLifetime = 5 * time.Minute
	// maxDeviceInterval and maxDeviceLifetime bound what an answer may ask.
	maxDeviceInterval = 5 * time.Minute
	maxDeviceLifetime = 30 * time.Minute
	// maxTransientPolls is how many polls in a row may fail with a
	// transient error (network, HTTP 5xx) before WaitDevice gives up.
	maxTransientPolls = 3
)

// DeviceOptions are the parameters of a device-code request.
type DeviceOptions struct {
	// Scopes are the scopes asked for, shown to the user on the consent
	// page (sent comma-separated). At least one is needed.
	Scopes []string
	// Offline asks for a refresh token too (access_type=offline).
	Offline bool
	// Consent asks for the user's consent even when given before
	// (prompt=consent); with Offline, it makes Zoho issue a new refresh
	// token every time.
	Consent bool
}

// Device is a device-flow login in progress: what to show the user, and the
// state of the polling. It is not safe for concurrent use. Its String and
// LogValue never show the device code, which with the client secret is
// worth a token.
type Device struct {
	// UserCode is the code the user types on the verification page.
	UserCode string
	// VerificationURL is the page where the user types UserCode.
	VerificationURL string
	// VerificationURLComplete, when Zoho gives one, is VerificationURL
	// with the code filled in.
	VerificationURLComplete string
	// Expiry is when the user code expires, by the Client's clock.
	Expiry time.Time
	// Interval is the least time between two polls; slow_down raises it.
	Interval time.Duration
	// Server is the accounts server polled: the one that issued the code,
	// or the user's after an other_dc answer.
	Server string
	// Location is the user's data center named by an other_dc answer, or
	// "" while none came.
	Location string

	deviceCode string
}

// String shows the user code, the verification URL and the expiry.
func (d *Device) String() string {
	return fmt.Sprintf("device login: enter %s at %s before %s", d.UserCode, d.VerificationURL, d.Expiry.Format(time.RFC3339))
}

// GoString is String: the device code stays hidden in %#v too.
func (d *Device) GoString() string { return d.String() }

// LogValue logs the user code, the verification URL, the expiry and the
// server, never the device code.
func (d *Device) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user_code", d.UserCode), slog.String("verification_url", d.VerificationURL),
		slog.Time("expiry", d.Expiry), slog.String("server", d.Server), slog.String("location", d.Location))
}

// StartDevice asks Zoho for a device code, POST {accounts}/oauth/v3/device/code
// with grant_type=device_request, t.ClientID and o. The accounts server is
// BaseURL, or the one of Environment: the data center where the client is
// registered. It succeeds iff the answer has a device code, a user code and
// a verification URL; the user code and the URL are checked to be printable
// (no control character reaches a terminal).
func (c *Client) StartDevice(ctx context.Context, t *zohoauth.Token, o DeviceOptions) (*Device, error) {
	const op = "device code"
	if t.ClientID == "" {
		return nil, &Error{Op: op, Kind: ErrInvalidClient, Err: errors.New("no client id")}
	}
	scopes := make([]string, 0, len(o.Scopes))
	for _, s := range o.Scopes {
		if s = strings.TrimSpace(s); s != "" {
			scopes = append(scopes, s)
		}
	}
	if len(scopes) == 0 {
		return nil, &Error{Op: op, Kind: ErrRejected, Err: errors.New("no scope asked for")}
	}
	server, err := c.Server(nil, "")
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"grant_type": {"device_request"},
		"client_id":  {t.ClientID},
		"scope":      {strings.Join(scopes, ",")},
	}
	if o.Offline {
		form.Set("access_type", "offline")
	}
	if o.Consent {
		form.Set("prompt", "consent")
	}
	secrets := []string{t.ClientSecret, t.GrantToken, t.RefreshToken, t.AccessToken}
	start := c.now()
	status, body, err := c.post(ctx, op, server+"/oauth/v3/device/code", form, secrets)
	if err != nil {
		return nil, err
	}
	var raw struct {
		UserCode        flexString `json:"user_code"`
		DeviceCode      flexString `json:"device_code"`
		VerificationURL flexString `json:"verification_url"`
		VerificationURI flexString `json:"verification_uri"`
		Complete        flexString `json:"verification_uri_complete"`
		Interval        *flexInt   `json:"interval"`
		ExpiresIn       *flexInt   `json:"expires_in"`
		Error           flexString `json:"error"`
		Description     flexString `json:"error_description"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		e := &Error{Op: op, StatusCode: status, Kind: ErrMalformed, Err: errors.New(jsonProblem(err))}
		if status >= 500 {
			e.Kind, e.Err = ErrTransient, nil
		}
		return nil, e
	}
	secrets = append(secrets, string(raw.DeviceCode))
	if raw.Error != "" || raw.DeviceCode == "" {
		e := &Error{Op: op, StatusCode: status, Code: scrub(string(raw.Error), secrets), Description: scrub(string(raw.Description), secrets)}
		switch {
		case raw.Error != "":
			e.Kind = kindOf(string(raw.Error))
		case status >= 500:
			e.Kind = ErrTransient
		default:
			e.Kind, e.Err = ErrMalformed, errors.New("no device_code")
		}
		return nil, e
	}
	d := &Device{
		UserCode:                string(raw.UserCode),
		VerificationURL:         string(raw.VerificationURL),
		VerificationURLComplete: string(raw.Complete),
		Server:                  server,
		deviceCode:              string(raw.DeviceCode),
	}
	if d.VerificationURL == "" {
		d.VerificationURL = string(raw.VerificationURI)
	}
	if !printableCode(d.UserCode) {
		return nil, &Error{Op: op, StatusCode: status, Kind: ErrMalformed, Err: errors.New("user_code missing or not made of letters, digits and dashes")}
	}
	if !displayableURL(d.VerificationURL) {
		return nil, &Error{Op: op, StatusCode: status, Kind: ErrMalformed, Err: errors.New("verification_url missing or not a plain http(s) URL")}
	}
	if d.VerificationURLComplete != "" && !displayableURL(d.VerificationURLComplete) {
		d.VerificationURLComplete = ""
	}
	d.Interval = answerDuration(raw.Interval, DefaultDeviceInterval, time.Second, maxDeviceInterval)
	d.Expiry = start.Add(answerDuration(raw.ExpiresIn, DefaultDeviceLifetime, time.Second, maxDeviceLifetime))
	return d, nil
}

// answerDuration reads a duration of a device-code answer. Zoho documents
// interval and expires_in in milliseconds, while RFC 8628 servers give
// seconds: a value of 1000 or more is milliseconds, a smaller one seconds.
// An absent or non-positive value is def; the result lies in [least, most].
func answerDuration(v *flexInt, def, least, most time.Duration) time.Duration {
	if v == nil || *v <= 0 {
		return def
	}
	n := int64(*v)
	var d time.Duration
	switch {
	case n >= int64(most/time.Millisecond):
		d = most
	case n >= 1000:
		d = time.Duration(n) * time.Millisecond
	default:
		d = time.Duration(n) * time.Second
	}
	return min(max(d, least), most)
}

// printableCode reports whether a user code is 1 to 64 ASCII letters,
// digits and dashes: it is printed on the user's terminal.
func printableCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// displayableURL reports whether s is an absolute http or https URL of at
// most 2048 bytes with no space, control or non-ASCII character: it is
// printed on the user's terminal and may be opened in a browser.
func displayableURL(s string) bool {
	if s == "" || len(s) > 2048 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// PollDevice polls once, POST {d.Server}/oauth/v3/device/token with
// grant_type=device_token, t.ClientID, t.ClientSecret and the device code.
// On success (the answer has an access_token) it returns a copy of t with
// the access token, its expiry, the refresh token (when Zoho gave one) and
// the API domain, which must be trusted as for Exchange, and without a
// grant token. The device code is spent: d cannot be polled again.
//
// Otherwise it returns an *Error matching ErrAuthorizationPending,
// ErrSlowDown, ErrOtherDC, ErrAccessDenied, ErrDeviceExpired or the
// sentinels of the other calls (ErrInvalidClient, ErrTransient, …). It
// updates d: slow_down raises d.Interval to at least SlowDownInterval (and
// by 5 seconds more at each further slow_down); other_dc sets d.Location
// and moves d.Server to the accounts server of that data center, taken
// from the table of known data centers only (BaseURL, when set, stays the
// server: it replaces every data center's). An other_dc naming an unknown
// location, or coming again once followed, is final: the *Error also
// matches zohoauth.ErrUnknownEnvironment in the first case.
func (c *Client) PollDevice(ctx context.Context, t *zohoauth.Token, d *Device) (*zohoauth.Token, error) {
	const op = "device token"
	secrets := []string{t.ClientSecret, t.GrantToken, t.RefreshToken, t.AccessToken, d.deviceCode}
	if d.deviceCode == "" || d.Server == "" {
		return nil, &Error{Op: op, Kind: ErrMalformed, Err: errors.New("device login not started with StartDevice")}
	}
	form := url.Values{
		"grant_type":    {"device_token"},
		"client_id":     {t.ClientID},
		"client_secret": {t.ClientSecret},
		"code":          {d.deviceCode},
	}
	server := d.Server
	start := c.now()
	status, body, err := c.post(ctx, op, server+"/oauth/v3/device/token", form, secrets)
	if err != nil {
		return nil, err
	}
	ans, perr := ParseTokenAnswer(body)
	if perr != nil {
		var loc struct {
			Location flexString `json:"user_location"`
		}
		_ = json.Unmarshal(body, &loc)
		return nil, c.devicePollError(op, status, ans, perr, string(loc.Location), d, secrets)
	}
	out := t.Clone()
	out.GrantToken = ""
	out.AccessToken = ans.AccessToken
	out.Expiry = start.Add(ans.Lifetime).Truncate(time.Millisecond)
	if ans.RefreshToken != "" {
		out.RefreshToken = ans.RefreshToken
	}
	if ans.APIDomain != "" {
		canon, err := c.TrustedAPIDomain(ans.APIDomain)
		if err != nil {
			return nil, untrusted(op, status, ans.APIDomain, append(secrets, ans.AccessToken, ans.RefreshToken))
		}
		if !c.KeepAPIDomain || out.APIDomain == "" {
			out.APIDomain = canon
		}
	}
	out.APIDomain = c.apiDomain(out, server)
	d.deviceCode = "" // spent
	return out, nil
}

// devicePollError classifies a poll answer without an access token, and
// applies slow_down and other_dc to d.
func (c *Client) devicePollError(op string, status int, ans *TokenAnswer, perr error, location string, d *Device, secrets []string) error {
	err := classify(op, status, ans, perr, secrets)
	var e *Error
	if !errors.As(err, &e) || ans == nil || ans.Error == "" {
		return err
	}
	switch ans.Error {
	case CodeAuthorizationPending:
		e.Kind = ErrAuthorizationPending
	case CodeSlowDown:
		e.Kind = ErrSlowDown
		if d.Interval < SlowDownInterval {
			d.Interval = SlowDownInterval
		} else {
			d.Interval = min(d.Interval+5*time.Second, maxDeviceInterval)
		}
	case CodeAccessDenied:
		e.Kind = ErrAccessDenied
	case CodeExpired:
		e.Kind = ErrDeviceExpired
	case CodeOtherDC:
		e.Kind = ErrOtherDC
		if d.Location != "" {
			e.Err = fmt.Errorf("the accounts server of data center %q answered other_dc again", d.Location)
			return e
		}
		env, lerr := zohoauth.LookupEnvironment(location)
		if lerr != nil || location == "" {
			e.Err = fmt.Errorf("user_location %s is not a known data center: %w", quoteLocation(scrub(location, secrets)), zohoauth.ErrUnknownEnvironment)
			return e
		}
		d.Location = env.DC
		if c.BaseURL == "" {
			d.Server = env.AccountsURL
		}
	}
	return e
}

// quoteLocation quotes a location for an error, cut to 40 bytes.
func quoteLocation(s string) string {
	if len(s) > 40 {
		s = strings.ToValidUTF8(s[:40], "") + "…"
	}
	return fmt.Sprintf("%q", s)
}

// WaitDevice polls until the user approves, then returns the token as
// PollDevice does. It waits d.Interval on clk (nil means the system clock)
// before each poll, follows slow_down and other_dc, and retries a transient
// failure (network, HTTP 5xx) up to 3 times in a row. It returns an error
// matching ErrAccessDenied when the user denies, ErrDeviceExpired when the
// code expires (by the answer, or by clk once d.Expiry has passed, without
// another poll), the cause of ctx when ctx ends, and any other *Error of
// PollDevice at once.
func (c *Client) WaitDevice(ctx context.Context, clk clock.Clock, t *zohoauth.Token, d *Device) (*zohoauth.Token, error) {
	if clk == nil {
		clk = clock.System()
	}
	transient := 0
	for {
		if err := sleep(ctx, clk, d.Interval); err != nil {
			return nil, err
		}
		if !clk.Now().Before(d.Expiry) {
			return nil, &Error{Op: "device token", Kind: ErrDeviceExpired}
		}
		tok, err := c.PollDevice(ctx, t, d)
		switch {
		case err == nil:
			return tok, nil
		case ctx.Err() != nil:
			return nil, err
		case errors.Is(err, ErrAuthorizationPending), errors.Is(err, ErrSlowDown):
			transient = 0
		case followedOtherDC(err):
			transient = 0
		case errors.Is(err, ErrTransient) && transient < maxTransientPolls-1:
			transient++
		default:
			return nil, err
		}
	}
}

// followedOtherDC reports whether err is an other_dc answer that
// PollDevice followed (the final ones carry a cause).
func followedOtherDC(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == ErrOtherDC && e.Err == nil
}

// sleep waits d on clk, or until ctx ends.
func sleep(ctx context.Context, clk clock.Clock, d time.Duration) error {
	done := make(chan struct{})
	timer := clk.AfterFunc(d, func() { close(done) })
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		timer.Stop()
		return context.Cause(ctx)
	}
}
