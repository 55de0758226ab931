package storeurl

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// The canonical schemes of store URLs.
const (
	SchemeSQLite   = "sqlite"
	SchemeFile     = "file"
	SchemeMySQL    = "mysql"
	SchemePostgres = "postgres"
	SchemeRedis    = "redis"
	SchemeMemory   = "memory"
)

// MemoryPath is the Path of an in-memory SQLite database (sqlite::memory:).
const MemoryPath = ":memory:"

// aliases maps every accepted scheme spelling to its canonical scheme.
var aliases = map[string]string{
	"sqlite":     SchemeSQLite,
	"sqlite3":    SchemeSQLite,
	"file":       SchemeFile,
	"mysql":      SchemeMySQL,
	"mariadb":    SchemeMySQL,
	"postgres":   SchemePostgres,
	"postgresql": SchemePostgres,
	"redis":      SchemeRedis,
	"rediss":     SchemeRedis,
	// A Redis Cluster: HOST is a comma-separated list of nodes.
	"redis+cluster":  SchemeRedis,
	"rediss+cluster": SchemeRedis,
	"memory":         SchemeMemory,
}

// Location is a parsed store URL: which store, and where.
type Location struct {
	// Scheme is the canonical scheme: sqlite, file, mysql, postgres, redis
	// or memory.
	Scheme string
	// Path is the file of a sqlite or file store (MemoryPath for an
	// in-memory SQLite database), as written: relative paths are relative
	// to the working directory.
	Path string
	// DSN is the connection string handed to the database driver of a
	// mysql, postgres or redis store. It may hold a password: never print
	// it; print the Location instead.
	DSN string
	// Table is the table of a SQL store from the URL's table parameter, or
	// "" for the store's default (Zoho's oauthtoken).
	Table string
	// Prefix is the key prefix of a Redis store from the URL's prefix
	// parameter, or "" for the store's default ("zohoauth:").
	Prefix string

	raw string
}

// String returns the URL the Location was parsed from, with any password
// replaced by "xxxxx".
func (l *Location) String() string { return Redact(l.raw) }

