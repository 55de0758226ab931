package storeurl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/zohoauth/zohoauth"
)

// Store is an open zohoauth.Store that must be closed when done. The
// optional capabilities of the store behind it (zohoauth.BatchSaver,
// zohoauth.Locker, …) stay discoverable with a type assertion.
type Store interface {
	zohoauth.Store
	io.Closer
}

// A Scheme is what a store package gives this package to open its URLs.
// The packages memory, filestore, redisstore, sqlstore/sqlite,
// sqlstore/mysql and sqlstore/postgres each have a function Scheme that
// returns theirs; a program passes those of the stores it offers to New, and
// links no other store.
type Scheme struct {
	// Name is the canonical scheme the store opens: SchemeSQLite,
	// SchemeFile, SchemeMySQL, SchemePostgres, SchemeRedis or
	// SchemeMemory (Parse knows the syntax of each).
	Name string
	// Open opens the store l names; l.Scheme is Name.
	Open func(ctx context.Context, l *Location) (Store, error)
	// Check, when set, checks what Parse cannot without the store's code
	// (the options go-redis takes); its error is an *Error (Location.Bad).
	Check func(l *Location) error
	// Fix, when set, returns what to fix when err, an error of Open,
	// reports a configuration that cannot work, and "" for any other error
	// (one that trying again may cure).
	Fix func(err error) string
}

// Opener opens the store URLs of the schemes it was made with. It holds no
// mutable state and is safe for concurrent use.
type Opener struct {
	schemes []Scheme
}

// New returns an Opener for the given schemes:
//
//	opener := storeurl.New(filestore.Scheme(), sqlite.Scheme())
//	s, err := opener.Open(ctx, "file:sdk_tokens.txt")
//
// A URL of another scheme is an error that names the package to import and
// the scheme to pass. When two schemes have one Name, the first wins.
func New(schemes ...Scheme) *Opener {
	return &Opener{schemes: append([]Scheme(nil), schemes...)}
}

// Parse parses rawURL (the package's Parse) and checks that o opens its
// scheme and that the store would take it (Scheme.Check), without opening
// anything. The error is an *Error: a URL that cannot be used (ErrBadURL,
// ErrUnknownScheme), or a scheme o was not given (ErrNotLinked).
func (o *Opener) Parse(rawURL string) (*Location, error) {
	l, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if _, err := o.checked(l); err != nil {
		return nil, err
	}
	return l, nil
}

// Open parses rawURL (Opener.Parse) and opens the store it names. The
// caller must Close the store. An error is an *Error: a URL that cannot be
// used (ErrBadURL, ErrUnknownScheme), a scheme o was not given
// (ErrNotLinked), or a store that failed to open, wrapping its cause
// (ErrConfig when the configuration cannot work).
func (o *Opener) Open(ctx context.Context, rawURL string) (Store, error) {
	l, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	return o.OpenLocation(ctx, l)
}

// OpenLocation opens the store l names (l from Parse or Opener.Parse), as
// Open does. The caller must Close it.
func (o *Opener) OpenLocation(ctx context.Context, l *Location) (Store, error) {
	sc, err := o.checked(l)
	if err != nil {
		return nil, err
	}
	s, err := sc.Open(ctx, l)
	if err != nil {
		reason := "cannot open the " + l.Scheme + " store: " + err.Error()
		fix := ""
		if sc.Fix != nil {
			fix = sc.Fix(err)
		}
		if fix == "" && errors.Is(err, fs.ErrPermission) {
			fix = "check the file's and its directory's permissions"
		}
		if fix != "" {
			return nil, &Error{URL: l.String(), Reason: reason + " (" + fix + ")", Err: fmt.Errorf("%w: %w", ErrConfig, err)}
		}
		return nil, &Error{URL: l.String(), Reason: reason, Err: err}
	}
	return s, nil
}

// checked returns o's scheme of l once l passed the scheme's Check.
func (o *Opener) checked(l *Location) (Scheme, error) {
	sc, err := o.scheme(l)
	if err != nil {
		return Scheme{}, err
	}
	if sc.Check != nil {
		if err := sc.Check(l); err != nil {
			return Scheme{}, err
		}
	}
	return sc, nil
}

// scheme returns o's scheme of l, or the error that says which package to
// import.
func (o *Opener) scheme(l *Location) (Scheme, error) {
	for _, sc := range o.schemes {
		if sc.Name == l.Scheme && sc.Open != nil {
			return sc, nil
		}
	}
	pkg, value := schemePackage(l.Scheme)
	if pkg == "" {
		return Scheme{}, &Error{URL: l.String(), Part: "scheme", Reason: "unknown scheme " + l.Scheme, Err: ErrUnknownScheme}
	}
	nl := &NotLinkedError{Scheme: l.Scheme, Import: pkg, Value: value}
	return Scheme{}, &Error{URL: l.String(), Part: "scheme", Reason: nl.Error(), Err: nl}
}

// schemePackage returns the package whose store opens the canonical scheme,
// and the value to pass to New, or "" for a scheme no package of this
// module opens.
func schemePackage(scheme string) (importPath, value string) {
	const module = "github.com/zohoauth/zohoauth/"
	switch scheme {
	case SchemeSQLite:
		return module + "sqlstore/sqlite", "sqlite.Scheme()"
	case SchemeMySQL:
		return module + "sqlstore/mysql", "mysql.Scheme()"
	case SchemePostgres:
		return module + "sqlstore/postgres", "postgres.Scheme()"
	case SchemeFile:
		return module + "filestore", "filestore.Scheme()"
	case SchemeRedis:
		return module + "redisstore", "redisstore.Scheme()"
	case SchemeMemory:
		return module + "memory", "memory.Scheme()"
	}
	return "", ""
}

// NotLinkedError reports a store URL whose scheme the Opener was not given:
// the program does not link that store. It names the package to import and
// the value to pass to New, and matches ErrNotLinked and ErrUnknownScheme.
type NotLinkedError struct {
	Scheme string // the canonical scheme, e.g. "mysql"
	Import string // the package to import, e.g. "github.com/zohoauth/zohoauth/sqlstore/mysql"
	Value  string // what to pass to storeurl.New, e.g. "mysql.Scheme()"
}

// Error returns what to add to the program.
func (e *NotLinkedError) Error() string {
	return fmt.Sprintf("the %s store is not linked into this program: import %q and pass %s to storeurl.New", e.Scheme, e.Import, e.Value)
}

// Is reports whether target is ErrNotLinked or ErrUnknownScheme.
func (e *NotLinkedError) Is(target error) bool {
	return target == ErrNotLinked || target == ErrUnknownScheme
}

// Bad returns the error that names part of l's URL as wrong for reason, as
// Parse reports one: an *Error wrapping ErrBadURL, with the URL's password
// redacted. A Scheme's Check reports with it.
func (l *Location) Bad(part, reason string) *Error { return bad(l.raw, part, reason) }

// BadParam is Bad for the query parameter name.
func (l *Location) BadParam(name, reason string) *Error { return bad(l.raw, param(name), reason) }
