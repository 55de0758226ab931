package zohoauth

import (
	"errors"
	"strings"
)

// Error codes used by Zoho's SDKs (the SDKException code). They are kept
// verbatim so that logs and alerts written for the official SDKs still match.
const (
	CodeTokenStore          = "TOKEN_STORE"
	CodeTokenError          = "TOKEN ERROR"
	CodeMandatoryValue      = "MANDATORY VALUE ERROR"
	CodeInvalidToken        = "INVALID TOKEN ERROR"
	CodeSaveToken           = "Exception in saving tokens"
	CodeEnvironment         = "ENVIRONMENT_ERROR"
	CodeInitialization      = "INITIALIZATION ERROR"
	CodeUserSignature       = "USERSIGNATURE ERROR"
	CodeAPIException        = "API_EXCEPTION"
	CodeInvalidClient       = "INVALID CLIENT ERROR"
	CodeSDKUninitialization = "SDK UNINITIALIZED ERROR"
)

// Sentinel errors, to be checked with errors.Is. Every *Error that a store
// returns for a missing token wraps ErrNotFound.
var (
	// ErrNotFound reports that no stored token matches the given id or details.
	ErrNotFound = errors.New("token not found")
	// ErrNothingToSave reports a save of a token that carries no grant,
	// refresh or access token, so nothing could authenticate later.
	ErrNothingToSave = errors.New("token has no grant, refresh or access token")
	// ErrConflict reports a save that would give one user (for one client)
	// two rows, or reuse an id that belongs to another user.
	ErrConflict = errors.New("token conflicts with another stored token")
	// ErrInvalidID reports an id that is not a decimal number of 1 to 10 digits.
	ErrInvalidID = errors.New("token id must be a decimal number of 1 to 10 digits")
	// ErrInvalidToken reports a token that fails Zoho's constructor rules.
	ErrInvalidToken = errors.New("invalid token")
	// ErrUnknownEnvironment reports a data center or environment that is not known.
	ErrUnknownEnvironment = errors.New("unknown data center or environment")
)

// Error is the error type of this module and of its stores. It carries the
// Zoho error code (such as CodeTokenStore), Zoho's message text where Zoho has
// one, optional details (never secrets) and the underlying cause.
//
// Error values match with errors.Is against the sentinels they wrap, and
// against another *Error that has the same Code and an empty or equal Message:
//
//	errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore})
type Error struct {
	Code    string // Zoho's error code, e.g. "TOKEN_STORE"
	Message string // Zoho's message text, or a short description
	Detail  string // extra context such as a field name or a line number; never a secret
	Err     error  // the cause, if any
}

// Error returns "CODE - message (detail): cause", leaving out the empty parts.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Message != "" {
		if b.Len() > 0 {
			b.WriteString(" - ")
		}
		b.WriteString(e.Message)
	}
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	if e.Err != nil {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Code and, when the
// target's Message is set, the same Message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t.Code == "" {
		return false
	}
	return t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}
