package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
)

// The multi-process test: procs processes of workers goroutines each save
// and find the same users in one table, every process setting a field of
// its own, so that a lost update or a duplicate row cannot go unnoticed.
const (
	procs   = 4
	workers = 16
	users   = 1000
)

// rounds is how many times each process saves each user: the servers commit
// with an fsync under the table lock, so they get one round.
func rounds(d sqlstore.Dialect) int {
	if d == sqlstore.SQLite {
		return 3
	}
	return 1
}

// Environment of a helper process.
const (
	envHelper  = "ZOHOAUTH_SQLSTORE_HELPER"
	envDialect = "ZOHOAUTH_SQLSTORE_DIALECT"
	envDSN     = "ZOHOAUTH_SQLSTORE_DSN"
	envTable   = "ZOHOAUTH_SQLSTORE_TABLE"
	envProc    = "ZOHOAUTH_SQLSTORE_PROC"
)

func userName(u int) string { return fmt.Sprintf("user%04d@example.com:6000%04d", u, u) }

// procField returns the field that process p owns.
func procField(t *zohoauth.Token, p int) *string {
	return [...]*string{&t.RefreshToken, &t.ClientSecret, &t.RedirectURL, &t.APIDomain}[p]
}

func procValue(p, r int) string { return fmt.Sprintf("p%d-r%d", p, r) }

func openShared(ctx context.Context, d sqlstore.Dialect, dsn, table string) (*sqlstore.Store, error) {
	if d == sqlstore.SQLite {
		return sqlstore.OpenSQLite(ctx, dsn, sqlstore.WithTable(table))
	}
	return sqlstore.Open(ctx, d, dsn, sqlstore.WithTable(table))
}

// TestHelperProcess is one process of TestMultiProcess; it does nothing in
// a normal run.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("a helper process of TestMultiProcess")
	}
	d, err := sqlstore.ParseDialect(os.Getenv(envDialect))
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(os.Getenv(envProc))
	if err != nil || p < 0 || p >= procs {
		t.Fatalf("bad %s", envProc)
	}
	ctx := t.Context()
	s, err := openShared(ctx, d, os.Getenv(envDSN), os.Getenv(envTable))
	if err != nil {
		t.Fatalf("process %d: open: %v", p, err)
	}
	defer s.Close()
	var failures atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(format string, args ...any) {
				if failures.Add(1) <= 10 {
					t.Errorf("process %d worker %d: "+format, append([]any{p, w}, args...)...)
				}
			}
			for r := 0; r < rounds(d); r++ {
				for u := w; u < users; u += workers {
					tok := &zohoauth.Token{
						UserName:    userName(u),
						ClientID:    "1000.CLIENT",
						AccessToken: fmt.Sprintf("1000.access.p%d.r%d.u%d", p, r, u),
						Expiry:      time.UnixMilli(1795879420612 + int64(r)),
					}
					*procField(tok, p) = procValue(p, r)
					if err := s.SaveToken(ctx, tok); err != nil {
						fail("save user %d: %v", u, err)
						continue
					}
					got, err := s.FindToken(ctx, &zohoauth.Token{UserName: userName(u), ClientID: "1000.CLIENT"})
					if err != nil {
						fail("find user %d: %v", u, err)
						continue
					}
					if *procField(got, p) != procValue(p, r) || got.ID != tok.ID {
						fail("user %d: read back id %s field %q after saving id %s field %q", u, got.ID, *procField(got, p), tok.ID, procValue(p, r))
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestMultiProcess runs procs processes of workers goroutines against one
// table and checks: no error, no duplicate row, no lost update, numeric
// unique ids. The processes also race to create the table.
func TestMultiProcess(t *testing.T) {
	if os.Getenv(envHelper) == "1" {
		t.Skip("in a helper process")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	for _, e := range engines() {
		if e.shared == nil {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			d, dsn, table := sharedTable(t, e)
			start := time.Now()
			runHelpers(t, procs, "TestHelperProcess", envHelper+"=1", envDialect+"="+d.String(), envDSN+"="+dsn, envTable+"="+table)
			if t.Failed() {
				return
			}
			t.Logf("%d processes × %d goroutines, %d saves and as many finds in all: %v", procs, workers, procs*users*rounds(d), time.Since(start).Round(time.Millisecond))
			s, err := openShared(t.Context(), d, dsn, table)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			list, err := s.Tokens(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != users {
				t.Errorf("%d rows for %d users", len(list), users)
			}
			var n, distinct int
			if err := s.DB().QueryRowContext(t.Context(), "SELECT COUNT(*), COUNT(DISTINCT user_name) FROM "+table).Scan(&n, &distinct); err != nil {
				t.Fatal(err)
			}
			if n != users || distinct != users {
				t.Errorf("table holds %d rows with %d distinct user names, want %d", n, distinct, users)
			}
			ids := map[string]bool{}
			seen := map[string]bool{}
			for _, tok := range list {
				if !zohoauth.ValidID(tok.ID) || ids[tok.ID] {
					t.Errorf("id %q not numeric or given twice", tok.ID)
				}
				ids[tok.ID] = true
				if seen[tok.UserName] {
					t.Errorf("user %s has two rows", tok.UserName)
				}
				seen[tok.UserName] = true
				for p := 0; p < procs; p++ {
					if got := *procField(tok, p); got != procValue(p, rounds(d)-1) {
						t.Errorf("user %s: process %d's field is %q, want %q (a lost update)", tok.UserName, p, got, procValue(p, rounds(d)-1))
					}
				}
			}
		})
	}
}

// runHelpers runs n processes of the test binary, each running the test
// named test with env and envProc set to its number, and fails t with the
// output of every process that fails.
func runHelpers(t *testing.T, n int, test string, env ...string) {
	t.Helper()
	var wg sync.WaitGroup
	out := make([][]byte, n)
	errs := make([]error, n)
	for p := 0; p < n; p++ {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.v")
		cmd.Env = append(append(os.Environ(), env...), envProc+"="+strconv.Itoa(p))
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[p], errs[p] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for p := range n {
		if errs[p] != nil {
			t.Errorf("process %d: %v\n%s", p, errs[p], out[p])
		}
	}
}
