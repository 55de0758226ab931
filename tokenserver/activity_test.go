package tokenserver

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/auth"
)

func TestActivityBars(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	a := NewActivity(10*time.Minute, time.Hour) // 6 bars
	rec := func(k auth.EventKind, at time.Time) { a.Record(ctx, auth.Event{Kind: k, Time: at}) }

	rec(auth.EventRefreshed, t0.Add(-2*time.Hour)) // outside the span by the time it is read
	rec(auth.EventRefreshed, t0)
	rec(auth.EventRefreshed, t0.Add(time.Minute))
	rec(auth.EventRefreshFailed, t0.Add(9*time.Minute))
	rec(auth.EventSaved, t0)       // not a refresh
	rec(auth.EventReauthorize, t0) // not counted either
	rec(auth.EventRefreshFailed, t0.Add(35*time.Minute))

	bars := a.Bars(t0.Add(50 * time.Minute))
	if len(bars) != 6 {
		t.Fatalf("%d bars, want 6", len(bars))
	}
	want := []ActivityBar{
		{t0, 2, 1}, {t0.Add(10 * time.Minute), 0, 0}, {t0.Add(20 * time.Minute), 0, 0},
		{t0.Add(30 * time.Minute), 0, 1}, {t0.Add(40 * time.Minute), 0, 0}, {t0.Add(50 * time.Minute), 0, 0},
	}
	for i := range want {
		if !bars[i].Start.Equal(want[i].Start) || bars[i].Refreshed != want[i].Refreshed || bars[i].Failed != want[i].Failed {
			t.Errorf("bar %d = %+v, want %+v", i, bars[i], want[i])
		}
	}

	// An hour later the ring has wrapped: the old buckets are gone, not
	// counted again under a new start.
	later := t0.Add(70 * time.Minute)
	rec(auth.EventRefreshed, later)
	rec(auth.EventRefreshed, t0.Add(5*time.Minute)) // too old for its slot now: dropped
	bars = a.Bars(later)
	total := 0
	for _, b := range bars {
		total += b.Refreshed + b.Failed
	}
	if total != 2 || bars[5].Refreshed != 1 || bars[1].Failed != 1 || !bars[0].Start.Equal(t0.Add(20*time.Minute)) {
		t.Errorf("after the wrap: %+v", bars)
	}
}

func TestActivityConcurrent(t *testing.T) {
	a := NewActivity(0, 0)
	now := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				a.Record(context.Background(), auth.Event{Kind: auth.EventRefreshed, Time: now})
				_ = a.Bars(now)
			}
		}()
	}
	wg.Wait()
	bars := a.Bars(now)
	if len(bars) != int(DefaultActivitySpan/DefaultActivityBucket) || bars[len(bars)-1].Refreshed != 4000 {
		t.Errorf("%d bars, last %+v; want %d bars, 4000 refreshes", len(bars), bars[len(bars)-1], DefaultActivitySpan/DefaultActivityBucket)
	}
}
