package storeurl

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/zohoauth/zohoauth/internal/tablename"
)

// mysqlParams are the parameters of github.com/go-sql-driver/mysql. Any other
// parameter of a mysql URL must be a server variable in lower case, which the
// driver sets on every connection (and the server refuses when it does not
// know it).
var mysqlParams = []string{
	"allowAllFiles", "allowCleartextPasswords", "allowFallbackToPlaintext", "allowNativePasswords",
	"allowOldPasswords", "charset", "checkConnLiveness", "clientFoundRows", "collation", "columnsWithAlias",
	"compress", "connectionAttributes", "interpolateParams", "loc", "maxAllowedPacket", "multiStatements",
	"parseTime", "readTimeout", "rejectReadOnly", "serverPubKey", "strict", "timeTruncate", "timeout", "tls",
	"writeTimeout",
}

// redisParams are the parameters of github.com/redis/go-redis's ParseURL.
var redisParams = []string{
	"db", "protocol", "client_name", "max_retries", "min_retry_backoff", "max_retry_backoff",
	"dial_timeout", "read_timeout", "write_timeout", "pool_fifo", "pool_size", "pool_timeout",
	"min_idle_conns", "max_idle_conns", "max_active_conns", "max_concurrent_dials",
	"pipeline_pool_size", "pipeline_read_buffer_size", "pipeline_write_buffer_size",
	"conn_max_idle_time", "idle_timeout", "conn_max_lifetime", "max_conn_age",
	"conn_max_lifetime_jitter", "skip_verify",
}

var (
	// mysqlVariable is the name of a MySQL server variable.
	mysqlVariable = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	// postgresParam is the name of a libpq or pgx parameter or of a
	// PostgreSQL run-time parameter (custom ones have a dot).
	postgresParam = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$`)
)

func param(name string) string { return "query parameter " + strconv.Quote(name) }

// parseQuery parses the query of a store URL. Unlike url.ParseQuery, it
// refuses what does not parse and a parameter given twice rather than drop
// or merge them, and names the parameter.
func (l *Location) parseQuery(raw string) (url.Values, error) {
	q := url.Values{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return nil, bad(l.raw, param(rawName), "invalid percent-escape in the name (write a literal % as %25)")
		}
		if strings.Contains(pair, ";") {
			return nil, bad(l.raw, param(name), "';' does not separate parameters: use &, and write a ';' in a value as %3B")
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, bad(l.raw, param(name), "invalid percent-escape (write a literal % as %25)")
		}
		if _, dup := q[name]; dup {
			return nil, bad(l.raw, param(name), "given more than once")
		}
		q[name] = []string{value}
	}
	return q, nil
}

// checkParams refuses a parameter that the store of l does not take.
func (l *Location) checkParams(q url.Values) error {
	for name := range q {
		var ok bool
		var takes string
		switch l.Scheme {
		case SchemeSQLite:
			ok, takes = name == "table", "only table"
		case SchemeMySQL:
			ok = name == "table" || slices.Contains(mysqlParams, name) || (mysqlVariable.MatchString(name) && name != "prefix")
			takes = "table, the parameters of go-sql-driver/mysql (parseTime, tls, …) and server variables in lower case"
		case SchemePostgres:
			ok = postgresParam.MatchString(name) && name != "prefix"
			takes = "table and the parameters of libpq and pgx (sslmode, application_name, …), in lower case"
		case SchemeRedis:
			ok = name == "prefix" || slices.Contains(redisParams, name)
			takes = "prefix and the options of go-redis (dial_timeout, protocol, …; skip_verify with rediss)"
		}
		if !ok {
			return bad(l.raw, param(name), "unknown parameter "+name+" (a "+l.Scheme+" URL takes "+takes+")")
		}
	}
	return nil
}

// takeTable moves the table parameter of q into l.Table.
func (l *Location) takeTable(q url.Values) error {
	v, ok := q["table"]
	if !ok {
		return nil
	}
	if !tablename.Valid(v[0]) {
		return bad(l.raw, param("table"), "table name must be 1 to 40 letters, digits or underscores, not starting with a digit")
	}
	l.Table = v[0]
	q.Del("table")
	return nil
}
