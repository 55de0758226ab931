package sealed

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors, to be checked with errors.Is. The typed errors below
// wrap them and name the key id, field or token id concerned, never a value.
var (
	// ErrKeyset reports a keyset that is missing, unreadable, readable by
	// other users, or not a keyset of this package.
	ErrKeyset = errors.New("sealed: bad keyset")
	// ErrUnknownKey reports a value encrypted under a key the keyset does
	// not hold, even after a reload: a wrong keyset, or a retired key.
	ErrUnknownKey = errors.New("sealed: key not in the keyset")
	// ErrDecrypt reports a ciphertext that does not authenticate under its
	// key: a changed byte, or a ciphertext moved from another field.
	ErrDecrypt = errors.New("sealed: ciphertext does not authenticate")
	// ErrFormat reports a value with the prefix of an encrypted value whose
	// rest is not one: a truncated or garbled value, or an unknown version.
	ErrFormat = errors.New("sealed: malformed encrypted value")
	// ErrPlainValue reports a plain value where an encrypted one is
	// required.
	ErrPlainValue = errors.New("sealed: plain value where an encrypted one is required")
	// ErrSealedValue reports an encrypted value where a plain one is
	// required.
	ErrSealedValue = errors.New("sealed: encrypted value where a plain one is required")
	// ErrKeyInUse reports a retirement of a key that stored values still use.
	ErrKeyInUse = errors.New("sealed: key still in use")
	// ErrPrimaryKey reports a retirement of the primary key.
	ErrPrimaryKey = errors.New("sealed: key is the primary key")
	// ErrRekeyIncomplete reports a rekey after which some stored values are
	// still not under the primary key (written meanwhile by a process with
	// an older keyset, or changed during the walk): run it again.
	ErrRekeyIncomplete = errors.New("sealed: values remain under other keys")
)

// KeysetError is the error of a keyset that cannot be used. It matches
// ErrKeyset.
type KeysetError struct {
	Reason string // what is wrong, never key material
	Err    error  // the cause, if any
}

func (e *KeysetError) Error() string {
	s := "sealed: bad keyset: " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrKeyset and the cause.
func (e *KeysetError) Unwrap() []error { return []error{ErrKeyset, e.Err} }

// KeyError is an error about one key of a keyset: unknown, primary, or
// still in use by Count stored values.
type KeyError struct {
	KeyID KeyID
	Count int   // stored values under the key, for ErrKeyInUse
	Err   error // ErrUnknownKey, ErrPrimaryKey or ErrKeyInUse
}

func (e *KeyError) Error() string {
	s := "sealed: key " + e.KeyID.String() + ": " + strings.TrimPrefix(e.Err.Error(), "sealed: ")
	if errors.Is(e.Err, ErrKeyInUse) {
		s += " by " + strconv.Itoa(e.Count) + " stored values; rekey the store first"
	}
	return s
}

// Unwrap returns the sentinel.
func (e *KeyError) Unwrap() error { return e.Err }

// ValueError is the error of one stored value that cannot be read or
// written: it names the field, the token id when known, and the key id the
// value claims when it has one. It never holds the value.
type ValueError struct {
	Field   string // the column: client_secret, refresh_token, access_token or grant_token
	TokenID string // the token's id, "" when not known (a query value)
	KeyID   KeyID  // the key the value claims, when HasKey
	HasKey  bool
	Err     error // ErrUnknownKey, ErrDecrypt, ErrFormat, ErrPlainValue or ErrSealedValue
}

func (e *ValueError) Error() string {
	var b strings.Builder
	b.WriteString("sealed: field ")
	b.WriteString(e.Field)
	if e.TokenID != "" {
		b.WriteString(" of token ")
		b.WriteString(e.TokenID)
	}
	if e.HasKey {
		b.WriteString(" (key ")
		b.WriteString(e.KeyID.String())
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "sealed: "))
	return b.String()
}

// Unwrap returns the sentinel.
func (e *ValueError) Unwrap() error { return e.Err }
