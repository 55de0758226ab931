package tokenserver

import (
	"context"
	"sync"
	"time"

	"github.com/zohoauth/zohoauth/auth"
)

// Defaults of an Activity.
const (
	// DefaultActivityBucket is the width of one bar of the console's chart.
	DefaultActivityBucket = 10 * time.Minute
	// DefaultActivitySpan is how far back the chart goes.
	DefaultActivitySpan = 24 * time.Hour
)

// Activity counts an Authenticator's refreshes and failed refreshes over
// time, for the console's chart. Give its Record method to the
// Authenticator as auth.Options.OnEvent (or call it from the program's own
// hook) and the Activity to Config.Activity.
//
// It keeps what this process saw since it started, in fixed buckets over a
// sliding span (DefaultActivitySpan, in DefaultActivityBucket bars): other
// instances of the service count their own, and a restart starts an empty
// chart. The facts that outlive a process are the store's lifecycle records
// (zohoauth.LifecycleKeeper), which the console shows per token. Its memory
// is fixed: span/bucket counters, whatever the number of events.
type Activity struct {
	bucket time.Duration
	mu     sync.Mutex
	slots  []activitySlot // a ring: slot i holds the bucket whose index mod len is i
}

type activitySlot struct {
	index     int64 // bucket index (unix time / bucket) the counts belong to
	refreshed int
	failed    int
}

// NewActivity returns an empty Activity with buckets of width bucket over
// span; zero values mean DefaultActivityBucket and DefaultActivitySpan.
func NewActivity(bucket, span time.Duration) *Activity {
	if bucket <= 0 {
		bucket = DefaultActivityBucket
	}
	if span < bucket {
		span = DefaultActivitySpan
		if span < bucket {
			span = bucket
		}
	}
	n := int((span + bucket - 1) / bucket)
	return &Activity{bucket: bucket, slots: make([]activitySlot, n)}
}

// Record counts ev when it is a refresh (auth.EventRefreshed) or a failed
// refresh (auth.EventRefreshFailed) at ev.Time; other kinds are ignored. Its
// signature is that of auth.Options.OnEvent. It never blocks for long and
// holds no part of the event.
func (a *Activity) Record(_ context.Context, ev auth.Event) {
	if ev.Kind != auth.EventRefreshed && ev.Kind != auth.EventRefreshFailed {
		return
	}
	idx := ev.Time.UnixNano() / int64(a.bucket)
	a.mu.Lock()
	defer a.mu.Unlock()
	s := &a.slots[mod(idx, len(a.slots))]
	if s.index != idx {
		if s.index > idx {
			return // older than the span the ring holds
		}
		*s = activitySlot{index: idx}
	}
	if ev.Kind == auth.EventRefreshed {
		s.refreshed++
	} else {
		s.failed++
	}
}

// ActivityBar is one bucket of an Activity: the refreshes and failed
// refreshes that happened in [Start, Start+width).
type ActivityBar struct {
	Start     time.Time
	Refreshed int
	Failed    int
}

// Bars returns the buckets of the span that ends with the bucket holding
// now, oldest first, one per bucket (zero counts where nothing happened).
func (a *Activity) Bars(now time.Time) []ActivityBar {
	last := now.UnixNano() / int64(a.bucket)
	first := last - int64(len(a.slots)) + 1
	out := make([]ActivityBar, 0, len(a.slots))
	a.mu.Lock()
	defer a.mu.Unlock()
	for idx := first; idx <= last; idx++ {
		b := ActivityBar{Start: time.Unix(0, idx*int64(a.bucket)).UTC()}
		if s := a.slots[mod(idx, len(a.slots))]; s.index == idx {
			b.Refreshed, b.Failed = s.refreshed, s.failed
		}
		out = append(out, b)
	}
	return out
}

func mod(i int64, n int) int {
	m := int(i % int64(n))
	if m < 0 {
		m += n
	}
	return m
}
