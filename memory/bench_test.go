package memory_test

import (
	"fmt"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storetest"
)

// filled returns a store of n tokens of distinct users, loaded through
// storekit.Table.Insert (the benchmarks measure finds, not the fill).
func filled(b *testing.B, n int) (*memory.Store, []*zohoauth.Token) {
	b.Helper()
	s := memory.New()
	toks := storetest.Tokens(n)
	if err := s.Load(toks); err != nil {
		b.Fatal(err)
	}
	return s, toks
}

// BenchmarkFind measures a find by each key and by id at 1k, 100k and 1M
// tokens. The time at 1M stays within 2x of the time at 1k, and a hit
// allocates only the returned copy (1 alloc/op).
func BenchmarkFind(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		s, toks := filled(b, n)
		queries := map[string]func(t *zohoauth.Token) *zohoauth.Token{
			"user":   func(t *zohoauth.Token) *zohoauth.Token { return &zohoauth.Token{UserName: t.UserName} },
			"access": func(t *zohoauth.Token) *zohoauth.Token { return &zohoauth.Token{AccessToken: t.AccessToken} },
			"refresh": func(t *zohoauth.Token) *zohoauth.Token {
				return &zohoauth.Token{ClientID: t.ClientID, ClientSecret: "s", RefreshToken: t.RefreshToken}
			},
		}
		for _, key := range []string{"user", "access", "refresh"} {
			qs := make([]*zohoauth.Token, 1024)
			for i := range qs {
				qs[i] = queries[key](toks[(i*7919)%n])
			}
			b.Run(fmt.Sprintf("by=%s/n=%d", key, n), func(b *testing.B) {
				ctx := b.Context()
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := s.FindToken(ctx, qs[i&1023]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
		ids := make([]string, 1024)
		for i := range ids {
			ids[i] = toks[(i*7919)%n].ID
		}
		b.Run(fmt.Sprintf("by=id/n=%d", n), func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.FindTokenByID(ctx, ids[i&1023]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
