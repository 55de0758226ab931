package sealed_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storetest"
)

const benchTokens = 100_000

// BenchmarkFind measures a find by user and by refresh token at 100k
// tokens on the bare store (the baseline, in the same run), through the
// wrapper, and through the wrapper without its cache of recent
// encryptions (every find then runs AES-SIV: one encryption of the query
// value and one decryption per secret field). The goal is at most 1.3x the
// bare store.
func BenchmarkFind(b *testing.B) {
	toks := storetest.Tokens(benchTokens)
	queries := map[string]func(t *zohoauth.Token) *zohoauth.Token{
		"user": func(t *zohoauth.Token) *zohoauth.Token { return &zohoauth.Token{UserName: t.UserName} },
		"refresh": func(t *zohoauth.Token) *zohoauth.Token {
			return &zohoauth.Token{ClientID: t.ClientID, ClientSecret: "s", RefreshToken: t.RefreshToken}
		},
	}
	for _, kind := range []string{"memory", "sqlite"} {
		for _, variant := range []string{"bare", "sealed", "sealed-nocache"} {
			// The store is filled only when one of its benchmarks runs, and
			// the garbage of filling it is collected before the timing.
			b.Run(fmt.Sprintf("store=%s/%s", kind, variant), func(b *testing.B) {
				s := benchStore(b, kind, variant, toks)
				runtime.GC()
				for _, by := range []string{"user", "refresh"} {
					qs := make([]*zohoauth.Token, 1024)
					for i := range qs {
						qs[i] = queries[by](toks[(i*7919)%benchTokens])
					}
					b.Run("by="+by, func(b *testing.B) {
						ctx := b.Context()
						b.ReportAllocs()
						i := 0
						for b.Loop() {
							got, err := s.FindToken(ctx, qs[i&1023])
							if err != nil {
								b.Fatal(err)
							}
							if got.RefreshToken == "" {
								b.Fatal("no refresh token")
							}
							i++
						}
					})
				}
			})
		}
	}
}

// benchStore returns a store of benchTokens tokens: bare, or encrypted
// through the wrapper (with or without its cache).
func benchStore(b *testing.B, kind, variant string, toks []*zohoauth.Token) zohoauth.Store {
	b.Helper()
	ctx := context.Background()
	var inner zohoauth.Store
	switch kind {
	case "memory":
		inner = memory.New()
	case "sqlite":
		s, err := sqlite.Open(ctx, sqlite.Memory)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		inner = s
	}
	s := inner
	if variant != "bare" {
		var opts []sealed.KeyringOption
		if variant == "sealed-nocache" {
			opts = append(opts, sealed.WithCacheSize(0))
		}
		keys, _ := newKeyring(b, opts...)
		s = sealed.New(inner, keys)
	}
	for start := 0; start < len(toks); start += 10_000 {
		batch := make([]*zohoauth.Token, 0, 10_000)
		for _, t := range toks[start : start+10_000] {
			batch = append(batch, t.Clone())
		}
		if err := zohoauth.SaveAll(ctx, s, batch); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkSwapRefresh measures, through the wrapper over the SQL stores,
// the guarded save of a refresh (a new access token and expiry: the SQL
// store's one-statement swap, when the guard is the stored row) against
// that of a save that changes one more column (the transaction under the
// table's write lock), interleaved in the same iterations on one row
// (storetest.BenchSwapRefresh). Metrics: ns/refresh, ns/transaction and
// x-transaction (refresh ÷ transaction).
func BenchmarkSwapRefresh(b *testing.B) {
	for _, bk := range backends() {
		if bk.name != "sqlite-file" && bk.name != "mysql" && bk.name != "postgres" {
			continue
		}
		b.Run(bk.name, func(b *testing.B) {
			keys, _ := newKeyring(b)
			inner, _ := bk.open(b)
			s := sealed.New(inner, keys)
			cur := secretToken(1)
			if err := s.SaveToken(b.Context(), cur); err != nil {
				b.Fatal(err)
			}
			storetest.BenchSwapRefresh(b, s, cur)
		})
	}
}
