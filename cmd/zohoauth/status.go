package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
)

// statusOptions are the flags of status.
type statusOptions struct {
	sel    selector
	check  bool
	asJSON bool
}

func (a *app) statusCmd() *cobra.Command {
	var o statusOptions
	c := &cobra.Command{
		Use:   "status [--user EMAIL] [--client-id ID] [--check] [--json]",
		Short: "show each stored login and whether its token can work",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.jsonErrors = o.asJSON
			return a.status(c.Context(), &o)
		},
	}
	c.Flags().StringVar(&o.sel.user, "user", "", "only the tokens of this user (an `EMAIL`, or Zoho's email:zgid)")
	c.Flags().StringVar(&o.sel.client, "client-id", "", "only the tokens of this client (its `ID`)")
	c.Flags().BoolVar(&o.check, "check", false, "ask Zoho whether it still accepts each token (one user-info call each; a refresh only when the access token expired or was refused)")
	c.Flags().BoolVar(&o.asJSON, "json", false, "print JSON")
	return c
}

// Outcomes of status --check for one token.
const (
	checkAccepted  = "accepted"   // Zoho answered the user-info call
	checkRejected  = "rejected"   // Zoho refused the refresh token: log in again
	checkNoRefresh = "no_refresh" // not checked: no refresh token to check
	checkFailed    = "failed"     // Zoho could not be asked (network, 5xx, throttle)
)

// statusView is the JSON of one token in status --json. It holds no
// secret.
type statusView struct {
	ID               string     `json:"id"`
	User             string     `json:"user,omitempty"`
	Email            string     `json:"email,omitempty"`
	ClientID         string     `json:"client_id,omitempty"`
	DataCenter       string     `json:"data_center,omitempty"`
	APIDomain        string     `json:"api_domain,omitempty"`
	HasAccessToken   bool       `json:"has_access_token"`
	AccessValid      bool       `json:"access_token_valid"`
	Expiry           *time.Time `json:"expiry,omitempty"`
	ExpiresInSeconds *int64     `json:"expires_in_seconds,omitempty"`
	HasRefreshToken  bool       `json:"has_refresh_token"`
	// Check is the outcome of --check: accepted, rejected, no_refresh or
	// failed; absent without --check.
	Check string `json:"check,omitempty"`
	// Refreshed is set when --check had to refresh the access token (it
	// had expired, or Zoho refused it) and saved the new one.
	Refreshed bool `json:"refreshed,omitempty"`
	// CheckedUser is the user Zoho's user-info call names, when it differs
	// from the stored one.
	CheckedUser string `json:"checked_user,omitempty"`
	// Error is why the check failed or was rejected (no secret), with
	// Zoho's error code in ZohoError.
	Error     string `json:"error,omitempty"`
	ZohoError string `json:"zoho_error,omitempty"`
	// Lifecycle is what the store keeps of the token's life, when it keeps
	// lifecycle records.
	Lifecycle *lifecycleView `json:"lifecycle,omitempty"`
	// OK is whether the token can work: it has a refresh token and, with
	// --check, Zoho accepted it.
	OK bool `json:"ok"`
}

// lifecycleView is the JSON of a token's lifecycle record (the times that
// are not known are left out). It holds no secret.
type lifecycleView struct {
	LoginAt       *time.Time `json:"login_at,omitempty"`
	LastUsedAt    *time.Time `json:"last_used_at,omitempty"`
	LastRefreshAt *time.Time `json:"last_refresh_at,omitempty"`
	LastFailureAt *time.Time `json:"last_failure_at,omitempty"`
	Failures      int        `json:"failures"`
	FailureDays   int        `json:"failure_days"`
	LastError     string     `json:"last_error,omitempty"`
	ExhaustedAt   *time.Time `json:"exhausted_at,omitempty"`
}

// lifecycleOf returns the view of l.
func lifecycleOf(l zohoauth.Lifecycle) *lifecycleView {
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		u := t.UTC()
		return &u
	}
	return &lifecycleView{LoginAt: at(l.LoginAt), LastUsedAt: at(l.LastUsedAt), LastRefreshAt: at(l.LastRefreshAt), LastFailureAt: at(l.LastFailureAt),
		Failures: l.Failures, FailureDays: l.FailureDays, LastError: l.LastError, ExhaustedAt: at(l.ExhaustedAt)}
}

// statusReport is the JSON of status --json.
type statusReport struct {
	Store   string       `json:"store"`
	Checked bool         `json:"checked"`
	Tokens  []statusView `json:"tokens"`
	// OK is whether every listed token can work: the exit code is 0.
	OK bool `json:"ok"`
}

// statusError is a status whose tokens cannot all work: exit code 4 when
// one cannot (no refresh token, or Zoho refused it), else 5 when a check
// could not reach Zoho. Its report was printed already.
type statusError struct {
	bad, unknown, total int
}

