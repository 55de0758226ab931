package clock

import (
	"sort"
	"sync"
	"time"
)

// Fake is a Clock that only moves when told to, for tests. Advance and Set
// move it and call, in the calling goroutine and in order of their due time,
// the AfterFunc functions that fell due. A Fake is safe for concurrent use;
// the functions run without the Fake's lock held, so they may use the Fake.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer // pending, unordered
	seq    uint64
}

// NewFake returns a Fake that reads t0.
func NewFake(t0 time.Time) *Fake { return &Fake{now: t0} }

var _ Clock = (*Fake)(nil)

// Now returns the Fake's current time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f to run when the Fake has advanced by d. A d of zero
// or less makes f due at once: it runs at the next Advance or Set (even
// Advance(0)).
func (c *Fake) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, f: f}
	c.schedule(t, d)
	return t
}

// schedule adds t to the pending timers, due d after now. c.mu is held.
func (c *Fake) schedule(t *fakeTimer, d time.Duration) {
	c.seq++
	t.due, t.seq, t.pending = c.now.Add(d), c.seq, true
	c.timers = append(c.timers, t)
}

// Advance moves the Fake forward by d and runs the functions that fell due.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	t := c.now.Add(d)
	c.mu.Unlock()
	c.Set(t)
}

// Set moves the Fake to t (forward or back) and runs the functions due at t.
// Each function sees Now() equal to its own due time, or to t when that is
// later than the due time (a function scheduled in the past).
func (c *Fake) Set(t time.Time) {
	for {
		c.mu.Lock()
		next := c.popDue(t)
		if next == nil {
			c.now = t
			c.mu.Unlock()
			return
		}
		if next.due.After(c.now) {
			c.now = next.due
		}
		c.mu.Unlock()
		next.f()
	}
}

// popDue removes and returns the earliest pending timer due at or before t,
// or nil. c.mu is held.
func (c *Fake) popDue(t time.Time) *fakeTimer {
	best := -1
	for i, p := range c.timers {
		if p.due.After(t) {
			continue
		}
		if best < 0 || p.due.Before(c.timers[best].due) || (p.due.Equal(c.timers[best].due) && p.seq < c.timers[best].seq) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	p := c.timers[best]
	c.timers = append(c.timers[:best], c.timers[best+1:]...)
	p.pending = false
	return p
}

// Pending returns the due times of the timers that have not run yet, in
// order.
func (c *Fake) Pending() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Time, 0, len(c.timers))
	for _, p := range c.timers {
		out = append(out, p.due)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

type fakeTimer struct {
	c       *Fake
	f       func()
	due     time.Time
	seq     uint64
	pending bool // guarded by c.mu
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	return t.remove()
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.remove()
	t.c.schedule(t, d)
	return was
}

// remove takes t off the pending list. t.c.mu is held.
func (t *fakeTimer) remove() bool {
	if !t.pending {
		return false
	}
	for i, p := range t.c.timers {
		if p == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			break
		}
	}
	t.pending = false
	return true
}
