package storekit

import (
	"context"
	mrand "math/rand/v2"
	"sync"
	"time"
)

// LockWait is how a store's zohoauth.Locker waits while another owner holds
// a lock: it tries to take the lock, and between two tries it waits for a
// poll interval, for a wake-up from its own store, or for the end of the
// lease it met, whichever comes first, until ctx is done. Every store of
// this module waits with it; what differs from store to store is in the
// fields and in the store's Try.
type LockWait struct {
	// MinPoll and MaxPoll bound the wait between two tries. Each wait is
	// drawn at random, so that the waiters of many processes do not poll
	// in step: uniformly from MinPoll up to MaxPoll, or, with Backoff,
	// half to all of a wait that starts at MinPoll and doubles up to
	// MaxPoll. A zero MaxPoll means no polling: the wait ends with the
	// lease the try met (its retryIn), a wake-up or ctx.
	MinPoll, MaxPoll time.Duration
	// Backoff makes the waits grow, as above.
	Backoff bool
	// Waker, when set, is the store's: its Unlock calls Waker.Wake, and the
	// goroutines waiting for a lock of the store try again at once.
	Waker *Waker
}

// Try is one attempt of a store to take a lock. It reports whether it took
// the lock. When it did not, retryIn, if positive, is how long the lease it
// met still runs, and bounds the next wait. An error ends the wait; a failure
// that trying again may cure (a deadlock reported by the database, a lease
// file busy for a moment) is reported as (false, 0, nil).
type Try func(ctx context.Context) (taken bool, retryIn time.Duration, err error)

// Wait calls try until it takes the lock (nil), try fails (try's error), or
// ctx is done (ctx.Err()). ctx is checked before each try, and a try that
// fails once ctx is done reports ctx.Err() rather than its own error. A
// lock taken by a try that returned true is the caller's even if ctx ended
// meanwhile; a store that must not keep it then gives it back in its Try.
// The error is returned as it is: the store wraps it in its own.
func (w LockWait) Wait(ctx context.Context, try Try) error {
	poll := w.MinPoll
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var wake <-chan struct{}
		if w.Waker != nil {
			wake = w.Waker.next() // before the try: a release after it wakes us
		}
		taken, retryIn, err := try(ctx)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			return err
		}
		if taken {
			return nil
		}
		d := w.pause(&poll)
		if retryIn > 0 && (d <= 0 || retryIn < d) {
			d = retryIn
		}
		var timer *time.Timer
		var fire <-chan time.Time
		if d > 0 {
			timer = time.NewTimer(d)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// pause returns the next poll interval (0 for none); poll is the current
// step of a backoff, which it advances.
func (w LockWait) pause(poll *time.Duration) time.Duration {
	switch {
	case w.MaxPoll <= 0:
		return 0
	case w.Backoff:
		d := *poll/2 + time.Duration(mrand.Int64N(int64(*poll/2)+1))
		*poll = min(*poll*2, w.MaxPoll)
		return d
	case w.MaxPoll > w.MinPoll:
		return w.MinPoll + mrand.N(w.MaxPoll-w.MinPoll)
	}
	return w.MinPoll
}

// Waker wakes the goroutines that wait, in LockWait, for a lock of one
// store when the store releases one of its locks. The zero Waker is ready
// to use; it must not be copied after first use.
type Waker struct {
	mu sync.Mutex
	ch chan struct{} // closed by the next Wake; nil until someone waits
}

// next returns the channel that the next Wake closes.
func (w *Waker) next() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

// Wake wakes every goroutine waiting for a lock of the store. A store calls
// it after it released a lock.
func (w *Waker) Wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
}
