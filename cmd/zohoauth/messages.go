package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
)

// hintError adds what to do to an error: its message is the plain message
// of the error, then the hint.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + " " + e.hint }
func (e *hintError) Unwrap() error { return e.err }

// plainMessage says what went wrong in the words a user needs, with the
// fix: "run zohoauth login" for a refresh token Zoho rejects, "interrupted"
// for Ctrl-C. Zoho's own error code stays in parentheses; the whole chain
// of errors is in --debug and --json output.
func plainMessage(ctx context.Context, err error) string {
	var ri *revokeIncomplete
	if errors.As(err, &ri) {
		return ri.msg
	}
	var he *hintError
	if errors.As(err, &he) {
		return plainMessage(ctx, he.err) + " " + he.hint
	}
	var ae *accounts.Error
	hasAE := errors.As(err, &ae)
	code := ""
	if hasAE && ae.Code != "" {
		code = " (" + ae.Code + ")"
	}
	switch {
	case exitCode(ctx, err) == exitInterrupted:
		return "interrupted"
	case keysetMessage(err) != "":
		return keysetMessage(err)
	case hasAE && ae.Op == "consent":
		return "the consent was not given" + code + "; run zohoauth login again to retry"
	case errors.Is(err, accounts.ErrAccessDenied):
		return "the device login was denied on the verification page" + code + "; run zohoauth login --device again to retry"
	case errors.Is(err, accounts.ErrDeviceExpired):
		return "the one-time code expired before it was approved" + code + "; run zohoauth login --device again for a new one"
	case errors.Is(err, accounts.ErrInvalidCode) && hasAE && ae.Op == "exchange":
		return "Zoho refused the grant code" + code + ": it was used already, it expired, or it belongs to another data center (--dc); get a new one, or run zohoauth login without --grant-token"
	case errors.Is(err, auth.ErrReauthorize), errors.Is(err, accounts.ErrInvalidCode):
		return "Zoho no longer accepts this token's refresh token" + code + ": it was revoked, or the user removed the app; run zohoauth login to authorize again"
	case errors.Is(err, accounts.ErrInvalidClient):
		return "Zoho refused the client id or secret" + code + ": check " + envClientID + " and " + envClientSecret + ", and the data center (--dc): a client belongs to one"
	case errors.Is(err, accounts.ErrInvalidRedirectURI):
		return "Zoho refused the redirect URI" + code + ": register it with the client in the API console, or give the registered one with --redirect-uri"
	case errors.Is(err, accounts.ErrThrottled):
		return "Zoho's limit of 10 access tokens per refresh token per 10 minutes is reached" + code + ": try again in a few minutes"
	case errors.Is(err, accounts.ErrTransient):
		why := ""
		if hasAE && ae.StatusCode != 0 {
			why = " (HTTP " + strconv.Itoa(ae.StatusCode) + ")"
		} else if hasAE && ae.Err != nil {
			why = " (" + ae.Err.Error() + ")"
		}
		return "cannot reach Zoho Accounts" + why + ": try again later"
	}
	return err.Error()
}

// errorView is the JSON of an error on standard error, for a command run
// with --json.
type errorView struct {
	Error    string `json:"error"`     // the plain message
	ExitCode int    `json:"exit_code"` // the command's exit code
	// Zoho's error, when Zoho answered with one.
	ZohoError  string `json:"zoho_error,omitempty"`  // Zoho's "error" value: invalid_code, Access Denied, …
	ZohoCall   string `json:"zoho_call,omitempty"`   // exchange, refresh, revoke, user
	HTTPStatus int    `json:"http_status,omitempty"` // of Zoho's answer
	// Code is the error code of Zoho's SDKs (TOKEN_STORE, INVALID TOKEN
	// ERROR, …), when the error has one.
	Code string `json:"code,omitempty"`
	// Detail is the whole chain of errors.
	Detail string `json:"detail"`
}

// reportError writes err on standard error: one line "zohoauth: …", a
// JSON object with --json, and the chain of errors with --debug.
func (a *app) reportError(ctx context.Context, err error, code int) {
	msg := plainMessage(ctx, err)
	if a.jsonErrors {
		v := errorView{Error: msg, ExitCode: code, Detail: err.Error()}
		var ae *accounts.Error
		if errors.As(err, &ae) {
			v.ZohoError, v.ZohoCall, v.HTTPStatus = ae.Code, ae.Op, ae.StatusCode
		}
		var ze *zohoauth.Error
		if errors.As(err, &ze) {
			v.Code = ze.Code
		}
		_ = writeJSON(a.stderr, v)
		return
	}
	fmt.Fprintln(a.stderr, "zohoauth: "+printable(oneLine(msg)))
	if a.debug && msg != err.Error() {
		fmt.Fprintln(a.stderr, "zohoauth: debug: "+printable(oneLine(err.Error())))
	}
}
