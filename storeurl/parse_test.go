package storeurl

import (
	"errors"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/sqlstore"
)

func TestParse(t *testing.T) {
	tests := []struct {
		raw                              string
		scheme, path, dsn, table, prefix string
	}{
		{raw: "sqlite:zohooauth.db", scheme: "sqlite", path: "zohooauth.db"},
		{raw: "SQLite3:./dir/z.db", scheme: "sqlite", path: "./dir/z.db"},
		{raw: "sqlite:/var/lib/z.db", scheme: "sqlite", path: "/var/lib/z.db"},
		{raw: "sqlite:///var/lib/z%20x.db", scheme: "sqlite", path: "/var/lib/z x.db"},
		{raw: "sqlite://localhost/var/z.db", scheme: "sqlite", path: "/var/z.db"},
		{raw: "sqlite::memory:", scheme: "sqlite", path: ":memory:"},
		{raw: "sqlite:z.db?table=tokens_1", scheme: "sqlite", path: "z.db", table: "tokens_1"},
		{raw: "file:sdk_tokens.txt", scheme: "file", path: "sdk_tokens.txt"},
		{raw: "file:///tmp/a?b.txt", scheme: "file", path: "/tmp/a"},
		{raw: "file:a?b.txt", scheme: "file", path: "a?b.txt"},
		{raw: "memory:", scheme: "memory"},
		{raw: "mysql://root@127.0.0.1:3306/test", scheme: "mysql", dsn: "root@tcp(127.0.0.1:3306)/test"},
		{raw: "mariadb://u:p%40ss@db.example/zoho?parseTime=true&table=oauth", scheme: "mysql", dsn: "u:p@ss@tcp(db.example:3306)/zoho?parseTime=true", table: "oauth"},
		{raw: "mysql://root@[::1]/test", scheme: "mysql", dsn: "root@tcp([::1]:3306)/test"},
		{raw: "mysql:root@tcp(127.0.0.1:3306)/test?parseTime=true", scheme: "mysql", dsn: "root@tcp(127.0.0.1:3306)/test?parseTime=true"},
		{raw: "mysql:root@tcp(127.0.0.1:3306)/test?table=t", scheme: "mysql", dsn: "root@tcp(127.0.0.1:3306)/test", table: "t"},
		{raw: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", scheme: "postgres", dsn: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
		{raw: "postgresql://u:pw@h/db?table=x&sslmode=disable", scheme: "postgres", dsn: "postgres://u:pw@h/db?sslmode=disable", table: "x"},
		{raw: "postgres:///test", scheme: "postgres", dsn: "postgres:///test"},
		{raw: "redis://127.0.0.1:6379/0", scheme: "redis", dsn: "redis://127.0.0.1:6379/0"},
		{raw: "rediss://:pw@cache:6380", scheme: "redis", dsn: "rediss://:pw@cache:6380"},
		{raw: "redis://h/1?prefix=app%3A&protocol=3", scheme: "redis", dsn: "redis://h/1?protocol=3", prefix: "app:"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			l, err := Parse(tt.raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if l.Scheme != tt.scheme || l.Path != tt.path || l.DSN != tt.dsn || l.Table != tt.table || l.Prefix != tt.prefix {
				t.Errorf("got scheme=%q path=%q dsn=%q table=%q prefix=%q, want %q %q %q %q %q",
					l.Scheme, l.Path, l.DSN, l.Table, l.Prefix, tt.scheme, tt.path, tt.dsn, tt.table, tt.prefix)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		raw, part string
		target    error
	}{
		{"", "url", ErrBadURL},
		{"   ", "url", ErrBadURL},
		{"zohooauth.db", "scheme", ErrUnknownScheme},
		{":x", "scheme", ErrUnknownScheme},
		{"mongodb://h/db", "scheme", ErrUnknownScheme},
		{"sqlite:", "path", ErrBadURL},
		{"sqlite://", "path", ErrBadURL},
		{"sqlite://dbhost/z.db", "host", ErrBadURL},
		{"sqlite:z.db?tabel=x", `query parameter "tabel"`, ErrBadURL},
		{"sqlite:z.db?table=1x", `query parameter "table"`, ErrBadURL},
		{"sqlite:z.db?table=a%3Bdrop", `query parameter "table"`, ErrBadURL},
		{"sqlite:z.db?table=a&table=b", `query parameter "table"`, ErrBadURL},
		{"sqlite:z.db?%zz", `query parameter "%zz"`, ErrBadURL},
		{"file:", "path", ErrBadURL},
		{"file:a\x00b", "path", ErrBadURL},
		{"memory:x", "path", ErrBadURL},
		{"mysql://", "host", ErrBadURL},
		{"mysql:///test", "host", ErrBadURL},
		{"mysql://root@h:99999/test", "port", ErrBadURL},
		{"mysql://root@h:x/test", "port", ErrBadURL},
		{"mysql://root@h:/test", "port", ErrBadURL},
		{"mysql://root@h", "database", ErrBadURL},
		{"mysql://root@h/a/b", "database", ErrBadURL},
		{"mysql:", "dsn", ErrBadURL},
		{"mysql:root@tcp(h)", "database", ErrBadURL},
		{"mysql://u:p%zz@h/db", "url", ErrBadURL},
		{"postgres:test", "url", ErrBadURL},
		{"postgres://h:0/db", "port", ErrBadURL},
		{"postgres://h/a/b", "database", ErrBadURL},
		{"redis:h", "url", ErrBadURL},
		{"redis:///0", "host", ErrBadURL},
		{"redis://h/x", "database", ErrBadURL},
		{"redis://h/0?prefix=", `query parameter "prefix"`, ErrBadURL},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			_, err := Parse(tt.raw)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) = %v, want *Error", tt.raw, err)
			}
			if e.Part != tt.part {
				t.Errorf("Part = %q, want %q (%v)", e.Part, tt.part, err)
			}
			if !errors.Is(err, tt.target) {
				t.Errorf("error %v does not match %v", err, tt.target)
			}
			if !strings.Contains(err.Error(), "bad "+tt.part) {
				t.Errorf("message %q does not name the part %q", err, tt.part)
			}
		})
	}
}