func (e *statusError) Error() string {
	if e.bad > 0 {
		return fmt.Sprintf("%d of %d tokens cannot work: run zohoauth login for each (zohoauth status shows which)", e.bad, e.total)
	}
	return fmt.Sprintf("%d of %d tokens could not be checked: Zoho could not be reached; try again later", e.unknown, e.total)
}

// ExitCode is 4 (log in again) or 5 (try again later).
func (e *statusError) ExitCode() int {
	if e.bad > 0 {
		return exitAuth
	}
	return exitUnavailable
}

func (a *app) status(ctx context.Context, o *statusOptions) error {
	s, err := a.openExisting(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	all, err := s.Tokens(ctx)
	if err != nil {
		return err
	}
	var tokens []*zohoauth.Token
	for _, t := range all {
		if o.sel.matches(t) {
			tokens = append(tokens, t)
		}
	}
	switch {
	case len(all) == 0:
		return notFoundf("%s holds no token; run zohoauth login first", a.printableStore())
	case len(tokens) == 0:
		return notFoundf("no token of %s in %s; zohoauth list shows the users", o.sel.describe(), a.printableStore())
	}
	var authn *auth.Authenticator
	if o.check {
		if authn, err = a.authenticator(s, zohoauth.Environment{}); err != nil {
			return err
		}
		defer authn.Close()
	}
	rep := statusReport{Store: a.printableStore(), Checked: o.check, Tokens: make([]statusView, 0, len(tokens)), OK: true}
	var fail statusError
	fail.total = len(tokens)
	keeper, _ := s.(zohoauth.LifecycleKeeper)
	for _, t := range tokens {
		v := a.statusOf(t)
		if keeper != nil {
			l, err := keeper.Lifecycle(ctx, t.ID)
			if err != nil {
				return err
			}
			v.Lifecycle = lifecycleOf(l)
			if !l.ExhaustedAt.IsZero() {
				v.OK = false
			}
		}
		if o.check {
			a.checkToken(ctx, authn, t, &v)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		switch {
		case !v.OK && v.Check == checkFailed:
			fail.unknown++
		case !v.OK:
			fail.bad++
		}
		rep.OK = rep.OK && v.OK
		rep.Tokens = append(rep.Tokens, v)
	}
	if o.asJSON {
		if err := writeJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		if err := writeStatus(a.stdout, rep); err != nil {
			return err
		}
		if !o.check {
			fmt.Fprintln(a.stderr, "(zohoauth status --check asks Zoho whether each token still works)")
		}
	}
	if !rep.OK {
		return &fail
	}
	return nil
}

// statusOf returns what the store knows of t.
func (a *app) statusOf(t *zohoauth.Token) statusView {
	now := a.clock.Now()
	v := statusView{
		ID:              t.ID,
		User:            t.UserName,
		Email:           t.Email(),
		ClientID:        t.ClientID,
		DataCenter:      dataCenter(t.APIDomain),
		APIDomain:       t.APIDomain,
		HasAccessToken:  t.AccessToken != "",
		HasRefreshToken: t.RefreshToken != "",
		OK:              t.RefreshToken != "",
	}
	if !t.Expiry.IsZero() {
		e := t.Expiry.UTC()
		left := int64(t.Expiry.Sub(now) / time.Second)
		v.Expiry, v.ExpiresInSeconds = &e, &left
	}
	v.AccessValid = v.HasAccessToken && !t.Expiry.IsZero() && now.Before(t.Expiry)
	return v
}

// checkToken asks Zoho whether t can still work: one user-info call with
// its access token, which Zoho answers only while the refresh token that
// issued it stands (revoking a refresh token revokes its access tokens).
// The access token is refreshed first only when it expired, and once
// when Zoho refuses the call; a refresh Zoho refuses means the refresh token is
// dead, one Zoho grants proves it alive even if the user-info call is
// still refused (a token without the users scope). The new token of a
// refresh is saved, as any refresh does.
func (a *app) checkToken(ctx context.Context, authn *auth.Authenticator, t *zohoauth.Token, v *statusView) {
	if t.RefreshToken == "" {
		v.Check, v.OK = checkNoRefresh, false
		return
	}
	h := authn.For(&zohoauth.Token{ID: t.ID})
	cur := t
	if !v.AccessValid {
		fresh, err := h.Token(ctx)
		if err != nil {
			a.checkFailed(ctx, v, err)
			return
		}
		cur, v.Refreshed = fresh, true
	}
	ac := a.accountsClient()
	user, err := ac.UserSignature(ctx, cur)
	if err != nil && !v.Refreshed && exitCode(ctx, err) != exitUnavailable && ctx.Err() == nil {
		// Refused (revoked, or pushed out by newer tokens, or a scope
		// the token lacks): one refresh says whether the refresh token
		// stands.
		fresh, rerr := h.Refresh(ctx)
		if rerr != nil {
			a.checkFailed(ctx, v, rerr)
			return
		}
		cur, v.Refreshed = fresh, true
		user, err = ac.UserSignature(ctx, cur)
	}
	if err != nil && v.Refreshed && exitCode(ctx, err) != exitUnavailable && ctx.Err() == nil {
		// The refresh succeeded: Zoho accepts the refresh token, whatever
		// it says of the user-info call (a token without the scope
		// ZohoCRM.users.READ cannot make it).
		v.Error = "Zoho accepted the refresh token but refused the user-info call: " + oneLine(plainMessage(ctx, err))
		err = nil
	}
	if err != nil {
		a.checkFailed(ctx, v, err)
		return
	}
	v.Check, v.OK = checkAccepted, true
	if user != t.UserName {
		v.CheckedUser = user
	}
	if v.Refreshed {
		now := a.clock.Now()
		e := cur.Expiry.UTC()
		left := int64(cur.Expiry.Sub(now) / time.Second)
		v.Expiry, v.ExpiresInSeconds, v.AccessValid, v.HasAccessToken = &e, &left, now.Before(cur.Expiry), true
	}
}

// refusedAccess reports whether err is the CRM refusing an access token
// (HTTP 401: revoked, or pushed out by newer ones).
func refusedAccess(err error) bool {
	var ae *accounts.Error
	return errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized
}

// checkFailed records why a check did not pass: rejected when Zoho refused
// the token (log in again), failed when Zoho could not say.
func (a *app) checkFailed(ctx context.Context, v *statusView, err error) {
	v.OK = false
	v.Error = oneLine(plainMessage(ctx, err))
	var ae *accounts.Error
	if errors.As(err, &ae) {
		v.ZohoError = ae.Code
	}
	if exitCode(ctx, err) == exitAuth || refusedAccess(err) {
		v.Check = checkRejected
	} else {
		v.Check = checkFailed
	}
}

// writeStatus writes the report as gh auth status does: the store, then
// one block per token.
func writeStatus(w io.Writer, rep statusReport) error {
	fmt.Fprintln(w, printable(rep.Store))
	for _, v := range rep.Tokens {
		mark := "✓"
		if !v.OK {
			mark = "X"
		}
		fmt.Fprintf(w, "  %s %s (client %s, token %s)\n", mark, orDash(v.Email), orDash(v.ClientID), printable(v.ID))
		fmt.Fprintf(w, "    - Data center: %s\n", orDash(v.DataCenter))
		access := "none"
		switch {
		case v.HasAccessToken && v.ExpiresInSeconds == nil:
			access = "present, expiry unknown"
		case v.HasAccessToken && v.AccessValid:
			access = "valid for " + shortDuration(time.Duration(*v.ExpiresInSeconds)*time.Second)
		case v.HasAccessToken:
			access = "expired " + shortDuration(time.Duration(-*v.ExpiresInSeconds)*time.Second) + " ago"
		}
		if v.Refreshed {
			access += " (refreshed now)"
		}
		fmt.Fprintf(w, "    - Access token: %s\n", access)
		if v.HasRefreshToken {
			fmt.Fprintln(w, "    - Refresh token: present")
		} else {
			fmt.Fprintln(w, "    - Refresh token: missing: the token stops working when its access token expires; run zohoauth login")
		}
		if l := v.Lifecycle; l != nil {
			writeLifecycle(w, l)
		}
		switch v.Check {
		case checkAccepted:
			fmt.Fprintln(w, "    - Zoho: accepts the token")
			if v.Error != "" {
				fmt.Fprintf(w, "    - %s\n", printable(v.Error))
			}
			if v.CheckedUser != "" {
				fmt.Fprintf(w, "    - Zoho names the user %s, not the stored %s\n", printable(v.CheckedUser), orDash(v.User))
			}
		case checkRejected:
			fmt.Fprintf(w, "    - Zoho: refuses the token: %s\n", printable(v.Error))
		case checkFailed:
			fmt.Fprintf(w, "    - Zoho: could not check: %s\n", printable(v.Error))
		}
	}
	return nil
}

// writeLifecycle writes the lines of a token's lifecycle record.
func writeLifecycle(w io.Writer, l *lifecycleView) {
	when := func(t *time.Time) string {
		if t == nil {
			return "unknown"
		}
		return t.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "    - Logged in: %s\n", when(l.LoginAt))
	fmt.Fprintf(w, "    - Last used: %s\n", when(l.LastUsedAt))
	fmt.Fprintf(w, "    - Last refresh: %s\n", when(l.LastRefreshAt))
	if l.Failures > 0 {
		fmt.Fprintf(w, "    - Failed refreshes: %d (on %d days) since the last success, the last %s (%s)\n", l.Failures, l.FailureDays, when(l.LastFailureAt), orDash(printable(l.LastError)))
	}
	if l.ExhaustedAt != nil {
		fmt.Fprintf(w, "    - Exhausted since %s: refused until a new login (zohoauth login)\n", when(l.ExhaustedAt))
	}
}
