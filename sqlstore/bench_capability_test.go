package sqlstore_test

import (
	"context"
	"database/sql"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storetest"
)

// benchToken returns the token of row i of fill, without its id.
func benchToken(i int) *zohoauth.Token {
	return &zohoauth.Token{
		UserName: benchUser(i), ClientID: "1000.CLIENTID", ClientSecret: benchSecret("s", i%7),
		RefreshToken: benchSecret("r", i), AccessToken: benchSecret("a", i),
		Expiry: time.UnixMilli(1795879420612 + int64(i)), RedirectURL: "https://example.com/oauth/callback", APIDomain: "https://www.zohoapis.com",
	}
}

func cloneAll(list []*zohoauth.Token) []*zohoauth.Token {
	out := make([]*zohoauth.Token, len(list))
	for i, t := range list {
		out[i] = t.Clone()
	}
	return out
}

// BenchmarkSaveTokens measures SaveTokens of a batch of n tokens
// (ZOHOAUTH_BENCH_BATCH, default 10,000) into an empty table and into a
// table that holds n other users (the batch's rows read with IN lists),
// against the bare driver's multi-row INSERT of the same rows in the same
// iteration, and against SaveToken one by one (200 tokens). Metrics:
// tokens/s of each, and x-bare (SaveTokens' time ÷ the bare INSERT's).
func BenchmarkSaveTokens(b *testing.B) {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("ZOHOAUTH_BENCH_BATCH")); err == nil && v > 0 {
		n = v
	}
	const single = 200
	toks := make([]*zohoauth.Token, 2*n+single)
	for i := range toks {
		toks[i] = benchToken(i)
	}
	for _, e := range engines() {
		if e.name == "sqlite-memory" {
			continue
		}
		b.Run(e.name, func(b *testing.B) {
			s := e.open(b)
			ctx := context.Background()
			clear := func() {
				if err := s.DeleteTokens(ctx); err != nil {
					b.Fatal(err)
				}
			}
			var bare, empty, disjoint, one time.Duration
			for b.Loop() {
				t0 := time.Now()
				insertBare(b, s, n)
				bare += time.Since(t0)
				clear()

				first, second := cloneAll(toks[:n]), cloneAll(toks[n:2*n])
				t0 = time.Now()
				if err := s.SaveTokens(ctx, first); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := s.SaveTokens(ctx, second); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				for _, t := range cloneAll(toks[2*n:]) {
					if err := s.SaveToken(ctx, t); err != nil {
						b.Fatal(err)
					}
				}
				one += time.Since(t2)
				empty += t1.Sub(t0)
				disjoint += t2.Sub(t1)
				if second[n-1].ID != strconv.Itoa(2*n) {
					b.Fatalf("last id %s, want %d", second[n-1].ID, 2*n)
				}
				clear()
			}
			rate := func(tokens int, d time.Duration) float64 { return float64(tokens*b.N) / d.Seconds() }
			b.ReportMetric(rate(n, bare), "tokens/s-bare")
			b.ReportMetric(rate(n, empty), "tokens/s-into-empty")
			b.ReportMetric(rate(n, disjoint), "tokens/s-into-"+storetest.SizeLabel(n))
			b.ReportMetric(rate(single, one), "tokens/s-one-by-one")
			b.ReportMetric(float64(empty)/float64(bare), "x-bare-empty")
			b.ReportMetric(float64(disjoint)/float64(bare), "x-bare-"+storetest.SizeLabel(n))
		})
	}
}

// BenchmarkLockUnlock measures an uncontended Lock and Unlock against the
// bare driver's single-row SELECT by primary key, interleaved in the same
// iterations. Metrics: ns/lock-unlock, ns/bare and x-bare.
func BenchmarkLockUnlock(b *testing.B) {
	for _, e := range engines() {
		b.Run(e.name, func(b *testing.B) {
			s := e.open(b)
			ctx := context.Background()
			insertBare(b, s, 1)
			bare, err := s.DB().PrepareContext(ctx, "SELECT id, user_name, client_id, client_secret, refresh_token, access_token, grant_token, expiry_time, redirect_url, api_domain FROM "+
				s.Table()+" WHERE id = "+ph(s.Dialect(), 1))
			if err != nil {
				b.Fatal(err)
			}
			defer bare.Close()
			var v [10]sql.NullString
			var lockTime, bareTime time.Duration
			for b.Loop() {
				t0 := time.Now()
				lk, err := s.Lock(ctx, storekit.LockName("1"), 10*time.Second)
				if err != nil {
					b.Fatal(err)
				}
				if err := lk.Unlock(ctx); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := bare.QueryRowContext(ctx, "1").Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]); err != nil {
					b.Fatal(err)
				}
				lockTime += t1.Sub(t0)
				bareTime += time.Since(t1)
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
			b.ReportMetric(per(lockTime), "ns/lock-unlock")
			b.ReportMetric(per(bareTime), "ns/bare")
			b.ReportMetric(per(lockTime)/per(bareTime), "x-bare")
		})
	}
}

// BenchmarkSwapRefresh measures the SwapToken of a refresh (a new access
// token and expiry: one conditional UPDATE) against the SwapToken of a
// token that changes one more column, which runs the transaction under the
// table's write lock (read, compare, plan, update), interleaved in the same
// iterations on one row (storetest.BenchSwapRefresh). Metrics: ns/refresh,
// ns/transaction and x-transaction (refresh ÷ transaction).
func BenchmarkSwapRefresh(b *testing.B) {
	for _, e := range engines() {
		b.Run(e.name, func(b *testing.B) {
			s := e.open(b)
			cur := &zohoauth.Token{UserName: "u@example.com:1", ClientID: "1000.C", ClientSecret: "cs", RefreshToken: "1000.refresh.r",
				AccessToken: "1000.access.0", Expiry: time.UnixMilli(1795879420612), RedirectURL: "https://example.com/a", APIDomain: "https://www.zohoapis.com"}
			if err := s.SaveToken(b.Context(), cur); err != nil {
				b.Fatal(err)
			}
			storetest.BenchSwapRefresh(b, s, cur)
		})
	}
}
