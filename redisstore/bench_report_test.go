package redisstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storetest"
)

// reportStore is a filled store of n tokens under a prefix of its own.
type reportStore struct {
	n    int
	s    *Store
	toks []*zohoauth.Token
	r    *rand.Rand
}

func reportStores(b *testing.B) []*reportStore {
	b.Helper()
	var out []*reportStore
	for _, n := range storetest.BenchSizes(1_000, 100_000) {
		s := newBareStore(b)
		toks := make([]*zohoauth.Token, n)
		for i := range toks {
			toks[i] = benchToken(i)
		}
		load(b, s, toks)
		out = append(out, &reportStore{n: n, s: s, toks: toks, r: rand.New(rand.NewPCG(4, uint64(n)))})
	}
	if len(out) == 0 {
		b.Skip("ZOHOAUTH_BENCH_ROWS names no size")
	}
	return out
}

// interleave runs op and bare once for every store in each iteration, in
// alternating order, and reports ns/NAME-SIZE, ns/bare-SIZE, x-bare-SIZE
// (op ÷ bare) and x-size (op at the largest size ÷ at the smallest).
func interleave(b *testing.B, stores []*reportStore, name string, op, bare func(ctx context.Context, rs *reportStore, t *zohoauth.Token, i int) error) {
	ctx := b.Context()
	opTime := make([]time.Duration, len(stores))
	bareTime := make([]time.Duration, len(stores))
	for i := 0; b.Loop(); i++ {
		for k, rs := range stores {
			t := rs.toks[rs.r.IntN(rs.n)]
			first, second := op, bare
			if i%2 == 1 {
				first, second = bare, op
			}
			t0 := time.Now()
			if err := first(ctx, rs, t, i); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if err := second(ctx, rs, t, i); err != nil {
				b.Fatal(err)
			}
			t2 := time.Now()
			if i%2 == 0 {
				opTime[k] += t1.Sub(t0)
				bareTime[k] += t2.Sub(t1)
			} else {
				bareTime[k] += t1.Sub(t0)
				opTime[k] += t2.Sub(t1)
			}
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
	for k, rs := range stores {
		l := storetest.SizeLabel(rs.n)
		b.ReportMetric(per(opTime[k]), "ns/"+name+"-"+l)
		b.ReportMetric(per(bareTime[k]), "ns/bare-"+l)
		b.ReportMetric(per(opTime[k])/per(bareTime[k]), "x-bare-"+l)
	}
	b.ReportMetric(per(opTime[len(opTime)-1])/per(opTime[0]), "x-size")
}

// BenchmarkReportFind measures the finds by id, user name and refresh token
// in stores of several sizes (reportSizes) against a baseline in the same
// run: a bare HGETALL of the token's hash on the same client, one round
// trip that reads one token. Every iteration times, for every size, one
// find and one HGETALL of the same random token in alternating order.
// Metrics: see interleave.
func BenchmarkReportFind(b *testing.B) {
	stores := reportStores(b)
	hgetall := func(ctx context.Context, rs *reportStore, t *zohoauth.Token, _ int) error {
		return rs.s.c.HGetAll(ctx, rs.s.k.token(t.ID)).Err()
	}
	found := func(t *zohoauth.Token, got *zohoauth.Token, err error) error {
		if err == nil && got.ID != t.ID {
			err = fmt.Errorf("found id %s, want %s", got.ID, t.ID)
		}
		return err
	}
	ops := []struct {
		name string
		op   func(ctx context.Context, rs *reportStore, t *zohoauth.Token, i int) error
	}{
		{"by-id", func(ctx context.Context, rs *reportStore, t *zohoauth.Token, _ int) error {
			got, err := rs.s.FindTokenByID(ctx, t.ID)
			return found(t, got, err)
		}},
		{"by-user", func(ctx context.Context, rs *reportStore, t *zohoauth.Token, _ int) error {
			got, err := rs.s.FindToken(ctx, &zohoauth.Token{UserName: t.UserName})
			return found(t, got, err)
		}},
		{"by-refresh", func(ctx context.Context, rs *reportStore, t *zohoauth.Token, _ int) error {
			got, err := rs.s.FindToken(ctx, &zohoauth.Token{ClientID: t.ClientID, ClientSecret: "s", RefreshToken: t.RefreshToken})
			return found(t, got, err)
		}},
	}
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) { interleave(b, stores, "find", o.op, hgetall) })
	}
}

// BenchmarkReportSave measures a save that updates one user's access token
// and expiry in stores of several sizes (reportSizes) against a baseline in
// the same run: a bare HSET of the same two fields of the token's hash on
// the same client, one round trip that writes one token. Every iteration
// times, for every size, one save and one HSET of the same random token in
// alternating order. Metrics: see interleave.
func BenchmarkReportSave(b *testing.B) {
	stores := reportStores(b)
	expiry := func(t *zohoauth.Token, i int) time.Time { return t.Expiry.Add(time.Duration(i+1) * time.Second) }
	save := func(ctx context.Context, rs *reportStore, t *zohoauth.Token, i int) error {
		return rs.s.SaveToken(ctx, &zohoauth.Token{UserName: t.UserName, ClientID: t.ClientID,
			AccessToken: fmt.Sprintf("1000.%032x.access2", i), Expiry: expiry(t, i)})
	}
	hset := func(ctx context.Context, rs *reportStore, t *zohoauth.Token, i int) error {
		return rs.s.c.HSet(ctx, rs.s.k.token(t.ID), "access_token", fmt.Sprintf("1000.%032x.access3", i),
			"expiry_time", storekit.FormatExpiry(expiry(t, i))).Err()
	}
	interleave(b, stores, "save", save, hset)
}
