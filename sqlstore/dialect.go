package sqlstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zohoauth/zohoauth"
)

// Dialect names the SQL engine behind a *sql.DB and the database/sql driver
// that Open uses for it. The zero Dialect is invalid.
type Dialect int

// The supported engines.
const (
	// MySQL is MySQL or MariaDB through github.com/go-sql-driver/mysql
	// (driver name "mysql"), DSN like "root@tcp(127.0.0.1:3306)/zohooauth".
	MySQL Dialect = iota + 1
	// Postgres is PostgreSQL through github.com/jackc/pgx/v5/stdlib
	// (driver name "pgx"), DSN like
	// "postgres://user@127.0.0.1:5432/zohooauth?sslmode=disable".
	Postgres
	// SQLite is SQLite through github.com/mattn/go-sqlite3 (driver name
	// "sqlite3", cgo). Prefer sqlite.Open (package sqlstore/sqlite), which
	// builds the DSN.
	SQLite
)

// String returns the dialect's canonical name: "mysql", "postgres" or
// "sqlite".
func (d Dialect) String() string {
	switch d {
	case MySQL:
		return "mysql"
	case Postgres:
		return "postgres"
	case SQLite:
		return "sqlite"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// DriverName returns the database/sql driver name that Open uses for d
// ("mysql", "pgx" or "sqlite3"); "" for an invalid dialect.
func (d Dialect) DriverName() string {
	switch d {
	case MySQL:
		return "mysql"
	case Postgres:
		return "pgx"
	case SQLite:
		return "sqlite3"
	}
	return ""
}

func (d Dialect) valid() bool { return d >= MySQL && d <= SQLite }

// ParseDialect returns the dialect of a name as found in a URL scheme or a
// configuration file: "mysql" or "mariadb"; "postgres", "postgresql" or
// "pgx"; "sqlite", "sqlite3" (case-insensitive). Any other name is an
// *zohoauth.Error wrapping ErrUnknownDialect.
func ParseDialect(name string) (Dialect, error) {
	switch strings.ToLower(name) {
	case "mysql", "mariadb":
		return MySQL, nil
	case "postgres", "postgresql", "pgx":
		return Postgres, nil
	case "sqlite", "sqlite3":
		return SQLite, nil
	}
	return 0, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: "unknown SQL dialect", Detail: fmt.Sprintf("%.40q", name), Err: ErrUnknownDialect}
}

// quote returns the identifier quoted for d. The identifier must have passed
// ValidTableName (so it holds no quote character).
func (d Dialect) quote(ident string) string {
	if d == MySQL {
		return "`" + ident + "`"
	}
	return `"` + ident + `"`
}

// rebind turns the ? placeholders of query into $1, $2, … for PostgreSQL.
// The queries of this package hold no ? other than placeholders.
func (d Dialect) rebind(query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
