package storetest

import (
	"strconv"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// BenchSwapRefresh measures the guarded save (SwapToken) of a refresh in s,
// which must be a zohoauth.CompareAndSwapper holding cur (saved by the
// caller), against the guarded save of a token that changes one more column
// (the redirect URL), interleaved in the same iterations on cur's row. A
// store may swap a refresh, a new access token and expiry alone, more
// cheaply than any other save (sqlstore: one conditional UPDATE instead of
// a transaction under the table's write lock):
//
//	ns/refresh      SwapToken of a refresh
//	ns/transaction  SwapToken of a save that changes one more column
//	x-transaction   refresh ÷ transaction
func BenchSwapRefresh(b *testing.B, s zohoauth.Store, cur *zohoauth.Token) {
	cas, ok := s.(zohoauth.CompareAndSwapper)
	if !ok {
		b.Fatal("the store is not a zohoauth.CompareAndSwapper")
	}
	ctx := b.Context()
	var fast, tx time.Duration
	i := 0
	swap := func(other bool) time.Duration {
		i++
		in := cur.Clone()
		in.AccessToken, in.Expiry = "1000.access."+strconv.Itoa(i), cur.Expiry.Add(time.Second)
		if other {
			in.RedirectURL = "https://example.com/" + strconv.Itoa(i)
		}
		t0 := time.Now()
		if err := cas.SwapToken(ctx, cur, in); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		cur = in
		return d
	}
	for b.Loop() {
		fast += swap(false)
		tx += swap(true)
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
	b.ReportMetric(per(fast), "ns/refresh")
	b.ReportMetric(per(tx), "ns/transaction")
	b.ReportMetric(per(fast)/per(tx), "x-transaction")
}
