package clock_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/clock"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestFakeNowAdvanceSet(t *testing.T) {
	c := clock.NewFake(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("Now = %v, want %v", got, t0)
	}
	c.Advance(time.Minute)
	if got := c.Now(); !got.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after Advance: %v", got)
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Fatalf("after Set back: %v", got)
	}
}

func TestFakeAfterFuncOrderAndNow(t *testing.T) {
	c := clock.NewFake(t0)
	var got []string
	var seen []time.Time
	rec := func(name string) func() {
		return func() { got = append(got, name); seen = append(seen, c.Now()) }
	}
	c.AfterFunc(3*time.Second, rec("c"))
	c.AfterFunc(time.Second, rec("a"))
	c.AfterFunc(2*time.Second, rec("b1"))
	c.AfterFunc(2*time.Second, rec("b2")) // same due time: scheduling order
	c.AfterFunc(time.Hour, rec("late"))
	c.Advance(1500 * time.Millisecond)
	if len(got) != 1 || got[0] != "a" {
		t.Fatalf("after 1.5s ran %v, want [a]", got)
	}
	c.Advance(2 * time.Second)
	want := []string{"a", "b1", "b2", "c"}
	if len(got) != len(want) {
		t.Fatalf("ran %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ran %v, want %v", got, want)
		}
	}
	if !seen[1].Equal(t0.Add(2*time.Second)) || !seen[3].Equal(t0.Add(3*time.Second)) {
		t.Fatalf("functions saw Now %v, want their due times", seen)
	}
	if !c.Now().Equal(t0.Add(3500 * time.Millisecond)) {
		t.Fatalf("Now after Advance = %v", c.Now())
	}
	if p := c.Pending(); len(p) != 1 || !p[0].Equal(t0.Add(time.Hour)) {
		t.Fatalf("Pending = %v", p)
	}
}

func TestFakeStopReset(t *testing.T) {
	c := clock.NewFake(t0)
	var n atomic.Int32
	tm := c.AfterFunc(time.Second, func() { n.Add(1) })
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer = false")
	}
	if tm.Stop() {
		t.Fatal("second Stop = true")
	}
	c.Advance(time.Hour)
	if n.Load() != 0 {
		t.Fatal("stopped timer ran")
	}
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a stopped timer reported pending")
	}
	c.Advance(999 * time.Millisecond)
	if n.Load() != 0 {
		t.Fatal("ran early")
	}
	c.Advance(time.Millisecond)
	if n.Load() != 1 {
		t.Fatal("reset timer did not run")
	}
	if tm.Reset(time.Minute) {
		t.Fatal("Reset after the run reported pending")
	}
	if !tm.Stop() {
		t.Fatal("Reset after run did not re-arm")
	}
}

func TestFakeZeroAndNegativeDelay(t *testing.T) {
	c := clock.NewFake(t0)
	ran := 0
	c.AfterFunc(0, func() { ran++ })
	c.AfterFunc(-time.Second, func() { ran++ })
	c.Advance(0)
	if ran != 2 {
		t.Fatalf("ran %d, want 2", ran)
	}
}

func TestFakeCallbackMaySchedule(t *testing.T) {
	c := clock.NewFake(t0)
	var ticks int
	var tick func()
	tick = func() {
		ticks++
		c.AfterFunc(time.Second, tick) // must not deadlock
	}
	c.AfterFunc(time.Second, tick)
	c.Advance(5 * time.Second)
	if ticks != 5 {
		t.Fatalf("ticks = %d, want 5", ticks)
	}
}

func TestFakeConcurrent(t *testing.T) {
	c := clock.NewFake(t0)
	var n atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 100 {
				tm := c.AfterFunc(time.Duration(i+j)*time.Millisecond, func() { n.Add(1) })
				if j%3 == 0 {
					tm.Stop()
				}
				_ = c.Now()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 100 {
			c.Advance(time.Millisecond)
		}
	}()
	wg.Wait()
	c.Advance(time.Hour)
	if len(c.Pending()) != 0 {
		t.Fatalf("timers left: %d", len(c.Pending()))
	}
	if n.Load() == 0 {
		t.Fatal("no timer ran")
	}
}

func TestSystem(t *testing.T) {
	c := clock.System()
	before := time.Now()
	if now := c.Now(); now.Before(before) {
		t.Fatalf("System Now %v before %v", now, before)
	}
	done := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("system AfterFunc never ran")
	}
	tm := c.AfterFunc(time.Hour, func() { t.Error("ran") })
	if !tm.Stop() {
		t.Fatal("Stop = false")
	}
}
