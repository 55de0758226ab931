package storekit

import (
	"errors"
	"strconv"
	"strings"
)

// ErrAmbiguous reports a find by a bare e-mail that several stored users
// (user names email:zgid with different zgids) share. The error a store
// returns for it wraps an *AmbiguousError.
var ErrAmbiguous = errors.New("e-mail names more than one stored user")

// AmbiguousError is the cause of a find by a bare e-mail that names several
// stored users. It matches ErrAmbiguous.
type AmbiguousError struct {
	Email     string   // the e-mail looked up
	UserNames []string // two of the stored user names (email:zgid) it names
}

// Error names the e-mail and two of its user names; neither is a secret.
func (e *AmbiguousError) Error() string {
	quoted := make([]string, len(e.UserNames))
	for i, n := range e.UserNames {
		quoted[i] = strconv.Quote(n)
	}
	return "e-mail " + strconv.Quote(e.Email) + " names more than one stored user (" + strings.Join(quoted, ", ") + "); give the user name email:zgid"
}

// Is reports whether target is ErrAmbiguous.
func (e *AmbiguousError) Is(target error) bool { return target == ErrAmbiguous }

// IsEmail reports whether a user name given to a find is a bare e-mail: set
// and without ':', where Zoho's SDKs store user names as email:zgid.
func IsEmail(name string) bool { return name != "" && !strings.Contains(name, ":") }

// OfEmail reports whether the stored user name is email:zgid for the given
// e-mail and some zgid: it starts with the e-mail and then ':'. A longer
// e-mail that shares the prefix (ana@example.com.evil) is not of it.
func OfEmail(userName, email string) bool {
	return len(userName) > len(email) && userName[len(email)] == ':' && userName[:len(email)] == email
}

// EmailRange returns the half-open range [lo, hi) of the user names that
// OfEmail accepts in byte order: email+":" to email+";" (';' follows ':').
// A store with an ordered index on user names, such as SQL's
// user_name >= lo AND user_name < hi, finds them by a range scan.
func EmailRange(email string) (lo, hi string) { return email + ":", email + ";" }

// Email returns the e-mail of a user name email:zgid (the part before the
// first ':'), and whether the name has that form.
func Email(userName string) (string, bool) {
	email, _, ok := strings.Cut(userName, ":")
	return email, ok
}
