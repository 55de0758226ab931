package storeurl_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/storetest"
	"github.com/zohoauth/zohoauth/storeurl"
)

// wantConfig fails t unless opening raw fails with ErrConfig and a message
// that says what to fix.
func wantConfig(t *testing.T, raw, fix string) {
	t.Helper()
	s, err := openURL(context.Background(), raw)
	if err == nil {
		s.Close()
		t.Fatalf("Open(%q) succeeded", storeurl.Redact(raw))
	}
	var e *storeurl.Error
	if !errors.As(err, &e) || !errors.Is(err, storeurl.ErrConfig) {
		t.Errorf("Open(%q) = %v, want a *storeurl.Error matching ErrConfig", storeurl.Redact(raw), err)
	}
	if strings.Contains(err.Error(), "Pw-Not-To-Show") {
		t.Errorf("Open(%q) = %q shows the password", storeurl.Redact(raw), err)
	}
	if !strings.Contains(err.Error(), fix) {
		t.Errorf("Open(%q) = %q, want it to say %q", storeurl.Redact(raw), err, fix)
	}
}

// TestOpenConfigErrors checks that a store that cannot work as configured
// is an ErrConfig error (the zohoauth command's exit code 2), not one to try
// again later.
func TestOpenConfigErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ raw, fix string }{
		{"sqlite:" + filepath.Join(dir, "z.db") + "?table=sqlite_master", "table=NAME"},
		{"sqlite:" + dir, "not a regular file"},
		{"sqlite:" + garbage, "not a SQLite database"},
		{"postgres://u@127.0.0.1:1/db?sslmode=bogus", "connection string"},
		{"postgres://u:Pw-Not-To-Show@127.0.0.1:1/db?sslmode=bogus&password=Pw-Not-To-Show", "sslmode is invalid"},
		{"mysql:root@tcp(127.0.0.1:3306/test", "connection string"},
	} {
		wantConfig(t, tt.raw, tt.fix)
	}
}

func TestOpenConfigErrorsMySQL(t *testing.T) {
	u := serverURL(t, storetest.EnvMySQL, "mysql")
	// The test DSN is user@tcp(host)/db: change the user, then the database.
	at := strings.Index(u, "@")
	wantConfig(t, "mysql:zohoauth_nosuchuser:pw"+u[at:], "check the user")
	slash := strings.LastIndex(u, "/")
	wantConfig(t, u[:slash]+"/zohoauth_nosuchdb", "check the user")
	wantConfig(t, u+"&zohoauth_nosuchvar=1", "connection string")
}

func TestOpenConfigErrorsPostgres(t *testing.T) {
	u := serverURL(t, storetest.EnvPostgres, "postgres")
	wantConfig(t, strings.Replace(u, "://postgres@", "://zohoauth_nosuchuser@", 1), "check the user")
	wantConfig(t, strings.Replace(u, "/test?", "/zohoauth_nosuchdb?", 1), "check the user")
	wantConfig(t, u+"&zohoauth_nosuchparam=1", "connection string")
}

// TestOpenUnreachableIsNotConfig checks that a server that is not there is
// not a configuration error: it may be back later.
func TestOpenUnreachableIsNotConfig(t *testing.T) {
	for _, raw := range []string{
		"mysql://root@127.0.0.1:1/test",
		"postgres://u@127.0.0.1:1/db?sslmode=disable",
		"redis://127.0.0.1:1/0",
	} {
		_, err := openURL(context.Background(), raw)
		if err == nil || errors.Is(err, storeurl.ErrConfig) {
			t.Errorf("Open(%q) = %v, want an error that is not ErrConfig", raw, err)
		}
	}
}
