//go:build unix

package storetest

import (
	"time"

	"golang.org/x/sys/unix"
)

// ThreadTime returns the CPU time the calling OS thread has used, and
// whether the system tells it. A benchmark that locks its goroutine to its
// thread (runtime.LockOSThread) and reads ThreadTime around a block of
// operations measures the time the block ran, without the time the thread
// waited for a CPU: on a machine loaded by other processes, wall-clock
// figures grow with the load, thread CPU time much less so (what remains is
// the caches the other processes evict).
func ThreadTime() (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
