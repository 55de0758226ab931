package storeurl

import (
	"errors"
	"strconv"
)

// Sentinel errors of store URLs, to be checked with errors.Is.
var (
	// ErrBadURL reports a store URL that cannot be used as written.
	ErrBadURL = errors.New("bad store URL")
	// ErrUnknownScheme reports a store URL whose scheme is missing or not known.
	ErrUnknownScheme = errors.New("unknown store URL scheme")
	// ErrConfig reports a store that failed to open because of how it is
	// configured (a table that is not Zoho's, a directory as the SQLite
	// file, a connection string the driver or server refuses, access
	// denied): trying again will not help, changing the URL or the
	// database will. A store that cannot be reached is not ErrConfig.
	ErrConfig = errors.New("store configuration cannot work")
	// ErrNotLinked reports a store URL whose scheme the program's Opener
	// was not given (see NotLinkedError).
	ErrNotLinked = errors.New("store not linked into this program")
)

// Error reports a store URL that cannot be parsed or opened. It names the
// part of the URL that is wrong; URL has its password redacted, and no field
// ever holds a secret.
type Error struct {
	URL    string // the store URL, password redacted
	Part   string // the part that is wrong: "scheme", "host", "port", "path", "database", "query parameter \"x\"", …
	Reason string // what is wrong with it
	Err    error  // ErrBadURL, ErrUnknownScheme or the cause of a failed open
}

// Error returns `store URL "…": bad PART: REASON`.
func (e *Error) Error() string {
	s := "store URL " + strconv.Quote(e.URL)
	if e.Part != "" {
		s += ": bad " + e.Part
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func bad(raw, part, reason string) *Error {
	return &Error{URL: Redact(raw), Part: part, Reason: reason, Err: ErrBadURL}
}
