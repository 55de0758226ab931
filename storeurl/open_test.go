package storeurl_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storetest"
	"github.com/zohoauth/zohoauth/storeurl"
)

// serverURL returns the store URL of a database server from the env var
// name, or skips (outside CI) or fails (in CI) when it is unset.
func serverURL(t *testing.T, env, scheme string) string {
	t.Helper()
	v := storetest.Server(t, env)
	if strings.Contains(v, "://") {
		return v
	}
	return scheme + ":" + v
}

func openOrFail(t *testing.T, raw string) storeurl.Store {
	t.Helper()
	s, err := openURL(context.Background(), raw)
	if err != nil {
		t.Fatalf("Open(%q): %v", storeurl.Redact(raw), err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// The capabilities each store promises through Open, by scheme.
var (
	memoryClaims = []storetest.Capability{storetest.BatchSaver, storetest.CompareAndSwapper, storetest.Locker, storetest.LockChecker}
	fileClaims   = sqlClaims
	sqlClaims    = []storetest.Capability{storetest.BatchSaver, storetest.CompareAndSwapper, storetest.Locker, storetest.LockChecker, storetest.Pager}
	redisClaims  = sqlClaims
)

func TestOpenConformance(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) zohoauth.Store { return openOrFail(t, "memory:") }, storetest.Claim(memoryClaims...))
	})
	t.Run("sqlite-memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) zohoauth.Store { return openOrFail(t, "sqlite::memory:") }, storetest.Claim(sqlClaims...))
	})
	t.Run("file", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) zohoauth.Store {
			return openOrFail(t, "file:"+filepath.Join(t.TempDir(), "sdk_tokens.txt"))
		}, storetest.Claim(fileClaims...))
	})
	t.Run("sqlite-file", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) zohoauth.Store {
			return openOrFail(t, "sqlite:"+filepath.Join(t.TempDir(), "z.db"))
		}, storetest.Claim(sqlClaims...))
	})
}

// TestOpenExposesCapabilities checks that the store Open returns for each
// scheme exposes every capability the store behind it promises: the
// cross-process single refresh rests on Locker and CompareAndSwapper, and a
// wrapper in Open that hid them would turn it off without an error.
func TestOpenExposesCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name   string
		url    func(t *testing.T) string
		claims []storetest.Capability
	}{
		{"memory", func(*testing.T) string { return "memory:" }, memoryClaims},
		{"sqlite-memory", func(*testing.T) string { return "sqlite::memory:" }, sqlClaims},
		{"sqlite-file", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "z.db") }, sqlClaims},
		{"file", func(t *testing.T) string { return "file:" + filepath.Join(t.TempDir(), "sdk_tokens.txt") }, fileClaims},
		{"mysql", func(t *testing.T) string { return privateTable(t, serverURL(t, storetest.EnvMySQL, "mysql")) }, sqlClaims},
		{"postgres", func(t *testing.T) string { return privateTable(t, serverURL(t, storetest.EnvPostgres, "postgres")) }, sqlClaims},
		{"redis", func(t *testing.T) string { return "redis://" + storetest.Server(t, storetest.EnvRedis) + "/0" }, redisClaims},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openOrFail(t, tc.url(t))
			if missing := storetest.Missing(s, tc.claims...); len(missing) > 0 {
				t.Fatalf("Open(%s) returned a %T that is not a %v", tc.name, s, missing)
			}
		})
	}
}

