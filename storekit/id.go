package storekit

import (
	"strconv"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/internal/tokenid"
)

// ValidID reports whether id is a store id: 1 to 10 decimal digits (Zoho's
// column is varchar(10)). A save of a token whose id is not valid fails with
// zohoauth.ErrInvalidID.
func ValidID(id string) bool { return tokenid.Valid(id) }

// CompareIDs compares two numeric ids by value (leading zeros ignored) and
// returns -1, 0 or +1. Non-numeric ids compare after numeric ones, by bytes.
func CompareIDs(a, b string) int {
	na, nb := ValidID(a), ValidID(b)
	switch {
	case na && !nb:
		return -1
	case !na && nb:
		return 1
	case !na && !nb:
		return strings.Compare(a, b)
	}
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// NextID returns the decimal string of max+1, where max is the greatest
// numeric id in use. Comparing ids as numbers, not strings, avoids the
// collision of Zoho's stores at the eleventh token ("9" > "10").
func NextID(max uint64) string {
	return strconv.FormatUint(max+1, 10)
}

// FormatExpiry returns Zoho's representation of an expiry: epoch
// milliseconds as a decimal string, or "" for the zero time.
func FormatExpiry(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// ParseExpiry parses Zoho's epoch-millisecond expiry string. An empty string
// gives the zero time; anything other than an optionally signed decimal
// integer is a *zohoauth.Error wrapping strconv's error. ParseExpiry and
// FormatExpiry round-trip: FormatExpiry(ParseExpiry(s)) == s for every
// canonical s.
func ParseExpiry(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, &zohoauth.Error{Code: zohoauth.CodeTokenError, Message: "expiry_time is not epoch milliseconds", Err: err}
	}
	return time.UnixMilli(ms), nil
}
