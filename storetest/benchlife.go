package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// BenchLifecycle measures the cost of lifecycle records in s, which must be
// a zohoauth.LifecycleKeeper holding background tokens or not (the caller
// fills it). Each iteration saves two new tokens, gives one of them a
// record (UpdateLifecycle of Failures and LastError), and deletes both, in
// alternating order, so that every figure comes from the same moments:
//
//	ns/save           SaveToken of a new token
//	ns/update         UpdateLifecycle of a token's first record
//	ns/update-again   UpdateLifecycle of a record that exists
//	ns/delete-bare    DeleteToken of a token without a record
//	ns/delete-cascade DeleteToken of a token with a record (the cascade)
//	x-cascade         delete-cascade ÷ delete-bare
//	x-update-save     update-again ÷ save
//
// delete-bare runs the cascade's code too (a store does not know in advance
// that a token has no record): it is the floor of today's DeleteToken, not
// the code before the capability.
func BenchLifecycle(b *testing.B, s zohoauth.Store) {
	k, ok := s.(zohoauth.LifecycleKeeper)
	if !ok {
		b.Fatal("the store is not a zohoauth.LifecycleKeeper")
	}
	ctx := b.Context()
	var save, update, again, bare, cascade time.Duration
	n := 0
	bump := func(l *zohoauth.Lifecycle) error {
		l.Failures++
		l.LastError = "timeout"
		l.LastFailureAt = time.Now()
		return nil
	}
	for i := 0; b.Loop(); i++ {
		var ids [2]string
		for j := range ids {
			n++
			t := &zohoauth.Token{UserName: fmt.Sprintf("bench-life-%d@example.com:%d", n, n), ClientID: "1000.BENCH",
				RefreshToken: fmt.Sprintf("1000.refresh.bench.%d", n), AccessToken: fmt.Sprintf("1000.access.bench.%d", n),
				Expiry: time.UnixMilli(1795879420612)}
			t0 := time.Now()
			if err := s.SaveToken(ctx, t); err != nil {
				b.Fatal(err)
			}
			save += time.Since(t0)
			ids[j] = t.ID
		}
		withRecord, without := ids[i%2], ids[1-i%2]
		t0 := time.Now()
		if _, err := k.UpdateLifecycle(ctx, withRecord, bump); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := k.UpdateLifecycle(ctx, withRecord, bump); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		update += t1.Sub(t0)
		again += t2.Sub(t1)
		order := []string{withRecord, without}
		if i%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, id := range order {
			t0 := time.Now()
			if err := s.DeleteToken(ctx, id); err != nil {
				b.Fatal(err)
			}
			d := time.Since(t0)
			if id == withRecord {
				cascade += d
			} else {
				bare += d
			}
		}
	}
	per := func(d time.Duration, k int) float64 { return float64(d.Nanoseconds()) / float64(b.N*k) }
	b.ReportMetric(per(save, 2), "ns/save")
	b.ReportMetric(per(update, 1), "ns/update")
	b.ReportMetric(per(again, 1), "ns/update-again")
	b.ReportMetric(per(bare, 1), "ns/delete-bare")
	b.ReportMetric(per(cascade, 1), "ns/delete-cascade")
	b.ReportMetric(per(cascade, 1)/per(bare, 1), "x-cascade")
	b.ReportMetric(per(again, 1)/per(save, 2), "x-update-save")
}

// FillLifecycles fills s, a zohoauth.LifecycleKeeper, with n new tokens
// (storetest.Tokens, saved with zohoauth.SaveAll) and gives the first
// withRecord of them a lifecycle record: the background of BenchLifecycle.
func FillLifecycles(b testing.TB, s zohoauth.Store, n, withRecord int) {
	b.Helper()
	k, ok := s.(zohoauth.LifecycleKeeper)
	if !ok {
		b.Fatal("the store is not a zohoauth.LifecycleKeeper")
	}
	toks := Tokens(n)
	for _, t := range toks {
		t.ID = ""
	}
	if err := zohoauth.SaveAll(b.Context(), s, toks); err != nil {
		b.Fatal(err)
	}
	for _, t := range toks[:withRecord] {
		if _, err := k.UpdateLifecycle(b.Context(), t.ID, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil }); err != nil {
			b.Fatal(fmt.Errorf("record %s: %w", t.ID, err))
		}
	}
}
