// Package postgres opens sqlstore Stores on PostgreSQL, through
// github.com/jackc/pgx/v5/stdlib (driver name "pgx"):
//
//	s, err := postgres.Open(ctx, "postgres://u@host/zohooauth", sqlstore.WithTable("tokens"))
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storeurl"
)

// Open opens a pool on dsn (such as
// "postgres://user@127.0.0.1:5432/zohooauth?sslmode=disable") and returns a
// Store on it; Close closes the pool. A DSN that does not parse is
// sqlstore.ErrBadDSN at once, not a failure to connect.
func Open(ctx context.Context, dsn string, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	// pgx parses the DSN at the first connection; parse it now, so that a
	// bad one is ErrBadDSN rather than a failure to connect.
	if _, err := pgx.ParseConfig(dsn); err != nil {
		return nil, storekit.StoreError("cannot open", fmt.Errorf("%w: %s", sqlstore.ErrBadDSN, withoutDSN(err)))
	}
	return sqlstore.Open(ctx, Driver(), dsn, opts...)
}

// New returns a Store on a PostgreSQL pool the caller opened (driver name
// "pgx") and keeps (sqlstore.New).
func New(ctx context.Context, db *sql.DB, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	return sqlstore.New(ctx, db, Driver(), opts...)
}

// Driver returns the sqlstore.Driver of PostgreSQL through pgx.
func Driver() sqlstore.Driver { return driver{} }

type driver struct{}

func (driver) Dialect() sqlstore.Dialect { return sqlstore.Postgres }

func (driver) Begin(ctx context.Context, db *sql.DB) (*sql.Tx, error) { return db.BeginTx(ctx, nil) }

// configError returns the sentinel a PostgreSQL error (by SQLSTATE) of a
// database's configuration is reported with, or nil for another error.
func configError(code string) error {
	switch code {
	case "28000", // invalid authorization specification
		"28P01", // invalid password
		"3D000": // invalid catalog name: no such database
		return sqlstore.ErrAccessDenied
	case "42704", // unrecognized configuration parameter
		"22023": // invalid parameter value
		return sqlstore.ErrBadDSN
	}
	return nil
}

// ClassifyError finds a *pgconn.PgError and reduces it.
func (driver) ClassifyError(err error) (found, reduced, kind error) {
	pe, ok := errors.AsType[*pgconn.PgError](err)
	if !ok {
		return nil, nil, nil
	}
	return pe, reduce(pe), configError(pe.Code)
}

func (driver) Retryable(error) bool { return false }

var _ sqlstore.Notifier = driver{}

// Listen implements sqlstore.Notifier: LISTEN on conn, then pgx's
// WaitForNotification until ctx is done.
func (driver) Listen(ctx context.Context, conn *sql.Conn, channel string, ready func(), heard func(payload string)) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen: a %T, not a pgx connection", dc)
		}
		pc := c.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		ready()
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("listen: %w", err)
			}
			heard(n.Payload)
		}
	})
}

// reduce returns a copy of e without the fields that can quote a value
// (Detail such as "Key (col)=(value) already exists.", Where,
// InternalQuery) and, for a data exception or an integrity constraint
// violation (classes 22 and 23), with the message cut before the value
// ("invalid byte sequence for encoding "UTF8": 0xff" gives the part before
// the colon).
func reduce(e *pgconn.PgError) *pgconn.PgError {
	c := *e
	c.Detail, c.Where, c.InternalQuery, c.Hint = "", "", "", ""
	if strings.HasPrefix(c.Code, "22") || strings.HasPrefix(c.Code, "23") {
		if i := strings.Index(c.Message, ": "); i >= 0 {
			c.Message = c.Message[:i]
		}
		if c.ColumnName != "" {
			c.Message += " (column " + c.ColumnName + ")"
		}
	}
	return &c
}

// withoutDSN returns the text of pgx's error on a DSN it cannot parse,
// "cannot parse `DSN`: reason", without the DSN, whose password pgx hides
// only as well as it can parse it.
func withoutDSN(err error) string {
	msg := err.Error()
	i, j := strings.Index(msg, "`"), strings.LastIndex(msg, "`: ")
	if i < 0 || j <= i {
		return "the DSN does not parse"
	}
	return msg[:i] + "the DSN" + msg[j+1:]
}

// Scheme returns the storeurl scheme of PostgreSQL stores (postgres://…,
// postgresql://…), for storeurl.New.
func Scheme() storeurl.Scheme {
	return storeurl.Scheme{
		Name: storeurl.SchemePostgres,
		Open: func(ctx context.Context, l *storeurl.Location) (storeurl.Store, error) {
			var opts []sqlstore.Option
			if l.Table != "" {
				opts = append(opts, sqlstore.WithTable(l.Table))
			}
			s, err := Open(ctx, l.DSN, opts...)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		Fix: sqlstore.ConfigFix,
	}
}
