package storeurl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/redisstore"
	"github.com/zohoauth/zohoauth/sqlstore"
)

// Store is an open zohoauth.Store that must be closed when done. The
// optional capabilities of the store behind it (zohoauth.BatchSaver,
// zohoauth.Locker, …) stay discoverable with a type assertion.
type Store interface {
	zohoauth.Store
	io.Closer
}

// Open parses rawURL (see Parse) and opens the store it names. The caller
// must Close the store. An error is an *Error: a URL that cannot be used
// (ErrBadURL, ErrUnknownScheme), or a store that failed to open, wrapping its
// cause.
func Open(ctx context.Context, rawURL string) (Store, error) {
	l, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	return l.Open(ctx)
}

// Open opens the store l names. The caller must Close it.
func (l *Location) Open(ctx context.Context) (Store, error) {
	var opts []sqlstore.Option
	if l.Table != "" {
		opts = append(opts, sqlstore.WithTable(l.Table))
	}
	var (
		s   Store
		err error
	)
	switch l.Scheme {
	case SchemeMemory:
		return memoryStore{memory.New()}, nil
	case SchemeSQLite:
		s, err = sqlstore.OpenSQLite(ctx, l.Path, opts...)
	case SchemeMySQL:
		s, err = sqlstore.Open(ctx, sqlstore.MySQL, l.DSN, opts...)
	case SchemePostgres:
		s, err = sqlstore.Open(ctx, sqlstore.Postgres, l.DSN, opts...)
	case SchemeFile:
		s, err = filestore.New(l.Path)
	case SchemeRedis:
		var ropts []redisstore.Option
		if l.Prefix != "" {
			ropts = append(ropts, redisstore.WithPrefix(l.Prefix))
		}
		s, err = redisstore.Open(ctx, l.DSN, ropts...)
	default:
		return nil, &Error{URL: l.String(), Part: "scheme", Reason: "unknown scheme " + l.Scheme, Err: ErrUnknownScheme}
	}
	if err != nil {
		reason := "cannot open the " + l.Scheme + " store: " + err.Error()
		if fix := configFix(err); fix != "" {
			return nil, &Error{URL: l.String(), Reason: reason + " (" + fix + ")", Err: fmt.Errorf("%w: %w", ErrConfig, err)}
		}
		return nil, &Error{URL: l.String(), Reason: reason, Err: err}
	}
	return s, nil
}

// configFix returns what to fix when err, an error of a store's open,
// reports a configuration that cannot work, and "" for any other error
// (one that trying again may cure).
func configFix(err error) string {
	switch {
	case errors.Is(err, sqlstore.ErrIncompatibleTable):
		return "the table is not a Zoho token table: name another one with ?table=NAME"
	case errors.Is(err, sqlstore.ErrBadTableName):
		return "fix ?table=NAME"
	case errors.Is(err, sqlstore.ErrNotAFile):
		return "name a database file, not a directory"
	case errors.Is(err, sqlstore.ErrNotADatabase):
		return "the file is not a SQLite database: name another file"
	case errors.Is(err, sqlstore.ErrBadDSN):
		return "fix the connection string and its parameters"
	case errors.Is(err, sqlstore.ErrAccessDenied):
		return "check the user, the password and the database name, and the user's rights"
	case errors.Is(err, fs.ErrPermission):
		return "check the file's and its directory's permissions"
	}
	if re, ok := errors.AsType[redis.Error](err); ok {
		if msg := re.Error(); strings.HasPrefix(msg, "WRONGPASS") || strings.HasPrefix(msg, "NOAUTH") || strings.HasPrefix(msg, "NOPERM") {
			return "check the user and the password"
		}
	}
	return ""
}

// memoryStore gives the memory store a Close. Embedding the pointer keeps
// every method of *memory.Store, its optional capabilities included.
type memoryStore struct{ *memory.Store }

// Close does nothing: the tokens go when the store is no longer used.
func (memoryStore) Close() error { return nil }
