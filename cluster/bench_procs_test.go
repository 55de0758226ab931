package cluster_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/redisstore"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/mysql"
	"github.com/zohoauth/zohoauth/sqlstore/postgres"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storeurl"
	"github.com/zohoauth/zohoauth/zohotest"
)

// Environment of a child of BenchmarkCoordinatedRefreshProcs.
const (
	envBenchChild = "ZOHOAUTH_BENCH_CHILD"
	envBenchPoll  = "ZOHOAUTH_BENCH_POLL" // "1": the store's waiters poll (WithoutLockWake)
)

// benchZohoDelay is the round trip the emulator adds to a refresh: Zoho's,
// roughly, from a server far from its data centre.
const benchZohoDelay = 100 * time.Millisecond

// benchStartDelay leaves the children time to start, open the store and
// read the token before it first expires.
const benchStartDelay = 2 * time.Second

// benchTTL is the lifetime of the emulator's access tokens: each round
// starts when the token of the round before expires.
const benchTTL = time.Second

// Environment of a child of BenchmarkCoordinatedRefreshProcs: the rounds
// it runs.
const envBenchRounds = "ZOHOAUTH_BENCH_ROUNDS"

// envBenchDebug, set, makes BenchmarkCoordinatedRefreshProcs print each
// child's rounds and the authenticators' debug records to stderr.
const envBenchDebug = "ZOHOAUTH_BENCH_DEBUG"

// BenchmarkCoordinatedRefreshProcs is BenchmarkCoordinatedRefresh across
// OS processes: 4 processes (re-executions of the test binary) × 250
// goroutines, each process with its own authenticators and store
// connections, ask for a token at the moment it expires, with a 100 ms
// Zoho round trip. One of them refreshes under the store lock; the others
// wait for the lock in another process, then read the new token.
//
// The processes live through all the rounds, as a fleet does (warm
// connections and prepared statements): the emulator's tokens live a
// second, and each round starts when the token of the round before
// expires. Rounds alternate between two authenticators of each process,
// over two stores on the same data: one whose lock waiters poll
// (WithoutLockWake: the stores as they were) and one whose waiters are
// woken by the holder's release (LISTEN/NOTIFY, pub/sub, GET_LOCK on the
// holder's named lock, a watched file). The first round of each is a
// warm-up, left out. Each iteration is one round of each.
//
// It reports, for each, the callers' p50 and p99 wait from the expiry
// divided by the round trip of the refresh to the emulator (measured by the
// process that made it, in the same rounds): p50/rtt and p99/rtt with
// wake-ups, poll-p50/rtt and poll-p99/rtt without. The memory store cannot
// be shared by processes: memory/in-process runs
// BenchmarkCoordinatedRefresh's 4 authenticators over one store in one
// process, the floor the others are held to.
func BenchmarkCoordinatedRefreshProcs(b *testing.B) {
	b.Run("memory/in-process", func(b *testing.B) {
		benchCoordinated(b, storeCase{"memory", func(testing.TB) string { return "memory:" }}, benchZohoDelay)
	})
	for _, sc := range storeCases() {
		b.Run(sc.name, func(b *testing.B) { benchProcs(b, ownTable(sc)) })
	}
}

// ownTable gives a SQL server's store case a table of this process's own,
// dropped at the end, so that the cluster tests of other processes on the
// same server (zohoauth_cluster_test) do not meet its tokens nor its locks.
func ownTable(sc storeCase) storeCase {
	if sc.name != "mysql" && sc.name != "postgres" {
		return sc
	}
	table := fmt.Sprintf("zohoauth_benchp_%d", os.Getpid())
	return storeCase{sc.name, func(t testing.TB) string {
		raw := strings.Replace(sc.url(t), "table=zohoauth_cluster_test", "table="+table, 1)
		t.Cleanup(func() {
			s, err := openURL(context.Background(), raw)
			if err != nil {
				return
			}
			defer s.Close()
			if db, ok := s.(*sqlstore.Store); ok {
				for _, suffix := range []string{"", sqlstore.LockTableSuffix, sqlstore.LifecycleTableSuffix} {
					_, _ = db.DB().ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table+suffix)
				}
			}
		})
		return raw
	}}
}

// procRound is what one child reported of one round.
type procRound struct {
	poll  bool
	waits []time.Duration // every caller's, from the expiry
	rtt   time.Duration   // of the refresh, when this child made it
	calls int             // token requests
}

