package sqlstore

import (
	"errors"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"github.com/zohoauth/zohoauth"
)

// Errors of the database's configuration: they do not go away by trying
// again, and tell what to fix. They arrive wrapped in a *zohoauth.Error with
// Code zohoauth.CodeTokenStore, together with the driver's error.
var (
	// ErrAccessDenied reports a database that refused the user (a wrong
	// password, no right to the database) or that does not exist.
	ErrAccessDenied = errors.New("the database refused access")
	// ErrBadDSN reports a connection string that cannot be used: one that
	// does not parse, or a parameter the server refuses.
	ErrBadDSN = errors.New("bad connection string")
	// ErrNotADatabase reports a SQLite path that names a file that is not
	// a SQLite database.
	ErrNotADatabase = errors.New("file is not a SQLite database")
)

// configCodes are the driver errors of a database's configuration, and
// the sentinel each one is reported with.
var (
	mysqlConfig = map[uint16]error{
		1044: ErrAccessDenied, // access denied to the database
		1045: ErrAccessDenied, // access denied for the user
		1049: ErrAccessDenied, // unknown database
		1698: ErrAccessDenied, // access denied (auth_socket)
		1193: ErrBadDSN,       // unknown system variable (a DSN parameter)
		1231: ErrBadDSN,       // a system variable cannot be set to the value
		1232: ErrBadDSN,       // wrong type of argument to a variable
	}
	postgresConfig = map[string]error{
		"28000": ErrAccessDenied, // invalid authorization specification
		"28P01": ErrAccessDenied, // invalid password
		"3D000": ErrAccessDenied, // invalid catalog name: no such database
		"42704": ErrBadDSN,       // unrecognized configuration parameter
		"22023": ErrBadDSN,       // invalid parameter value
	}
)

// mysqlNamesOnly are MySQL errors whose quotes hold names (of a user, a
// database, a table, a variable and the DSN's value for it), never a
// token's value: they are kept as they are.
var mysqlNamesOnly = map[uint16]bool{
	1044: true, 1045: true, 1049: true, 1698: true, 1142: true, 1146: true, 1193: true, 1231: true, 1232: true,
}

// driverError returns err with the database driver's error in it reduced,
// when that error can quote a value (MySQL's "Incorrect string value:
// '\xFF…' for column …", PostgreSQL's details "Key (col)=(value)"), to the
// reason and the column; and tagged with ErrAccessDenied, ErrBadDSN or
// ErrNotADatabase when it reports a configuration that cannot work. The
// text of err around the driver's error is kept.
func driverError(err error) error {
	if err == nil {
		return nil
	}
	if ze, ok := err.(*zohoauth.Error); ok {
		if ze.Err == nil {
			return err
		}
		c := *ze
		c.Err = driverError(ze.Err)
		return &c
	}
	var (
		inner   error
		reduced error
		kind    error
	)
	if me, ok := errors.AsType[*mysql.MySQLError](err); ok {
		inner, reduced, kind = me, reduceMySQL(me), mysqlConfig[me.Number]
	} else if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		inner, reduced, kind = pe, reducePostgres(pe), postgresConfig[pe.Code]
	} else if se, ok := errors.AsType[sqlite3.Error](err); ok {
		inner, reduced = se, se // SQLite's messages quote no value
		if se.Code == sqlite3.ErrNotADB {
			kind = ErrNotADatabase
		}
	}
	if inner == nil || (reduced == inner && kind == nil) {
		return err
	}
	msg := reduced.Error()
	if err != inner && strings.Contains(err.Error(), inner.Error()) {
		// Keep the context around the driver's error ("commit: …").
		msg = strings.ReplaceAll(err.Error(), inner.Error(), reduced.Error())
	}
	return &dbError{msg: msg, err: reduced, kind: kind}
}

// dbError is a driver's error, reduced and classified by driverError.
type dbError struct {
	msg  string
	err  error // the driver's error, reduced
	kind error // ErrAccessDenied, ErrBadDSN, ErrNotADatabase or nil
}

func (e *dbError) Error() string { return e.msg }

func (e *dbError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}

// reduceMySQL returns e, or when its message may quote a value, a copy of e
// whose message is the reason and the column (or key): "Incorrect string
// value for column client_secret".
func reduceMySQL(e *mysql.MySQLError) *mysql.MySQLError {
	if mysqlNamesOnly[e.Number] || !strings.ContainsAny(e.Message, "'\"\\") {
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
	return &mysql.MySQLError{Number: e.Number, SQLState: e.SQLState, Message: reason}
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

// reducePostgres returns a copy of e without the fields that can quote a
// value (Detail such as "Key (col)=(value) already exists.", Where,
// InternalQuery) and, for a data exception or an integrity constraint
// violation (classes 22 and 23), with the message cut before the value
// ("invalid byte sequence for encoding "UTF8": 0xff" gives the part before
// the colon).
func reducePostgres(e *pgconn.PgError) *pgconn.PgError {
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