// Parse parses a store URL:
//
//	sqlite:PATH            SQLite database file (sqlite:zohooauth.db, sqlite:/var/lib/z.db,
//	                       sqlite:///var/lib/z.db)
//	sqlite::memory:        SQLite in memory, gone when the store is closed
//	file:PATH              Zoho's CSV token file (file:sdk_tokens.txt, file:///abs/sdk_tokens.txt)
//	mysql://USER[:PASS]@HOST[:PORT]/DB[?PARAMS]
//	                       MySQL or MariaDB (PARAMS are go-sql-driver/mysql parameters)
//	mysql:DSN              MySQL with a go-sql-driver/mysql DSN (root@tcp(127.0.0.1:3306)/test)
//	postgres://USER[:PASS]@HOST[:PORT]/DB[?PARAMS]
//	                       PostgreSQL (PARAMS are libpq/pgx parameters such as sslmode)
//	redis://[USER:PASS@]HOST[:PORT][/DB][?prefix=P]
//	                       Redis (rediss:// for TLS); keys start with P ("zohoauth:")
//	redis+cluster://[USER:PASS@]HOST:PORT[,HOST:PORT…][/][?prefix=P]
//	                       Redis Cluster (rediss+cluster:// for TLS); P gets a hash tag
//	memory:                a map in this process, gone when it exits
//
// SQL URLs also take table=NAME (letters, digits and underscores) to use a
// table other than Zoho's oauthtoken. The schemes sqlite3, mariadb,
// postgresql and rediss are accepted as aliases.
//
// The query is strict, so that a typo never falls back to the default table
// or prefix: a query that does not parse (a ';' separator, a bad
// percent-escape), a parameter given twice, and a parameter the store does
// not take are errors naming the parameter. A sqlite URL takes only table;
// a mysql URL table, go-sql-driver/mysql's parameters and MySQL server
// variables in lower case (which the server checks when the store opens); a
// postgres URL table and lower-case libpq, pgx and run-time parameters
// (which the server checks); a redis URL prefix and go-redis's options.
//
// A URL that cannot be used is an *Error naming the part that is wrong; it
// wraps ErrBadURL or, for a scheme that is not known, ErrUnknownScheme.
func Parse(raw string) (*Location, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, bad(raw, "url", "empty store URL")
	}
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok || scheme == "" {
		return nil, &Error{URL: Redact(raw), Part: "scheme", Reason: "missing scheme, e.g. sqlite:" + raw, Err: ErrUnknownScheme}
	}
	canon, ok := aliases[strings.ToLower(scheme)]
	if !ok {
		return nil, &Error{URL: Redact(raw), Part: "scheme", Reason: "unknown scheme " + strconv.Quote(scheme) + " (want sqlite, file, mysql, postgres, redis or memory)", Err: ErrUnknownScheme}
	}
	l := &Location{Scheme: canon, raw: raw}
	var err error
	switch canon {
	case SchemeSQLite, SchemeFile:
		err = l.parseFile(rest)
	case SchemeMemory:
		if rest != "" && rest != "//" {
			err = bad(raw, "path", "memory: takes no path")
		}
	case SchemeMySQL:
		err = l.parseMySQL(rest)
	case SchemePostgres:
		err = l.parsePostgres(rest)
	case SchemeRedis:
		err = l.parseRedis(scheme, rest)
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

// parseFile parses the part after "sqlite:" or "file:": an opaque path,
// optionally followed by ?table=NAME for SQLite, or a //[localhost]/abs URL.
func (l *Location) parseFile(rest string) error {
	var query string
	if l.Scheme == SchemeSQLite && rest != MemoryPath {
		if p, q, ok := strings.Cut(rest, "?"); ok {
			rest, query = p, q
		}
	}
	path := rest
	if strings.HasPrefix(rest, "//") {
		u, err := url.Parse("x:" + rest)
		if err != nil {
			return urlParseError(l.raw, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return bad(l.raw, "host", "a "+l.Scheme+" store is a local file; the host must be empty or localhost, as in "+l.Scheme+":///abs/path")
		}
		path = u.Path
	}
	if path == "" {
		return bad(l.raw, "path", "missing file path, e.g. "+l.Scheme+":"+defaultFile(l.Scheme))
	}
	if strings.ContainsRune(path, 0) {
		return bad(l.raw, "path", "file path contains a NUL byte")
	}
	l.Path = path
	if query == "" {
		return nil
	}
	q, err := l.parseQuery(query)
	if err != nil {
		return err
	}
	if err := l.checkParams(q); err != nil {
		return err
	}
	return l.takeTable(q)
}

func defaultFile(scheme string) string {
	if scheme == SchemeFile {
		return "sdk_tokens.txt"
	}
	return "zohooauth.db"
}

// parseNetURL parses scheme://… and checks its host and port.
func (l *Location) parseNetURL(rest string, needHost bool) (*url.URL, error) {
	u, err := url.Parse("x:" + rest)
	if err != nil {
		return nil, urlParseError(l.raw, err)
	}
	host := u.Host
	if host == "" {
		if needHost {
			return nil, bad(l.raw, "host", "missing host, e.g. "+l.Scheme+"://user@127.0.0.1/db")
		}
		return u, nil
	}
	if port := u.Port(); port != "" || strings.HasSuffix(host, ":") {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return nil, bad(l.raw, "port", "port must be a number from 1 to 65535")
		}
	}
	if u.Hostname() == "" {
		return nil, bad(l.raw, "host", "missing host name")
	}
	return u, nil
}

func (l *Location) parseMySQL(rest string) error {
	if !strings.HasPrefix(rest, "//") {
		// A go-sql-driver DSN, passed on as it is; the driver checks it
		// when the store opens.
		if rest == "" {
			return bad(l.raw, "dsn", "missing DSN, e.g. mysql://root@127.0.0.1:3306/test")
		}
		dsn, q, hasQuery := strings.Cut(rest, "?")
		if !strings.Contains(dsn, "/") {
			return bad(l.raw, "database", "a MySQL DSN needs /DBNAME, e.g. mysql:root@tcp(127.0.0.1:3306)/test")
		}
		if hasQuery {
			vals, err := l.parseQuery(q)
			if err != nil {
				return err
			}
			if err := l.checkParams(vals); err != nil {
				return err
			}
			if err := l.takeTable(vals); err != nil {
				return err
			}
			if enc := vals.Encode(); enc != "" {
				dsn += "?" + enc
			}
		}
		l.DSN = dsn
		return nil
	}
	u, err := l.parseNetURL(rest, true)
	if err != nil {
		return err
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		return bad(l.raw, "database", "the path must be one database name, e.g. mysql://root@127.0.0.1/test")
	}
	q, err := l.sqlQuery(u)
	if err != nil {
		return err
	}
	var b strings.Builder
	if u.User != nil {
		b.WriteString(u.User.Username())
		if p, ok := u.User.Password(); ok {
			b.WriteString(":")
			b.WriteString(p)
		}
		b.WriteString("@")
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "3306")
	}
	b.WriteString("tcp(" + host + ")/" + db)
	if enc := q.Encode(); enc != "" {
		b.WriteString("?" + enc)
	}
	l.DSN = b.String()
	return nil
}