func benchProcs(b *testing.B, sc storeCase) {
	// Zoho allows 10 refreshes per refresh token in 10 minutes: the
	// emulator's clock jumps past the window between two rounds. Tokens
	// live benchTTL of real time on the clients, whatever that clock says.
	clk := clock.NewFake(time.Now())
	c := newClusterWith(b, sc, clusterOptions{srv: zohotest.Options{Clock: clk, AccessTokenTTL: benchTTL}})
	c.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: benchZohoDelay, Times: -1})
	tick := time.NewTicker(benchTTL / 2)
	defer tick.Stop()
	stopTick := make(chan struct{})
	defer close(stopTick)
	go func() {
		for {
			select {
			case <-tick.C:
				clk.Advance(zohotest.LimitWindow + time.Minute)
			case <-stopTick:
				return
			}
		}
	}()
	rounds := 2 * (b.N + 1) // a warm-up round of each mode first
	c.expireAt(time.Now().Add(benchStartDelay))
	kids := make([]*exec.Cmd, procs)
	outs := make([]*strings.Builder, procs)
	reports := make([][]procRound, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	b.ResetTimer()
	for i := range kids {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBenchChild$", "-test.count=1")
		cmd.Env = append(os.Environ(),
			envBenchChild+"=1",
			envStore+"="+c.storeURL,
			envEmulator+"="+c.srv.URL,
			envID+"="+c.id,
			envBenchRounds+"="+strconv.Itoa(rounds),
		)
		outs[i] = &strings.Builder{}
		cmd.Stderr = &syncWriter{w: outs[i]}
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		kids[i] = cmd
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = parseBenchChild(bufio.NewScanner(out), rounds)
			if err := cmd.Wait(); err != nil && errs[i] == nil {
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	for i := range kids {
		if errs[i] != nil {
			b.Fatalf("child %d: %v\n%s", i, errs[i], outs[i].String())
		}
	}
	var sum [2]struct {
		waits []time.Duration
		rtt   time.Duration
		calls int
		n     int
	}
	for k := 2; k < rounds; k++ {
		mode := k % 2 // 0: polling, 1: woken
		s := &sum[mode]
		calls := 0
		for i := range kids {
			r := reports[i][k]
			s.waits = append(s.waits, r.waits...)
			s.rtt += r.rtt
			calls += r.calls
			if os.Getenv(envBenchDebug) != "" {
				w := slices.Clone(r.waits)
				slices.Sort(w)
				fmt.Fprintf(os.Stderr, "round %d poll=%v child %d calls=%d rtt=%v min=%v p50=%v max=%v\n", k, r.poll, i, r.calls, r.rtt, w[0], w[len(w)/2], w[len(w)-1])
			}
		}
		if calls != 1 {
			b.Errorf("round %d: %d token requests for one expiry, want 1", k, calls)
		}
		s.calls += calls
		s.n++
	}
	if os.Getenv(envBenchDebug) != "" {
		for i := range kids {
			fmt.Fprintf(os.Stderr, "child %d stderr:\n%s", i, outs[i].String())
		}
	}
	for mode, prefix := range []string{"poll-", ""} {
		s := sum[mode]
		if s.calls == 0 || s.rtt == 0 {
			b.Fatal("no refresh")
		}
		slices.Sort(s.waits)
		pct := func(p float64) time.Duration { return s.waits[int(p*float64(len(s.waits)-1))] }
		rtt := s.rtt / time.Duration(s.calls)
		b.ReportMetric(float64(pct(0.50))/float64(rtt), prefix+"p50/rtt")
		b.ReportMetric(float64(pct(0.99))/float64(rtt), prefix+"p99/rtt")
		b.ReportMetric(float64(pct(0.50).Microseconds())/1000, prefix+"wait-p50-ms")
		b.ReportMetric(float64(pct(0.99).Microseconds())/1000, prefix+"wait-p99-ms")
		b.ReportMetric(float64(rtt.Microseconds())/1000, prefix+"refresh-rtt-ms")
		b.ReportMetric(float64(s.calls)/float64(s.n), prefix+"token-calls/expiry")
	}
}

// parseBenchChild reads a child's report: for each round, a line
// "ROUND k poll|wake RTT-ns calls wait-ns…"; or ERROR text.
func parseBenchChild(sc *bufio.Scanner, rounds int) ([]procRound, error) {
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []procRound
	var err error
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 5 && f[0] == "ROUND":
			r := procRound{poll: f[2] == "poll"}
			ns, _ := strconv.ParseInt(f[3], 10, 64)
			r.rtt = time.Duration(ns)
			r.calls, _ = strconv.Atoi(f[4])
			for _, w := range f[5:] {
				ns, _ := strconv.ParseInt(w, 10, 64)
				r.waits = append(r.waits, time.Duration(ns))
			}
			if len(r.waits) != goroutines {
				return nil, fmt.Errorf("round %s: %d waits reported, want %d", f[1], len(r.waits), goroutines)
			}
			out = append(out, r)
		case len(f) > 0 && f[0] == "ERROR" && err == nil:
			err = fmt.Errorf("%s", sc.Text())
		}
	}
	if err == nil && len(out) != rounds {
		err = fmt.Errorf("%d rounds reported, want %d", len(out), rounds)
	}
	return out, err
}

