package storetest

import (
	"runtime"
	"testing"
	"time"
)

// TestThreadTimeCountsWork checks the thread clock advances by the work
// the thread does and not by time spent waiting.
func TestThreadTimeCountsWork(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0, ok := ThreadTime()
	if !ok {
		t.Skip("no thread CPU clock on this system")
	}
	time.Sleep(50 * time.Millisecond)
	t1, _ := ThreadTime()
	if d := t1 - t0; d > 25*time.Millisecond {
		t.Fatalf("a 50ms sleep used %v of thread CPU time", d)
	}
	x := uint64(1)
	for start := time.Now(); time.Since(start) < 20*time.Millisecond; {
		for range 1000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	t2, _ := ThreadTime()
	if t2 <= t1 {
		t.Fatalf("20ms of work did not advance the thread clock (%v then %v, %d)", t1, t2, x)
	}
}
