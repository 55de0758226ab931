package storeurl

import (
	"errors"
	"strings"
	"testing"
)

// TestParseQueryStrict checks that a store URL query that does not parse, a
// parameter given twice or a parameter the store does not know is an error
// naming the parameter: never a fallback to the default table or prefix.
func TestParseQueryStrict(t *testing.T) {
	tests := []struct {
		raw, part, reason string
	}{
		// ';' is no separator: net/url refuses the pair, which used to be
		// dropped, leaving the default table or prefix.
		{"mysql://root@h/db?table=staging;x", `query parameter "table"`, ";"},
		{"mysql:root@tcp(h)/db?table=staging;x", `query parameter "table"`, ";"},
		{"postgres://u@h/db?table=staging;x", `query parameter "table"`, ";"},
		{"postgres://u@h/db?sslmode=disable&table=staging;x", `query parameter "table"`, ";"},
		{"redis://h/0?prefix=staging;x", `query parameter "prefix"`, ";"},
		{"sqlite:z.db?table=staging;x", `query parameter "table"`, ";"},
		{"mysql://root@h/db?table=%zz", `query parameter "table"`, "percent-escape"},
		{"redis://h/0?prefix=%zz", `query parameter "prefix"`, "percent-escape"},
		// Given twice.
		{"mysql://root@h/db?parseTime=true&parseTime=false", `query parameter "parseTime"`, "more than once"},
		{"mysql://root@h/db?table=a&table=b", `query parameter "table"`, "more than once"},
		{"mysql:root@tcp(h)/db?loc=UTC&loc=Local", `query parameter "loc"`, "more than once"},
		{"postgres://u@h/db?sslmode=disable&sslmode=require", `query parameter "sslmode"`, "more than once"},
		{"redis://h/0?prefix=a&prefix=b", `query parameter "prefix"`, "more than once"},
		{"redis://h/0?db=1&db=2", `query parameter "db"`, "more than once"},
		// Unknown.
		{"redis://h/0?foo=bar", `query parameter "foo"`, "unknown parameter foo"},
		{"redis://h/0?table=t", `query parameter "table"`, "unknown parameter table"},
		{"rediss://h/0?skip_verify=true&tabel=x", `query parameter "tabel"`, "unknown parameter tabel"},
		{"mysql://root@h/db?prefix=x", `query parameter "prefix"`, "unknown parameter prefix"},
		{"mysql://root@h/db?ParseTime=true", `query parameter "ParseTime"`, "unknown parameter ParseTime"},
		{"mysql:root@tcp(h)/db?Tabel=x", `query parameter "Tabel"`, "unknown parameter Tabel"},
		{"postgres://u@h/db?prefix=x", `query parameter "prefix"`, "unknown parameter prefix"},
		{"postgres://u@h/db?SSLMode=disable", `query parameter "SSLMode"`, "unknown parameter SSLMode"},
		{"postgres://u@h/db?ssl-mode=disable", `query parameter "ssl-mode"`, "unknown parameter ssl-mode"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			l, err := Parse(tt.raw)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) = %+v, %v; want *Error", tt.raw, l, err)
			}
			if !errors.Is(err, ErrBadURL) {
				t.Errorf("error %v is not ErrBadURL", err)
			}
			if e.Part != tt.part {
				t.Errorf("Part = %q, want %q (%v)", e.Part, tt.part, err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("message %q does not say %q", err, tt.reason)
			}
		})
	}
}

// TestParseQueryKeepsDriverParameters checks that the drivers' own
// parameters, and server variables, still pass.
func TestParseQueryKeepsDriverParameters(t *testing.T) {
	for _, raw := range []string{
		"mysql://root@h/db?parseTime=true&loc=UTC&tls=skip-verify&sql_mode=ANSI&table=t",
		"mysql:root@tcp(h)/db?parseTime=true&time_zone=%27%2B00%3A00%27",
		"postgres://u@h/db?sslmode=disable&application_name=z&search_path=a&pool_max_conns=4&statement_cache_capacity=0",
		"redis://h/0?prefix=app:&protocol=3&dial_timeout=2s&client_name=z",
		"rediss://h/0?skip_verify=true",
	} {
		if _, err := Parse(raw); err != nil {
			t.Errorf("Parse(%q): %v", raw, err)
		}
	}
}
