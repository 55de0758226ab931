package sqlstore

import (
	"errors"
	"strings"

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
	// ErrNotAFile reports a SQLite path that names a directory or another
	// file that is not a regular file.
	ErrNotAFile = errors.New("SQLite path is not a regular file")
)

// ConfigFix returns what to fix when err, an error of opening a Store,
// reports a configuration that cannot work, and "" for any other error
// (one that trying again may cure). The driver packages' schemes give it to
// storeurl.
func ConfigFix(err error) string {
	switch {
	case errors.Is(err, ErrIncompatibleTable):
		return "the table is not a Zoho token table: name another one with ?table=NAME"
	case errors.Is(err, ErrBadTableName):
		return "fix ?table=NAME"
	case errors.Is(err, ErrNotAFile):
		return "name a database file, not a directory"
	case errors.Is(err, ErrNotADatabase):
		return "the file is not a SQLite database: name another file"
	case errors.Is(err, ErrBadDSN):
		return "fix the connection string and its parameters"
	case errors.Is(err, ErrAccessDenied):
		return "check the user, the password and the database name, and the user's rights"
	}
	return ""
}

// driverError returns err with the database driver's error in it reduced,
// when that error can quote a value (MySQL's "Incorrect string value:
// '\xFF…' for column …", PostgreSQL's details "Key (col)=(value)"), to the
// reason and the column; and tagged with ErrAccessDenied, ErrBadDSN or
// ErrNotADatabase when it reports a configuration that cannot work
// (drv.ClassifyError). The text of err around the driver's error is kept.
func driverError(drv Driver, err error) error {
	if err == nil {
		return nil
	}
	if ze, ok := err.(*zohoauth.Error); ok {
		if ze.Err == nil {
			return err
		}
		c := *ze
		c.Err = driverError(drv, ze.Err)
		return &c
	}
	inner, reduced, kind := drv.ClassifyError(err)
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
