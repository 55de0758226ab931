package redisstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// benchTokens is the size of the store the benchmarks search.
const benchTokens = 100_000

// load writes tokens with their ids as they are (no saving rules), a
// thousand per transaction, through the store's own write path.
func load(tb testing.TB, s *Store, toks []*zohoauth.Token) {
	tb.Helper()
	for start := 0; start < len(toks); start += 1000 {
		chunk := toks[start:min(start+1000, len(toks))]
		err := s.update(context.Background(), MsgSaveToken, func(_ context.Context, v *view) error {
			for _, t := range chunk {
				v.inserts[t.ID] = true
				v.stage(t.ID, t.Clone())
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

func benchToken(i int) *zohoauth.Token {
	return &zohoauth.Token{
		ID:           fmt.Sprint(i + 1),
		UserName:     fmt.Sprintf("user%d@example.com:%d", i, 50000+i),
		ClientID:     "1000.CLIENT",
		ClientSecret: "secret",
		RefreshToken: fmt.Sprintf("1000.%032x.refresh", i),
		AccessToken:  fmt.Sprintf("1000.%032x.access", i),
		Expiry:       time.UnixMilli(1795879420612),
		APIDomain:    "https://www.zohoapis.com",
	}
}

// BenchmarkFind measures a find by user name, refresh token, access token
// and id in a store of 100k tokens, an uncontended Lock and Unlock, and a
// save that updates a token, each
// against a baseline in the same run: a bare HGETALL of one token's key on
// the same client, the cost of one round trip that reads one hash. Each
// iteration runs the operation and the baseline one after the other, so
// that the ratio (the "x-hgetall" metric) holds on a loaded machine whose
// speed drifts; "op-ns" and "hgetall-ns" are the two times per operation.
func BenchmarkFind(b *testing.B) {
	benchFind(b, newBareStore(b), benchTokens)
}

// BenchmarkClusterFind is BenchmarkFind on a Redis Cluster (10k tokens),
// each operation against a bare HGETALL of one token through the same
// ClusterClient; the save also against a bare HSET of a hash of 10 fields
// ("x-hset").
func BenchmarkClusterFind(b *testing.B) {
	benchFind(b, newClusterBareStore(b), 10_000)
}

func benchFind(b *testing.B, s *Store, benchTokens int) {
	toks := make([]*zohoauth.Token, benchTokens)
	for i := range toks {
		toks[i] = benchToken(i)
	}
	load(b, s, toks)
	pick := func(i int) *zohoauth.Token { return toks[(i*7919)%benchTokens] }
	find := func(q func(t *zohoauth.Token) *zohoauth.Token) func(ctx context.Context, i int) error {
		return func(ctx context.Context, i int) error {
			want := pick(i)
			got, err := s.FindToken(ctx, q(want))
			if err == nil && got.ID != want.ID {
				err = fmt.Errorf("found id %s, want %s", got.ID, want.ID)
			}
			return err
		}
	}
	ops := []struct {
		name string
		op   func(ctx context.Context, i int) error
	}{
		{"by=user", find(func(t *zohoauth.Token) *zohoauth.Token { return &zohoauth.Token{UserName: t.UserName} })},
		{"by=refresh", find(func(t *zohoauth.Token) *zohoauth.Token {
			return &zohoauth.Token{ClientID: t.ClientID, ClientSecret: "s", RefreshToken: t.RefreshToken}
		})},
		{"by=access", find(func(t *zohoauth.Token) *zohoauth.Token { return &zohoauth.Token{AccessToken: t.AccessToken} })},
		{"by=id", func(ctx context.Context, i int) error {
			_, err := s.FindTokenByID(ctx, pick(i).ID)
			return err
		}},
		{"lock+unlock", func(ctx context.Context, i int) error {
			lk, err := s.Lock(ctx, storekit.LockName(pick(i).ID), time.Second)
			if err != nil {
				return err
			}
			return lk.Unlock(ctx)
		}},
		{"save=update", func(ctx context.Context, i int) error {
			t := pick(i)
			return s.SaveToken(ctx, &zohoauth.Token{UserName: t.UserName, ClientID: t.ClientID, AccessToken: fmt.Sprint("1000.access.", i)})
		}},
	}
	for _, o := range ops {
		b.Run(o.name, func(b *testing.B) {
			ctx := b.Context()
			var opTime, baseTime, hsetTime time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				if err := o.op(ctx, i&1023); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				if err := s.c.HGetAll(ctx, s.k.token(pick(i&1023).ID)).Err(); err != nil {
					b.Fatal(err)
				}
				opTime += mid.Sub(start)
				baseTime += time.Since(mid)
				if o.name == "save=update" {
					mid = time.Now()
					if err := s.c.HSet(ctx, s.k.prefix+"bench-hset", encode(pick(i&1023))...).Err(); err != nil {
						b.Fatal(err)
					}
					hsetTime += time.Since(mid)
				}
				i++
			}
			b.ReportMetric(float64(opTime)/float64(i), "op-ns")
			b.ReportMetric(float64(baseTime)/float64(i), "hgetall-ns")
			b.ReportMetric(float64(opTime)/float64(baseTime), "x-hgetall")
			if hsetTime > 0 {
				b.ReportMetric(float64(opTime)/float64(hsetTime), "x-hset")
			}
		})
	}
}
