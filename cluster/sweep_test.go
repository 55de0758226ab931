package cluster_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storeurl"
	"github.com/zohoauth/zohoauth/zohotest"
)

// envSweepChild marks a child process of TestSweepOneProcessPerInterval.
const envSweepChild = "ZOHOAUTH_SWEEP_CHILD"

// sweepIdle is the idle timeout of the sweep tests.
const sweepIdle = 30 * 24 * time.Hour

// seedSweep stores n tokens (every tenth idle for 90 days, the others used
// now, with refresh tokens the emulator does not know: a revoke is
// answered "already invalid"; no api_domain, so that the revoke goes to
// the authenticator's environment, the emulator) and orphans lifecycle records of tokens that
// do not exist. It returns the numbers of idle tokens and orphans.
func seedSweep(t testing.TB, s storeurl.Store, n, orphans int) (idle int) {
	t.Helper()
	ctx := context.Background()
	if err := s.DeleteTokens(ctx); err != nil {
		t.Fatal(err)
	}
	k, ok := s.(zohoauth.LifecycleKeeper)
	if !ok {
		t.Fatalf("the store %T keeps no lifecycle records", s)
	}
	now := time.Now()
	const batch = 1000
	for start := 0; start < n; start += batch {
		var toks []*zohoauth.Token
		for i := start; i < min(start+batch, n); i++ {
			toks = append(toks, &zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, RefreshToken: fmt.Sprintf("1000.seed%07d", i),
				UserName: fmt.Sprintf("u%d@example.com:%d", i, i)})
		}
		if err := zohoauth.SaveAll(ctx, s, toks); err != nil {
			t.Fatal(err)
		}
	}
	seedRecords(t, s, k, now, n)
	if sq, ok := s.(*sqlstore.Store); ok && sq.Dialect() != sqlstore.SQLite { // (a table not made yet holds no lock)
		// A server database outlives the test: the sweep lock an earlier
		// run left to its interval would skip every sweep of this one.
		_, err := sq.DB().ExecContext(ctx, "DELETE FROM "+sq.Table()+sqlstore.LockTableSuffix+" WHERE name = '"+auth.SweepLockName+"'")
		if err != nil && !strings.Contains(err.Error(), "does not exist") && !strings.Contains(err.Error(), "doesn't exist") {
			t.Fatalf("clear the sweep lock: %v", err)
		}
	}
	for i := range orphans {
		id := strconv.Itoa(1_000_000_000 + i) // past every token's id
		if _, err := k.UpdateLifecycle(ctx, id, func(l *zohoauth.Lifecycle) error { l.LoginAt = now; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return (n + 9) / 10
}

// seedRecords writes the records of the n tokens: token i is idle when i%10
// == 0. A SQL store gets them in one statement (100k UpdateLifecycle round
// trips would dwarf the sweep); the others one by one.
func seedRecords(t testing.TB, s storeurl.Store, k zohoauth.LifecycleKeeper, now time.Time, n int) {
	t.Helper()
	ctx := context.Background()
	old := now.Add(-90 * 24 * time.Hour)
	if sq, ok := s.(*sqlstore.Store); ok && sq.Dialect() != sqlstore.MySQL {
		// A SQL store numbers the tokens of an empty table 1..n in save
		// order: token i has id i+1.
		table := sq.Table()
		q := fmt.Sprintf(`INSERT INTO %s_lifecycle (num, id, login_at, last_used_at, last_error)
			SELECT CAST(id AS BIGINT), id, %d, CASE WHEN (CAST(id AS BIGINT) - 1) %% 10 = 0 THEN %d ELSE %d END, '' FROM %s`,
			table, old.UnixMilli(), old.UnixMilli(), now.UnixMilli(), table)
		if _, err := sq.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("seed records: %v", err)
		}
		return
	}
	i := 0 // the tokens in id order (a Redis store does not reuse ids: they need not start at 1)
	err := zohoauth.EachPage(ctx, s, 500, func(page []*zohoauth.Token) error {
		for _, tok := range page {
			used := now
			if i%10 == 0 {
				used = old
			}
			i++
			if _, err := k.UpdateLifecycle(ctx, tok.ID, func(l *zohoauth.Lifecycle) error {
				l.LoginAt, l.LastUsedAt = old, used
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || i != n {
		t.Fatalf("seed records: %d of %d: %v", i, n, err)
	}
}

// Four processes sweep one store at the same moment: one sweeps, the three
// others are told the sweep was skipped; four more within the interval all
// skip. The idle tokens and the orphan records are removed once.
func TestSweepOneProcessPerInterval(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: spawns processes")
	}
	for _, sc := range storeCases() {
		t.Run(sc.name, func(t *testing.T) {
			// A table of its own: TestCluster (here or in another
			// checkout's run) must not meet these tokens.
			raw := strings.Replace(sc.url(t), "table=zohoauth_cluster_test", "table=zohoauth_sweep_test", 1)
			s := openStore(t, raw)
			const n, orphans = 300, 20
			idle := seedSweep(t, s, n, orphans)
			srv := zohotest.NewServer(zohotest.Options{})
			t.Cleanup(srv.Close)
			srv.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret})
			_ = s.Close()
			round := func(name string) (swept, skipped, revoked, removed int) {
				start := time.Now().Add(500 * time.Millisecond)
				var mu sync.Mutex
				var wg sync.WaitGroup
				for p := range procs {
					wg.Go(func() {
						cmd := exec.Command(os.Args[0], "-test.run=^TestSweepChild$", "-test.count=1", "-test.v")
						cmd.Env = append(os.Environ(), envSweepChild+"=1", envStore+"="+raw, envEmulator+"="+srv.URL,
							envStart+"="+strconv.FormatInt(start.UnixNano(), 10))
						out, err := cmd.CombinedOutput()
						if err != nil {
							t.Errorf("%s process %d: %v\n%s", name, p, err, out)
							return
						}
						line := ""
						for _, l := range strings.Split(string(out), "\n") {
							if strings.HasPrefix(l, "SWEEP ") {
								line = l
							}
						}
						var sk bool
						var rv, rm, tk int
						var took string
						if _, err := fmt.Sscanf(line, "SWEEP skipped=%t revoked=%d removed=%d tokens=%d took=%s", &sk, &rv, &rm, &tk, &took); err != nil {
							t.Errorf("%s process %d: %q: %v\n%s", name, p, line, err, out)
							return
						}
						mu.Lock()
						defer mu.Unlock()
						if sk {
							skipped++
						} else {
							swept++
						}
						revoked += rv
						removed += rm
						t.Logf("%s process %d: skipped=%v revoked=%d removed=%d tokens=%d in %s", name, p, sk, rv, rm, tk, took)
					})
				}
				wg.Wait()
				return
			}
			swept, skipped, revoked, removed := round("first")
			if swept != 1 || skipped != procs-1 || revoked != idle || removed != orphans {
				t.Fatalf("first round: %d swept, %d skipped, %d revoked (want %d), %d orphans removed (want %d)", swept, skipped, revoked, idle, removed, orphans)
			}
			if swept, skipped, _, _ := round("second"); swept != 0 || skipped != procs {
				t.Fatalf("second round within the interval: %d swept, %d skipped", swept, skipped)
			}
			s = openStore(t, raw)
			toks, err := s.Tokens(context.Background())
			if err != nil || len(toks) != n-idle {
				t.Fatalf("%d tokens left, want %d: %v", len(toks), n-idle, err)
			}
		})
	}
}

// TestSweepChild is one process of TestSweepOneProcessPerInterval: it
// waits for the common start and sweeps once, with an interval of an hour.
func TestSweepChild(t *testing.T) {
	if os.Getenv(envSweepChild) != "1" {
		t.Skip("a child process of TestSweepOneProcessPerInterval")
	}
	s := openStore(t, os.Getenv(envStore))
	a, err := auth.New(s, auth.Options{Accounts: &accounts.Client{Environment: environment(os.Getenv(envEmulator))},
		Policies: auth.Policies{IdleTimeout: sweepIdle}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ns, _ := strconv.ParseInt(os.Getenv(envStart), 10, 64)
	time.Sleep(time.Until(time.Unix(0, ns)))
	rep, err := a.Sweep(context.Background(), auth.SweepOptions{Interval: time.Hour, Wait: time.Second})
	if err != nil {
		for _, it := range rep.Items {
			if it.Error != "" {
				t.Log(it.ID, it.Error)
				break
			}
		}
		t.Fatal(err)
	}
	fmt.Printf("SWEEP skipped=%t revoked=%d removed=%d tokens=%d took=%v\n", rep.Skipped, rep.Revoked, rep.Removed, rep.Tokens, rep.Duration)
}

// opCounter counts the calls to a store and its capabilities.
type opCounter struct {
	storeurl.Store
	ops sync.Map // op name → *atomic.Int64
}

func (c *opCounter) count(op string) {
	v, _ := c.ops.LoadOrStore(op, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// counts returns the counts, and their total.
func (c *opCounter) counts() (string, int64) {
	var parts []string
	var total int64
	c.ops.Range(func(k, v any) bool {
		n := v.(*atomic.Int64).Load()
		parts = append(parts, fmt.Sprintf("%s=%d", k, n))
		total += n
		return true
	})
	sortStrings(parts)
	return strings.Join(parts, " "), total
}

func (c *opCounter) reset() { c.ops.Clear() }

func (c *opCounter) FindToken(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	c.count("find")
	return c.Store.FindToken(ctx, t)
}

func (c *opCounter) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	c.count("find_by_id")
	return c.Store.FindTokenByID(ctx, id)
}

func (c *opCounter) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	c.count("save")
	return c.Store.SaveToken(ctx, t)
}

func (c *opCounter) DeleteToken(ctx context.Context, id string) error {
	c.count("delete")
	return c.Store.DeleteToken(ctx, id)
}

func (c *opCounter) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	c.count("tokens")
	return c.Store.Tokens(ctx)
}

func (c *opCounter) TokensAfter(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	c.count("tokens_after")
	return c.Store.(zohoauth.Pager).TokensAfter(ctx, after, limit)
}

func (c *opCounter) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	c.count("lock")
	return c.Store.(zohoauth.Locker).Lock(ctx, name, lease)
}

func (c *opCounter) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	c.count("swap")
	return c.Store.(zohoauth.CompareAndSwapper).SwapToken(ctx, old, t)
}

func (c *opCounter) Lifecycle(ctx context.Context, id string) (zohoauth.Lifecycle, error) {
	c.count("lifecycle")
	return c.Store.(zohoauth.LifecycleKeeper).Lifecycle(ctx, id)
}

func (c *opCounter) UpdateLifecycle(ctx context.Context, id string, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, error) {
	c.count("update_lifecycle")
	return c.Store.(zohoauth.LifecycleKeeper).UpdateLifecycle(ctx, id, fn)
}

func (c *opCounter) DeleteLifecycle(ctx context.Context, id string) error {
	c.count("delete_lifecycle")
	return c.Store.(zohoauth.LifecycleKeeper).DeleteLifecycle(ctx, id)
}

func (c *opCounter) LifecyclesAfter(ctx context.Context, after string, limit int) ([]zohoauth.Lifecycle, error) {
	c.count("lifecycles_after")
	return c.Store.(zohoauth.LifecycleKeeper).LifecyclesAfter(ctx, after, limit)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// BenchmarkSweep measures a sweep of ZOHOAUTH_SWEEP_TOKENS tokens (2000 by
// default; the report's figure is 100000) on SQLite and PostgreSQL, with a
// tenth of them idle (revoked at the emulator, deleted) and 1% orphan
// records: first a dry run (reads only), then the sweep that acts, each
// once (-benchtime=1x), with the store calls counted.
func BenchmarkSweep(b *testing.B) {
	n := 2000
	if v := os.Getenv("ZOHOAUTH_SWEEP_TOKENS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	for _, sc := range storeCases() {
		if sc.name != "sqlite" && sc.name != "postgres" {
			continue
		}
		b.Run(fmt.Sprintf("%s-%d", sc.name, n), func(b *testing.B) {
			raw := sc.url(b)
			raw = strings.Replace(raw, "table=zohoauth_cluster_test", "table=zohoauth_sweep_bench", 1)
			s := openStore(b, raw)
			seedStart := time.Now()
			idle := seedSweep(b, s, n, n/100)
			b.Logf("seeded %d tokens (%d idle) and %d orphans in %v", n, idle, n/100, time.Since(seedStart).Round(time.Millisecond))
			srv := zohotest.NewServer(zohotest.Options{})
			b.Cleanup(srv.Close)
			srv.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret})
			cs := &opCounter{Store: s}
			a, err := auth.New(cs, auth.Options{Accounts: &accounts.Client{Environment: environment(srv.URL)},
				Policies: auth.Policies{IdleTimeout: sweepIdle}})
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			for b.Loop() {
				for _, dry := range []bool{true, false} {
					cs.reset()
					rep, err := a.Sweep(context.Background(), auth.SweepOptions{DryRun: dry, Interval: time.Millisecond})
					if err != nil {
						b.Fatal(err)
					}
					ops, total := cs.counts()
					b.Logf("dry_run=%v: %d tokens, %d records, %d revoked, %d removed in %v; %d store calls: %s",
						dry, rep.Tokens, rep.Records, rep.Revoked, rep.Removed, rep.Duration.Round(time.Millisecond), total, ops)
					if rep.Tokens != n || rep.Revoked != idle {
						b.Fatalf("%+v", rep)
					}
					name := "act"
					if dry {
						name = "dry"
					}
					b.ReportMetric(rep.Duration.Seconds(), name+"-s")
					b.ReportMetric(float64(total), name+"-storecalls")
				}
			}
		})
	}
}