// TestBenchChild is one process of BenchmarkCoordinatedRefreshProcs; it
// does nothing when run on its own.
func TestBenchChild(t *testing.T) {
	if os.Getenv(envBenchChild) != "1" {
		t.Skip("a child process of BenchmarkCoordinatedRefreshProcs")
	}
	ctx := context.Background()
	rounds, err := strconv.Atoi(os.Getenv(envBenchRounds))
	if err != nil {
		t.Fatal(err)
	}
	id := os.Getenv(envID)
	// Two authenticators, over a store whose lock waiters poll and one
	// whose waiters are woken; the rounds alternate.
	type side struct {
		h  *auth.Handle
		tm *timing
	}
	var sides [2]side
	for mode, open := range []func(context.Context, string) (storeurl.Store, error){openPolling, openURL} {
		s, err := open(ctx, os.Getenv(envStore))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		tm := &timing{}
		a := mustNew(s, auth.Options{
			Accounts: &accounts.Client{Environment: environment(os.Getenv(envEmulator)), HTTPClient: &http.Client{Transport: tm}},
			Margin:   time.Millisecond,
			Logger:   debugLogger(),
		})
		defer a.Close()
		sides[mode] = side{h: a.For(&zohoauth.Token{ID: id}), tm: tm}
	}
	var expiry time.Time
	for _, sd := range sides { // warm: the store's connection, the token in memory
		tok, err := sd.h.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		expiry = tok.Expiry
	}
	for k := range rounds {
		sd := sides[k%2]
		start := expiry.Add(5 * time.Millisecond) // expired, past the margin
		if time.Until(start) < 0 {
			fmt.Printf("ERROR round %d starts %v late\n", k, -time.Until(start))
			return
		}
		time.Sleep(time.Until(start))
		calls0, total0 := sd.tm.calls.Load(), sd.tm.total.Load()
		waits := make([]time.Duration, goroutines)
		errs := make([]error, goroutines)
		var wg sync.WaitGroup
		// Waits count from the round's start, the same instant in every
		// process: a process slow to get going waits longer.
		t0 := start
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				_, errs[g] = sd.h.AccessToken(cctx)
				waits[g] = time.Since(t0)
			}()
		}
		wg.Wait()
		var out strings.Builder
		for _, err := range errs {
			if err != nil {
				fmt.Fprintf(&out, "ERROR round %d: %s\n", k, strings.ReplaceAll(err.Error(), "\n", " "))
				break
			}
		}
		fmt.Fprintf(&out, "ROUND %d %s %d %d", k, map[bool]string{true: "poll", false: "wake"}[k%2 == 0],
			sd.tm.total.Load()-total0, sd.tm.calls.Load()-calls0)
		for _, w := range waits {
			fmt.Fprintf(&out, " %d", w.Nanoseconds())
		}
		fmt.Fprintln(&out)
		fmt.Print(out.String())
		tok, err := sd.h.Token(ctx)
		if err != nil {
			fmt.Printf("ERROR round %d: %s\n", k, err)
			return
		}
		expiry = tok.Expiry
	}
}

// debugLogger logs the authenticator's records to stderr when
// envBenchDebug is set (the benchmark prints them then).
func debugLogger() *slog.Logger {
	if os.Getenv(envBenchDebug) == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// openPolling opens raw as openURL does, with the store's lock waiters
// polling (WithoutLockWake): the stores as they were before their
// wake-ups.
func openPolling(ctx context.Context, raw string) (storeurl.Store, error) {
	sqlOpts := func(l *storeurl.Location) []sqlstore.Option {
		opts := []sqlstore.Option{sqlstore.WithoutLockWake()}
		if l.Table != "" {
			opts = append(opts, sqlstore.WithTable(l.Table))
		}
		return opts
	}
	sq, fs, my, pg, rd := sqlite.Scheme(), filestore.Scheme(), mysql.Scheme(), postgres.Scheme(), redisstore.Scheme()
	sq.Open = func(ctx context.Context, l *storeurl.Location) (storeurl.Store, error) {
		return sqlite.Open(ctx, l.Path, sqlOpts(l)...)
	}
	fs.Open = func(_ context.Context, l *storeurl.Location) (storeurl.Store, error) {
		return filestore.New(l.Path, filestore.WithoutLockWake())
	}
	my.Open = func(ctx context.Context, l *storeurl.Location) (storeurl.Store, error) {
		return mysql.Open(ctx, l.DSN, sqlOpts(l)...)
	}
	pg.Open = func(ctx context.Context, l *storeurl.Location) (storeurl.Store, error) {
		return postgres.Open(ctx, l.DSN, sqlOpts(l)...)
	}
	rd.Open = func(ctx context.Context, l *storeurl.Location) (storeurl.Store, error) {
		opts := []redisstore.Option{redisstore.WithoutLockWake()}
		if l.Prefix != "" {
			opts = append(opts, redisstore.WithPrefix(l.Prefix))
		}
		return redisstore.Open(ctx, l.DSN, opts...)
	}
	return storeurl.New(sq, fs, my, pg, rd, memory.Scheme()).Open(ctx, raw)
}