func TestOpenServers(t *testing.T) {
	for _, tt := range []struct{ env, scheme string }{
		{"ZOHOAUTH_TEST_MYSQL_DSN", "mysql"},
		{"ZOHOAUTH_TEST_POSTGRES_DSN", "postgres"},
	} {
		t.Run(tt.scheme, func(t *testing.T) {
			raw := serverURL(t, tt.env, tt.scheme)
			// A table of this process alone (other test runs may share the
			// server), dropped at the end.
			sep := "?"
			if strings.Contains(raw, "?") {
				sep = "&"
			}
			table := fmt.Sprintf("storeurl_open_%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000)
			raw += sep + "table=" + table
			s := openOrFail(t, raw)
			t.Cleanup(func() { dropTable(t, s.(*sqlstore.Store), table) })
			ctx := context.Background()
			tok := &zohoauth.Token{UserName: "a@example.com:1", ClientID: "c", ClientSecret: "s", RefreshToken: "r"}
			if err := s.SaveToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			got, err := s.FindTokenByID(ctx, tok.ID)
			if err != nil || got.RefreshToken != "r" {
				t.Fatalf("FindTokenByID = %v, %v", got, err)
			}
		})
	}
}

// privateTable names in raw a table of this test alone, dropped when the
// test ends.
func privateTable(t *testing.T, raw string) string {
	t.Helper()
	table := fmt.Sprintf("storeurl_caps_%d_%d", os.Getpid(), time.Now().UnixNano()%1_000_000)
	sep := "?"
	if strings.Contains(raw, "?") {
		sep = "&"
	}
	t.Cleanup(func() {
		s, err := openURL(context.Background(), raw+sep+"table="+table)
		if err != nil {
			t.Errorf("drop table %s: %v", table, err)
			return
		}
		defer s.Close()
		dropTable(t, s.(*sqlstore.Store), table)
	})
	return raw + sep + "table=" + table
}

// dropTable drops a test's table and its lock table through the store's pool
// (run before the store is closed: cleanups run last-registered first).
func dropTable(t *testing.T, s *sqlstore.Store, table string) {
	for _, tb := range []string{table, table + sqlstore.LockTableSuffix, table + sqlstore.LifecycleTableSuffix} {
		if _, err := s.DB().Exec("DROP TABLE IF EXISTS " + tb); err != nil {
			t.Errorf("drop table %s: %v", tb, err)
		}
	}
}

func TestOpenRedis(t *testing.T) {
	addr := storetest.Server(t, "ZOHOAUTH_TEST_REDIS_ADDR")
	n := 0
	storetest.Run(t, func(t *testing.T) zohoauth.Store {
		n++
		s := openOrFail(t, "redis://"+addr+"/0?prefix="+url.QueryEscape(fmt.Sprintf("storeurl-test-%d-%d:", os.Getpid(), n)))
		t.Cleanup(func() { _ = s.DeleteTokens(context.Background()) })
		return s
	}, storetest.Claim(redisClaims...))
}

func TestOpenSQLitePersists(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub dir", "tokens.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	raw := (&url.URL{Scheme: "sqlite", Path: path}).String() // sqlite:///…/sub%20dir/tokens.db
	s, err := openURL(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveToken(ctx, &zohoauth.Token{UserName: "u@example.com:1", RefreshToken: "r", ClientID: "c", ClientSecret: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openOrFail(t, "sqlite:"+path)
	all, err := s.Tokens(ctx)
	if err != nil || len(all) != 1 || all[0].UserName != "u@example.com:1" {
		t.Fatalf("Tokens after reopen = %v, %v", all, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		raw    string
		target error
	}{
		{"redis://127.0.0.1:1/0", nil}, // nothing listens there
		{"nosuch:x", storeurl.ErrUnknownScheme},
		{"mysql://root@h", storeurl.ErrBadURL},
		{"sqlite:" + filepath.Join(t.TempDir(), "missing-dir", "z.db"), nil}, // any *Error
	} {
		_, err := openURL(ctx, tt.raw)
		var e *storeurl.Error
		if !errors.As(err, &e) {
			t.Fatalf("Open(%q) = %v, want *storeurl.Error", tt.raw, err)
		}
		if tt.target != nil && !errors.Is(err, tt.target) {
			t.Errorf("Open(%q) = %v, want %v", tt.raw, err, tt.target)
		}
	}
}

func TestOpenErrorHidesPassword(t *testing.T) {
	const secret = "Pw-Not-To-Show-42"
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // nothing is reached; the open fails at once
	for _, raw := range []string{
		"mysql://root:" + secret + "@127.0.0.1:1/test",
		"postgres://u:" + secret + "@127.0.0.1:1/test?sslmode=disable",
		"redis://u:" + secret + "@127.0.0.1:1/0",
	} {
		_, err := openURL(ctx, raw)
		if err == nil {
			t.Fatalf("Open(%q) succeeded", storeurl.Redact(raw))
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