func TestErrorsHideSecrets(t *testing.T) {
	const secret = "S3cr3tPw"
	for _, raw := range []string{
		"mysql://root:" + secret + "@h:99999/test",
		"mysql://root:" + secret + "@h",
		"mysql://root:" + secret + "%zz@h/db",
		"mysql:root:" + secret + "@tcp(h)",
		"postgres://u:" + secret + "@h/a/b",
		"postgres://u@h/a/b?password=" + secret,
		"redis://:" + secret + "@h/x",
		"sqlite:z.db?password=" + secret,
	} {
		_, err := Parse(raw)
		if err == nil {
			t.Fatalf("Parse(%q) succeeded", raw)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the secret: %v", err)
		}
	}
	l, err := Parse("postgres://u:" + secret + "@h/db?sslpassword=" + secret)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(l.String(), secret) {
		t.Errorf("Location.String shows the secret: %s", l)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mysql://root:pw@h/db", "mysql://root:xxxxx@h/db"},
		{"mysql://root@h/db", "mysql://root@h/db"},
		{"mysql:root:pw@tcp(h:1)/db?parseTime=true", "mysql:root:xxxxx@tcp(h:1)/db?parseTime=true"},
		{"postgres://h/db?sslmode=disable&password=pw", "postgres://h/db?sslmode=disable&password=xxxxx"},
		{"redis://:p@w@h:1/0", "redis://:xxxxx@h:1/0"},
		{"sqlite:z.db", "sqlite:z.db"},
		{"noscheme", "noscheme"},
		// A password with a raw '?', '/' or '#' ends the path early; what
		// stands before the last '@' is still hidden.
		{"mysql://root:pw?se/cr#et@h/db", "mysql://root:xxxxx@h/db"},
		{"postgres://u:a?b@h/db?sslmode=disable", "postgres://u:xxxxx@h/db?sslmode=disable"},
		{"redis://:p?w@h:1/0?prefix=x", "redis://:xxxxx@h:1/0?prefix=x"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"sqlite:zohooauth.db", "sqlite::memory:", "sqlite:///a/b.db?table=t", "file:sdk_tokens.txt",
		"mysql://root:pw@127.0.0.1:3306/test?parseTime=true", "mysql:root@tcp(h)/db", "memory:",
		"postgres://u:pw@h:5432/db?sslmode=disable", "redis://:pw@h:6379/0", "mysql://u:%zz@h/db", "x",
		"mysql://root@h/db?table=staging;x", "redis://h/0?prefix=a&prefix=b", "postgres://h/db?foo=bar",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		l, err := Parse(raw)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Part == "" {
				t.Fatalf("Parse(%q): untyped error %v", raw, err)
			}
			if !errors.Is(err, ErrBadURL) && !errors.Is(err, ErrUnknownScheme) {
				t.Fatalf("Parse(%q): %v wraps no sentinel", raw, err)
			}
			return
		}
		if _, ok := aliases[l.Scheme]; !ok || aliases[l.Scheme] != l.Scheme {
			t.Fatalf("Parse(%q): scheme %q not canonical", raw, l.Scheme)
		}
		switch l.Scheme {
		case SchemeSQLite, SchemeFile:
			if l.Path == "" {
				t.Fatalf("Parse(%q): empty path", raw)
			}
		case SchemeMySQL, SchemePostgres, SchemeRedis:
			if l.DSN == "" {
				t.Fatalf("Parse(%q): empty DSN", raw)
			}
		}
		// A parameter is never dropped: a query that holds a ';' does
		// not parse.
		if _, q, ok := strings.Cut(raw, "?"); ok && l.Scheme != SchemeFile && strings.Contains(q, ";") {
			t.Fatalf("Parse(%q) accepted a query with ';'", raw)
		}
		if l.Table != "" && !sqlstore.ValidTableName(l.Table) {
			t.Fatalf("Parse(%q): table %q", raw, l.Table)
		}
		// Parsing is deterministic.
		l2, err := Parse(raw)
		if err != nil || *l2 != *l {
			t.Fatalf("Parse(%q) not deterministic", raw)
		}
	})
}