func (l *Location) parsePostgres(rest string) error {
	if !strings.HasPrefix(rest, "//") {
		return bad(l.raw, "url", "want postgres://USER@HOST[:PORT]/DB")
	}
	u, err := l.parseNetURL(rest, false)
	if err != nil {
		return err
	}
	if db := strings.TrimPrefix(u.Path, "/"); strings.Contains(db, "/") {
		return bad(l.raw, "database", "the path must be one database name")
	}
	q, err := l.sqlQuery(u)
	if err != nil {
		return err
	}
	u.Scheme = "postgres"
	u.RawQuery = q.Encode()
	l.DSN = u.String()
	return nil
}

func (l *Location) parseRedis(scheme, rest string) error {
	if !strings.HasPrefix(rest, "//") {
		return bad(l.raw, "url", "want redis://HOST[:PORT][/DB]")
	}
	u, err := l.parseNetURL(rest, true)
	if err != nil {
		return err
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			return bad(l.raw, "database", "the path must be a database number, e.g. redis://127.0.0.1:6379/0")
		}
	}
	q, err := l.parseQuery(u.RawQuery)
	if err != nil {
		return err
	}
	if err := l.checkParams(q); err != nil {
		return err
	}
	if p, ok := q["prefix"]; ok {
		if p[0] == "" {
			return bad(l.raw, param("prefix"), "give one non-empty key prefix")
		}
		l.Prefix = p[0]
		q.Del("prefix")
	}
	u.Scheme = strings.ToLower(scheme)
	u.RawQuery = q.Encode()
	l.DSN = u.String() // go-redis's options are checked by the scheme (redisstore)
	return nil
}

// sqlQuery parses and checks the query of a mysql:// or postgres:// URL and
// takes its table parameter.
func (l *Location) sqlQuery(u *url.URL) (url.Values, error) {
	q, err := l.parseQuery(u.RawQuery)
	if err != nil {
		return nil, err
	}
	if err := l.checkParams(q); err != nil {
		return nil, err
	}
	if err := l.takeTable(q); err != nil {
		return nil, err
	}
	return q, nil
}

// urlParseError says which part net/url rejected without repeating its text,
// which may quote a password.
func urlParseError(raw string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "escape"):
		return bad(raw, "url", "invalid percent-escape (write a literal % as %25)")
	case strings.Contains(msg, "port"):
		return bad(raw, "port", "port must be a number from 1 to 65535")
	case strings.Contains(msg, "userinfo"):
		return bad(raw, "user info", "invalid character in user name or password (percent-escape it)")
	case strings.Contains(msg, "host"):
		return bad(raw, "host", "invalid host name")
	}
	return bad(raw, "url", "not a valid URL")
}

// Redact returns raw with the password of its user info, and the value of
// any query parameter whose name suggests a secret, replaced by "xxxxx".
// A go-sql-driver DSN (user:pass@tcp(…)/db) has its password redacted too.
func Redact(raw string) string {
	scheme, rest, ok := strings.Cut(raw, ":")
	if !ok {
		return raw
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 && strings.ContainsAny(rest[:at], "?#") {
		// A password with a raw '?' or '#' would end the path early and
		// be shown: hide all that stands between the user's ':' and the
		// last '@' (more than needed when a query value holds an '@').
		start := 0
		if strings.HasPrefix(rest, "//") {
			start = 2
		}
		if user, _, hasPass := strings.Cut(rest[start:at], ":"); hasPass {
			rest = rest[:start] + user + ":xxxxx" + rest[at:]
		}
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	if at := strings.LastIndex(path, "@"); at >= 0 {
		userinfo := path[:at]
		prefix := ""
		if strings.HasPrefix(userinfo, "//") {
			prefix, userinfo = "//", userinfo[2:]
		}
		if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
			path = prefix + user + ":xxxxx" + path[at:]
		}
	}
	out := scheme + ":" + path
	if !hasQuery {
		return out
	}
	parts := strings.Split(query, "&")
	for i, p := range parts {
		k, _, hasValue := strings.Cut(p, "=")
		if hasValue && secretParam(k) {
			parts[i] = k + "=xxxxx"
		}
	}
	return out + "?" + strings.Join(parts, "&")
}

func secretParam(name string) bool {
	n := strings.ToLower(name)
	if un, err := url.QueryUnescape(n); err == nil {
		n = un
	}
	for _, s := range []string{"pass", "secret", "token", "key", "pwd"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
