// Package clock is the time source of zohoauth: the system clock for
// programs and a Fake, moved by hand, for tests.
//
// The authenticator learns of a token's expiry from a timer (AfterFunc)
// rather than by reading the clock on every call, so a Clock has both: Now,
// and AfterFunc. The emulator (zohotest) only needs Now, so a single Fake can
// drive both sides of a test.
package clock

import "time"

// Clock tells the time and schedules functions.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f once, after at least d has passed on this clock,
	// and returns a Timer that can cancel it. The system clock calls f in
	// its own goroutine; Fake calls it from Advance or Set.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call if it has not happened yet. It reports
	// whether it did prevent it.
	Stop() bool
	// Reset reschedules the call to happen d from now (again, if it had
	// already happened). It reports whether the timer was still pending.
	Reset(d time.Duration) bool
}

// System returns the real clock of the machine (time.Now, time.AfterFunc).
func System() Clock { return system{} }

type system struct{}

func (system) Now() time.Time { return time.Now() }

func (system) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
