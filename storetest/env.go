package storetest

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// The environment variables that name the test servers.
const (
	EnvMySQL    = "ZOHOAUTH_TEST_MYSQL_DSN"    // e.g. root@tcp(127.0.0.1:3306)/test?parseTime=true
	EnvPostgres = "ZOHOAUTH_TEST_POSTGRES_DSN" // e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable
	EnvRedis    = "ZOHOAUTH_TEST_REDIS_ADDR"   // e.g. 127.0.0.1:6379
)

// Server returns the value of the environment variable env, the address of
// a test server. When it is unset the test is skipped with a message, except
// under CI (CI=true), where it fails: a CI that skips the database suites is
// a broken CI.
func Server(t testing.TB, env string) string {
	t.Helper()
	v := os.Getenv(env)
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; CI runs the suites against this server", env)
		}
		t.Skipf("%s is not set: skipping the tests against this server", env)
	}
	return v
}

// Token returns a complete token of user n and client c, the same for the
// same arguments: the fixture of the kit, for stores' own tests and
// benchmarks.
func Token(n int, c string) *zohoauth.Token {
	return &zohoauth.Token{
		UserName:     fmt.Sprintf("user%d@example.com:%d", n, 7000+n),
		ClientID:     "1000.CLIENT" + c,
		ClientSecret: "secret-" + c,
		RefreshToken: fmt.Sprintf("1000.refresh.%s.%d", c, n),
		AccessToken:  fmt.Sprintf("1000.access.%s.%d", c, n),
		Expiry:       time.UnixMilli(1795879420612 + int64(n)),
		RedirectURL:  "https://example.com/callback",
		APIDomain:    "https://www.zohoapis.com",
	}
}

// Diff returns the names of the fields in which two tokens differ, with the
// lengths of differing secrets but never their values; nil when they are
// equal.
func Diff(a, b *zohoauth.Token) []string { return diff(a, b) }

// Tokens returns n complete tokens of distinct users of one client, with ids
// 1 to n and realistic token lengths: the fixture of the stores' benchmarks.
func Tokens(n int) []*zohoauth.Token {
	toks := make([]*zohoauth.Token, n)
	for i := range toks {
		toks[i] = &zohoauth.Token{
			ID:           strconv.Itoa(i + 1),
			UserName:     fmt.Sprintf("user%d@example.com:%d", i, 50000+i),
			ClientID:     "1000.CLIENT",
			ClientSecret: "secret",
			RefreshToken: fmt.Sprintf("1000.%032x.refresh", i),
			AccessToken:  fmt.Sprintf("1000.%032x.access", i),
			Expiry:       time.UnixMilli(1795879420612),
			RedirectURL:  "https://example.com/callback",
			APIDomain:    "https://www.zohoapis.com",
		}
	}
	return toks
}
