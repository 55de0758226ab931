package redisstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
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
// and id in a store of 100k tokens, a save that updates a token, and, as
// the baseline of the same run, a bare HGETALL of one token's key on the
// same client: the cost of one round trip that reads one hash.
func BenchmarkFind(b *testing.B) {
	s := newBareStore(b)
	toks := make([]*zohoauth.Token, benchTokens)
	for i := range toks {
		toks[i] = benchToken(i)
	}
	load(b, s, toks)
	pick := func(i int) *zohoauth.Token { return toks[(i*7919)%benchTokens] }
	b.Run("baseline=hgetall", func(b *testing.B) {
		ctx := b.Context()
		i := 0
		for b.Loop() {
			if err := s.c.HGetAll(ctx, s.k.token(pick(i&1023).ID)).Err(); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	queries := []struct {
		name  string
		query func(t *zohoauth.Token) *zohoauth.Token
	}{
		{"user", func(t *zohoauth.Token) *zohoauth.Token { return &zohoauth.Token{UserName: t.UserName} }},
		{"refresh", func(t *zohoauth.Token) *zohoauth.Token {
			return &zohoauth.Token{ClientID: t.ClientID, ClientSecret: "s", RefreshToken: t.RefreshToken}
		}},
		{"access", func(t *zohoauth.Token) *zohoauth.Token { return &zohoauth.Token{AccessToken: t.AccessToken} }},
	}
	for _, q := range queries {
		b.Run("by="+q.name, func(b *testing.B) {
			ctx := b.Context()
			i := 0
			for b.Loop() {
				want := pick(i & 1023)
				got, err := s.FindToken(ctx, q.query(want))
				if err != nil || got.ID != want.ID {
					b.Fatalf("find %s: %v, %v", want.ID, got, err)
				}
				i++
			}
		})
	}
	b.Run("by=id", func(b *testing.B) {
		ctx := b.Context()
		i := 0
		for b.Loop() {
			if _, err := s.FindTokenByID(ctx, pick(i&1023).ID); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("save=update", func(b *testing.B) {
		ctx := b.Context()
		i := 0
		for b.Loop() {
			t := pick(i & 1023)
			if err := s.SaveToken(ctx, &zohoauth.Token{UserName: t.UserName, ClientID: t.ClientID, AccessToken: fmt.Sprint("1000.access.", i)}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
