package accounts

import (
	"errors"
	"strconv"
	"strings"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// Sentinel errors, matched with errors.Is against the *Error a call returns.
var (
	// ErrInvalidCode is Zoho's "invalid_code": the grant code was used
	// already or expired, the refresh token was revoked or deleted, or the
	// request went to the wrong data center. A new authorization is needed.
	ErrInvalidCode = errors.New("invalid_code: grant or refresh token rejected")
	// ErrInvalidClient is Zoho's "invalid_client" or "invalid_client_secret":
	// wrong client id or secret, or the wrong data center.
	ErrInvalidClient = errors.New("invalid_client: client id or secret rejected")
	// ErrInvalidRedirectURI is Zoho's "invalid_redirect_uri".
	ErrInvalidRedirectURI = errors.New("invalid_redirect_uri: redirect URI does not match the client")
	// ErrThrottled is Zoho's "Access Denied": too many tokens asked for in a
	// short time (10 access tokens per refresh token per 10 minutes). Retry
	// later, not at once.
	ErrThrottled = errors.New("access denied: Zoho's token throttle")
	// ErrRejected is any other "error" value in Zoho's answer.
	ErrRejected = errors.New("request rejected by Zoho Accounts")
	// ErrNoAccessToken is an answer that is JSON but has neither an
	// access_token nor an error.
	ErrNoAccessToken = errors.New(storekit.MsgNoAccessToken)
	// ErrMalformed is an answer that is not the JSON object Zoho sends.
	ErrMalformed = errors.New("malformed answer from Zoho Accounts")
	// ErrTooLarge is an answer longer than the size limit (1 MiB).
	ErrTooLarge = errors.New("answer from Zoho Accounts too large")
	// ErrTransient is a failure that may pass if the call is made again
	// later: a network error, a timeout, or an HTTP 5xx, 408 or 429 status
	// without a token.
	ErrTransient = errors.New("temporary failure reaching Zoho Accounts")
	// ErrRevokeFailed is a revoke that Zoho did not confirm with
	// {"status":"success"}.
	ErrRevokeFailed = errors.New(storekit.MsgRevokeToken)
)

// Error is the error of a call to Zoho Accounts. It never holds a secret nor
// the raw answer: only Zoho's error code and description (with any secret
// of the request scrubbed), the HTTP status and the classification.
//
// It matches, with errors.Is, its sentinel (ErrInvalidCode, ErrThrottled,
// ErrTransient, …) and the cause (such as context.DeadlineExceeded), and,
// with errors.As, the *zohoauth.Error that Zoho's SDKs would raise: code
// "INVALID TOKEN ERROR" with the "error" value as message when Zoho answered
// without an access token, or "Exception in saving tokens" for an answer
// that is not JSON.
type Error struct {
	// Op is the call: "exchange", "refresh", "revoke", "user", "device
	// code" or "device token".
	Op string
	// Code is Zoho's "error" value, such as "invalid_code" or
	// "Access Denied"; "" when the answer had none.
	Code string
	// Description is Zoho's "error_description", scrubbed and shortened.
	Description string
	// StatusCode is the HTTP status, 0 when no answer came.
	StatusCode int
	// Kind is the sentinel the error matches (ErrInvalidCode, …).
	Kind error
	// Err is the underlying cause, if any (a network or JSON error).
	Err error
}

// Error returns a one-line description without any secret.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("zoho accounts ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	if e.Code != "" {
		b.WriteString(" (error=")
		b.WriteString(strconv.Quote(e.Code))
		b.WriteString(")")
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.StatusCode != 0 {
		b.WriteString(" [HTTP ")
		b.WriteString(strconv.Itoa(e.StatusCode))
		b.WriteString("]")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel, the cause and the Zoho SDK error.
func (e *Error) Unwrap() []error {
	errs := []error{e.Kind}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if z := e.sdkError(); z != nil {
		errs = append(errs, z)
	}
	return errs
}

// sdkError returns the error Zoho's SDK raises in the same case, or nil.
func (e *Error) sdkError() *zohoauth.Error {
	switch {
	case e.Op == "revoke":
		return &zohoauth.Error{Code: zohoauth.CodeTokenError, Message: storekit.MsgRevokeToken}
	case e.Code != "":
		return &zohoauth.Error{Code: zohoauth.CodeInvalidToken, Message: e.Code}
	case e.Kind == ErrNoAccessToken:
		return &zohoauth.Error{Code: zohoauth.CodeInvalidToken, Message: storekit.MsgNoAccessToken}
	case e.Kind == ErrMalformed:
		return &zohoauth.Error{Code: zohoauth.CodeSaveToken}
	}
	return nil
}

// Temporary reports whether the call may succeed if made again later
// without any change: the error is ErrTransient.
func (e *Error) Temporary() bool { return e.Kind == ErrTransient }

// kindOf classifies Zoho's "error" value.
func kindOf(code string) error {
	switch code {
	case "invalid_code":
		return ErrInvalidCode
	case "invalid_client", "invalid_client_secret":
		return ErrInvalidClient
	case "invalid_redirect_uri":
		return ErrInvalidRedirectURI
	case "Access Denied", "access_denied":
		return ErrThrottled
	}
	return ErrRejected
}

// scrub shortens s to a line of at most 200 bytes and replaces every secret
// in it.
func scrub(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}
