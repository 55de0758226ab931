package storekit

import (
	"context"
	"errors"
	"fmt"
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
	// Listen, when set, subscribes the waiter to the wake-ups that other
	// processes send when they release a lock of the store (PostgreSQL's
	// NOTIFY, a Redis PUBLISH, a change of a lease file). Wait calls it
	// once, after a first try that failed, and tries again before it
	// waits, so that a lock free at the first try costs no subscription
	// and a release between that try and the subscription is not missed.
	// Listen returns once the subscription is in place, with a channel
	// that receives when a lock may have been released, or nil when the
	// wake-ups come through Waker, and a function that ends the
	// subscription, which Wait calls before it returns. The channel is
	// closed when the subscription is lost (a dropped connection). An
	// error from Listen does not end the wait: the waiter polls.
	//
	// A wake-up is a hint, never a grant. It may be for another lock,
	// come late, or never come: a holder killed before it notified, a
	// listener connection dropped, a lease that simply ran out. So the
	// waiter tries again after each wake-up, and keeps polling while it
	// listens, at ListenPoll at most: a lost wake-up costs one poll, it
	// never hangs a waiter.
	Listen func(ctx context.Context) (<-chan struct{}, func(), error)
	// ListenPoll, when positive, replaces MaxPoll while Listen's
	// subscription is in place: the fallback poll of a waiter that is
	// woken when the lock is released. A lost subscription brings back
	// MaxPoll.
	ListenPoll time.Duration
	// Done, when set, is the check of LockChecker.LockUnless:
	// Wait calls it after each wait, before it tries again, and returns
	// an error matching ErrLockUnneeded when it reports true.
	Done func(ctx context.Context) (bool, error)
}

// Try is one attempt of a store to take a lock. It reports whether it took
// the lock. When it did not, retryIn, if positive, is how long the lease it
// met still runs, and bounds the next wait. An error ends the wait; a failure
// that trying again may cure (a deadlock reported by the database, a lease
// file busy for a moment) is reported as (false, 0, nil).
type Try func(ctx context.Context) (taken bool, retryIn time.Duration, err error)

// Wait calls try until it takes the lock (nil), try fails (try's error),
// Done finds the lock no longer needed (ErrLockUnneeded), or ctx is
// done (ctx.Err()). ctx is checked before each try, and a try that
// fails once ctx is done reports ctx.Err() rather than its own error. A
// lock taken by a try that returned true is the caller's even if ctx ended
// meanwhile; a store that must not keep it then gives it back in its Try.
// The error is returned as it is: the store wraps it in its own.
func (w LockWait) Wait(ctx context.Context, try Try) error {
	poll, maxPoll := w.MinPoll, w.MaxPoll
	var (
		tried bool            // a first try failed: time to listen
		heard <-chan struct{} // Listen's channel; nil when none or lost
	)
	// lost: Listen's subscription is gone, polls catch releases again.
	lost := func() {
		heard, w.MaxPoll, poll = nil, maxPoll, w.MinPoll
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if tried && w.Listen != nil {
			ch, stop, err := w.Listen(ctx)
			w.Listen = nil // one subscription per wait, made or failed
			if err == nil {
				defer stop()
				heard = ch
				if w.ListenPoll > 0 {
					// Polls now only catch lost wake-ups.
					w.MaxPoll = max(w.ListenPoll, w.MinPoll)
				}
			}
		}
		var wake <-chan struct{}
		if w.Waker != nil {
			wake = w.Waker.next() // before the try: a release after it wakes us
		}
		if heard != nil {
			select { // a wake-up from before the try: the try sees its release
			case _, ok := <-heard:
				if !ok {
					lost()
				}
			default:
			}
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
		if !tried && w.Listen != nil {
			tried = true
			continue // listen, then try again before waiting
		}
		tried = true
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
		case _, ok := <-heard:
			if !ok {
				lost()
			}
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if w.Done != nil && ctx.Err() == nil {
			done, err := w.Done(ctx)
			if err != nil {
				return fmt.Errorf("check before trying again: %w", err)
			}
			if done {
				return ErrLockUnneeded
			}
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

// Listener shares one subscription to the wake-ups of a store between the
// goroutines of the store that wait for its locks (LockWait.Listen): the
// first waiter starts it, the last one to leave ends it (after Linger),
// and each wake-up
// it hears wakes Waker, whose waiters all try again. A subscription lost
// (its Run failed) is reported to its waiters, who poll; the next waiter
// starts a new one. Set Run and Waker before first use; a Listener must
// not be copied after first use.
type Listener struct {
	// Run subscribes, on a connection of its own, calls ready once the
	// subscription is in place (before that, a wake-up may be missed),
	// then calls heard for each wake-up until ctx is done, and returns
	// then; any other return ends the subscription, with its error.
	Run func(ctx context.Context, ready, heard func()) error
	// Waker is the store's, woken by each wake-up.
	Waker *Waker
	// Linger keeps the subscription this long after its last waiter left,
	// for the next one: a fleet whose token expires everywhere at once
	// waits again and again, and a new subscription (a new connection to
	// the database) at each expiry would cost every process, at the
	// moment the refresh runs, what the wake-up saves. Zero ends it at
	// once.
	Linger time.Duration

	mu  sync.Mutex
	cur *listening // the running subscription, nil when none
}

// listening is one run of a Listener's subscription.
type listening struct {
	users  int
	cancel context.CancelFunc
	ready  chan struct{} // closed once subscribed
	done   chan struct{} // closed when Run returned
	err    error         // Run's, set before done closes
}

// Listen joins the subscription, starting it if needed, and returns once it
// is in place; it is a LockWait.Listen. Its channel is closed when the
// subscription ends: wake-ups come through Waker.
func (l *Listener) Listen(ctx context.Context) (<-chan struct{}, func(), error) {
	l.mu.Lock()
	cur := l.cur
	if cur == nil {
		rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cur = &listening{cancel: cancel, ready: make(chan struct{}), done: make(chan struct{})}
		l.cur = cur
		go l.run(rctx, cur)
	}
	cur.users++
	l.mu.Unlock()
	var once sync.Once
	stop := func() { once.Do(func() { l.leave(cur) }) }
	select {
	case <-cur.ready:
		return cur.done, stop, nil
	case <-cur.done:
		stop()
		return nil, nil, cur.err
	case <-ctx.Done():
		stop()
		return nil, nil, ctx.Err()
	}
}

func (l *Listener) run(ctx context.Context, cur *listening) {
	var once sync.Once
	err := l.Run(ctx, func() { once.Do(func() { close(cur.ready) }) }, l.Waker.Wake)
	if err == nil && ctx.Err() == nil {
		err = errors.New("subscription ended")
	}
	l.mu.Lock()
	if l.cur == cur {
		l.cur = nil // the next waiter subscribes again
	}
	l.mu.Unlock()
	cur.err = err
	close(cur.done)
}

// leave is a waiter's stop: the last one ends the subscription.
func (l *Listener) leave(cur *listening) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur.users--
	if cur.users > 0 {
		return
	}
	if l.Linger <= 0 {
		l.end(cur)
		return
	}
	time.AfterFunc(l.Linger, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if cur.users == 0 {
			l.end(cur)
		}
	})
}

// end ends the subscription cur; l.mu is held.
func (l *Listener) end(cur *listening) {
	cur.cancel()
	if l.cur == cur {
		l.cur = nil
	}
}

// Close ends the subscription at once, lingering or not, for a store's
// Close; waiters still subscribed are told it is lost, and poll. A later
// Listen subscribes again.
func (l *Listener) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != nil {
		l.end(l.cur)
	}
}
