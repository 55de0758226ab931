// Package mysql opens sqlstore Stores on MySQL and MariaDB, through
// github.com/go-sql-driver/mysql (driver name "mysql"):
//
//	s, err := mysql.Open(ctx, "root@tcp(127.0.0.1:3306)/zohooauth")
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-sql-driver/mysql" // registers the "mysql" driver

	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storeurl"
)

// Open opens a pool on dsn (a go-sql-driver/mysql DSN such as
// "root@tcp(127.0.0.1:3306)/zohooauth") and returns a Store on it; Close
// closes the pool. It switches the sessions to strict mode
// (STRICT_ALL_TABLES added to the server's sql_mode) unless the DSN sets
// sql_mode, so that the server refuses a value too long for its column
// rather than cut it.
func Open(ctx context.Context, dsn string, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, storekit.StoreError("cannot open", fmt.Errorf("%w: mysql DSN: %w", sqlstore.ErrBadDSN, err))
	}
	if _, ok := cfg.Params["sql_mode"]; !ok {
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["sql_mode"] = "CONCAT_WS(',',NULLIF(@@sql_mode,''),'STRICT_ALL_TABLES')"
	}
	return sqlstore.Open(ctx, Driver(), cfg.FormatDSN(), opts...)
}

// New returns a Store on a MySQL pool the caller opened (driver name
// "mysql") and keeps (sqlstore.New).
func New(ctx context.Context, db *sql.DB, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	return sqlstore.New(ctx, db, Driver(), opts...)
}

// Driver returns the sqlstore.Driver of MySQL and MariaDB through
// go-sql-driver/mysql.
func Driver() sqlstore.Driver { return driver{} }

type driver struct{}

func (driver) Dialect() sqlstore.Dialect { return sqlstore.MySQL }

func (driver) Begin(ctx context.Context, db *sql.DB) (*sql.Tx, error) { return db.BeginTx(ctx, nil) }

// configError returns the sentinel a MySQL error of a database's
// configuration is reported with, or nil for another error.
func configError(number uint16) error {
	switch number {
	case 1044, // access denied to the database
		1045, // access denied for the user
		1049, // unknown database
		1698: // access denied (auth_socket)
		return sqlstore.ErrAccessDenied
	case 1193, // unknown system variable (a DSN parameter)
		1231, // a system variable cannot be set to the value
		1232: // wrong type of argument to a variable
		return sqlstore.ErrBadDSN
	}
	return nil
}

// namesOnly reports the MySQL errors whose quotes hold names (of a user, a
// database, a table, a variable and the DSN's value for it), never a
// token's value: they are kept as they are.
func namesOnly(number uint16) bool {
	switch number {
	case 1044, 1045, 1049, 1698, 1142, 1146, 1193, 1231, 1232:
		return true
	}
	return false
}

// ClassifyError finds a *gomysql.MySQLError and reduces it.
func (driver) ClassifyError(err error) (found, reduced, kind error) {
	me, ok := errors.AsType[*gomysql.MySQLError](err)
	if !ok {
		return nil, nil, nil
	}
	return me, reduce(me), configError(me.Number)
}

// Retryable reports MySQL's deadlock (1213) and lock wait time-out (1205).
func (driver) Retryable(err error) bool {
	me, ok := errors.AsType[*gomysql.MySQLError](err)
	return ok && (me.Number == 1213 || me.Number == 1205)
}

// reduce returns e, or when its message may quote a value, a copy of e
// whose message is the reason and the column (or key): "Incorrect string
// value for column client_secret".
func reduce(e *gomysql.MySQLError) *gomysql.MySQLError {
	if namesOnly(e.Number) || !strings.ContainsAny(e.Message, "'\"\\") {
		return e
	}
	reason := e.Message
	if i := strings.IndexAny(reason, ":'\""); i >= 0 {
		reason = strings.TrimSpace(reason[:i])
	}
	for _, what := range []string{"column", "key"} {
		if name := nameAfter(e.Message, " for "+what+" "); name != "" {
			reason += " for " + what + " " + name
			break
		}
	}
	return &gomysql.MySQLError{Number: e.Number, SQLState: e.SQLState, Message: reason}
}

// nameAfter returns the identifier that follows marker in msg, without its
// quotes and schema or table qualifiers ("`db`.`t`.`c`" gives c), or "".
func nameAfter(msg, marker string) string {
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return ""
	}
	word, _, _ := strings.Cut(msg[i+len(marker):], " ")
	word = strings.Trim(word, "`'\"")
	if j := strings.LastIndexByte(word, '.'); j >= 0 {
		word = strings.Trim(word[j+1:], "`'\"")
	}
	for _, c := range word {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return word
}

// Scheme returns the storeurl scheme of MySQL stores (mysql://…, mariadb://…,
// mysql:DSN), for storeurl.New.
func Scheme() storeurl.Scheme {
	return storeurl.Scheme{
		Name: storeurl.SchemeMySQL,
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
