package cluster_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/zohotest"
)

// countingStore counts the operations of a store that is a Locker and a
// CompareAndSwapper, and forwards both capabilities (a plain wrapper would
// hide them, and the authenticator would neither lock nor guard its saves).
type countingStore struct {
	s   zohoauth.Store
	l   zohoauth.Locker
	cas zohoauth.CompareAndSwapper
	ops atomic.Int64 // every call below, a lock's Extend and Unlock included
	n   struct{ lock, read, swap, save atomic.Int64 }
}

var (
	_ zohoauth.Locker            = (*countingStore)(nil)
	_ zohoauth.CompareAndSwapper = (*countingStore)(nil)
)

func newCountingStore(s zohoauth.Store) *countingStore {
	return &countingStore{s: s, l: s.(zohoauth.Locker), cas: s.(zohoauth.CompareAndSwapper)}
}

func (c *countingStore) FindToken(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	c.ops.Add(1)
	c.n.read.Add(1)
	return c.s.FindToken(ctx, t)
}

func (c *countingStore) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	c.ops.Add(1)
	c.n.read.Add(1)
	return c.s.FindTokenByID(ctx, id)
}

func (c *countingStore) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	c.ops.Add(1)
	c.n.save.Add(1)
	return c.s.SaveToken(ctx, t)
}

func (c *countingStore) DeleteToken(ctx context.Context, id string) error {
	c.ops.Add(1)
	return c.s.DeleteToken(ctx, id)
}

func (c *countingStore) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	c.ops.Add(1)
	return c.s.Tokens(ctx)
}

func (c *countingStore) DeleteTokens(ctx context.Context) error {
	c.ops.Add(1)
	return c.s.DeleteTokens(ctx)
}

func (c *countingStore) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	c.ops.Add(1)
	c.n.swap.Add(1)
	return c.cas.SwapToken(ctx, old, t)
}

func (c *countingStore) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	c.ops.Add(1)
	c.n.lock.Add(1)
	lk, err := c.l.Lock(ctx, name, lease)
	if err != nil {
		return nil, err
	}
	return &countingLock{c: c, lk: lk}, nil
}

type countingLock struct {
	c  *countingStore
	lk zohoauth.Lock
}

func (l *countingLock) Extend(ctx context.Context, lease time.Duration) error {
	l.c.ops.Add(1)
	return l.lk.Extend(ctx, lease)
}

func (l *countingLock) Unlock(ctx context.Context) error {
	l.c.ops.Add(1)
	return l.lk.Unlock(ctx)
}

// timing measures the round trips to the token endpoint.
type timing struct {
	calls atomic.Int64
	total atomic.Int64 // ns
}

func (tm *timing) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := http.DefaultTransport.RoundTrip(r)
	if r.URL.Path == "/oauth/v2/token" {
		tm.calls.Add(1)
		tm.total.Add(int64(time.Since(start)))
	}
	return resp, err
}

// BenchmarkCoordinatedRefresh: 4 authenticators (the processes of a
// fleet, in one process here so that a fake clock can expire the token)
// × 250 goroutines over one store ask for a token that just expired. Each
// iteration is one expiry. It reports how long the callers wait (p50, p99)
// against the round trip of the one refresh to the emulator measured in
// the same iterations, how many token requests an expiry costs, and how
// many store operations (locks, extensions and releases included) one
// coordinated refresh costs.
func BenchmarkCoordinatedRefresh(b *testing.B) {
	cases := append([]storeCase{{"memory", func(testing.TB) string { return "memory:" }}}, storeCases()...)
	for _, sc := range cases {
		// Loopback, and a Zoho-like round trip (an injected delay).
		for _, delay := range []time.Duration{0, 100 * time.Millisecond} {
			b.Run(sc.name+"/zoho-delay="+delay.String(), func(b *testing.B) { benchCoordinated(b, sc, delay) })
		}
	}
}

func benchCoordinated(b *testing.B, sc storeCase, delay time.Duration) {
	ctx := context.Background()
	raw := openStore(b, sc.url(b))
	if err := raw.DeleteTokens(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = raw.DeleteTokens(context.Background()) })
	store := newCountingStore(raw)
	clk := clock.NewFake(time.Now())
	srv := zohotest.NewServer(zohotest.Options{Clock: clk})
	b.Cleanup(srv.Close)
	srv.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret})
	srv.AddUser(zohotest.User{Email: email, ZGID: "7001"})
	code, err := srv.IssueGrant(clientID, email)
	if err != nil {
		b.Fatal(err)
	}
	tm := &timing{}
	opts := auth.Options{
		Accounts: &accounts.Client{Environment: srv.Environment(), HTTPClient: &http.Client{Transport: tm}},
		Clock:    clk,
	}
	login := mustNew(store, opts)
	h0, err := login.Login(ctx, &zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, GrantToken: code}, "")
	_ = login.Close()
	if err != nil {
		b.Fatal(err)
	}
	handles := make([]*auth.Handle, procs)
	for i := range handles {
		a := mustNew(store, opts)
		b.Cleanup(func() { _ = a.Close() })
		handles[i] = a.For(&zohoauth.Token{ID: h0.ID()})
		if _, err := handles[i].AccessToken(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if delay > 0 {
		srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: delay, Times: -1})
	}
	tm.calls.Store(0)
	tm.total.Store(0)
	ops0, locks0, reads0 := store.ops.Load(), store.n.lock.Load(), store.n.read.Load()
	var waits []time.Duration
	b.ResetTimer()
	for b.Loop() {
		clk.Advance(2 * time.Hour) // the token expires in every "process"
		lat := make([]time.Duration, procs*goroutines)
		var wg sync.WaitGroup
		start := make(chan struct{})
		var t0 time.Time
		for p := range procs {
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					if _, err := handles[p].AccessToken(ctx); err != nil {
						b.Error(err)
					}
					lat[p*goroutines+g] = time.Since(t0)
				}()
			}
		}
		t0 = time.Now()
		close(start)
		wg.Wait()
		waits = append(waits, lat...)
	}
	b.StopTimer()
	expiries := float64(b.N)
	calls := float64(tm.calls.Load())
	if calls == 0 {
		b.Fatal("no refresh")
	}
	slices.Sort(waits)
	pct := func(p float64) time.Duration { return waits[int(p*float64(len(waits)-1))] }
	rtt := time.Duration(float64(tm.total.Load()) / calls)
	b.ReportMetric(calls/expiries, "token-calls/expiry")
	b.ReportMetric(float64(rtt.Microseconds())/1000, "refresh-rtt-ms")
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "wait-p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "wait-p99-ms")
	b.ReportMetric(float64(pct(0.50))/float64(rtt), "p50/rtt")
	b.ReportMetric(float64(pct(0.99))/float64(rtt), "p99/rtt")
	b.ReportMetric(float64(store.ops.Load()-ops0)/calls, "store-ops/refresh")
	b.ReportMetric(float64(store.n.lock.Load()-locks0)/calls, "locks/refresh")
	b.ReportMetric(float64(store.n.read.Load()-reads0)/calls, "reads/refresh")
}
