package storekit

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// listenFunc returns a LockWait.Listen on ch that counts its calls and stops.
func listenFunc(ch chan struct{}, calls, stops *int) func(context.Context) (<-chan struct{}, func(), error) {
	return func(context.Context) (<-chan struct{}, func(), error) {
		*calls++
		return ch, func() { *stops++ }, nil
	}
}

func TestLockWaitListensAfterAFailedTryAndTriesAgain(t *testing.T) {
	var calls, stops, n int
	ch := make(chan struct{}, 1)
	// Polls an hour apart: the try right after subscribing takes the lock.
	err := LockWait{MinPoll: time.Hour, MaxPoll: time.Hour, Listen: listenFunc(ch, &calls, &stops)}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		n++
		if n == 1 && calls != 0 {
			t.Error("subscribed before the first try")
		}
		return n == 2, 0, nil
	})
	if err != nil || n != 2 || calls != 1 || stops != 1 {
		t.Fatalf("Wait = %v after %d tries, %d Listen, %d stops; want nil, 2, 1, 1", err, n, calls, stops)
	}
}

func TestLockWaitFreeLockCostsNoSubscription(t *testing.T) {
	var calls, stops int
	err := LockWait{Listen: listenFunc(make(chan struct{}), &calls, &stops)}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		return true, 0, nil
	})
	if err != nil || calls != 0 || stops != 0 {
		t.Fatalf("Wait = %v, %d Listen, %d stops; want nil, 0, 0", err, calls, stops)
	}
}

func TestLockWaitWokenByListen(t *testing.T) {
	var calls, stops, n int
	ch := make(chan struct{}, 1)
	err := LockWait{MinPoll: time.Hour, MaxPoll: time.Hour, ListenPoll: time.Hour, Listen: listenFunc(ch, &calls, &stops)}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		n++
		if n == 2 {
			go func() { ch <- struct{}{} }() // the holder in another process releases
		}
		return n == 3, 0, nil
	})
	if err != nil || n != 3 || stops != 1 {
		t.Fatalf("Wait = %v after %d tries, %d stops; want nil after 3, 1 stop", err, n, stops)
	}
}

// A wake-up is no grant: the waiter tries again, and waits on when the lock
// is still held (a wake-up for another lock, or one that came late).
func TestLockWaitRechecksAfterEachWakeUp(t *testing.T) {
	var calls, stops, n int
	ch := make(chan struct{}, 1)
	err := LockWait{MinPoll: time.Hour, MaxPoll: time.Hour, ListenPoll: time.Hour, Listen: listenFunc(ch, &calls, &stops)}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		n++
		if n >= 2 && n < 5 {
			go func() { ch <- struct{}{} }() // wake-ups for other locks
		}
		return n == 5, 0, nil
	})
	if err != nil || n != 5 {
		t.Fatalf("Wait = %v after %d tries, want nil after 5", err, n)
	}
}

// A subscription lost mid-wait (the listener's connection dropped) brings
// back polling at MaxPoll: the waiter does not hang on ListenPoll.
func TestLockWaitPollsWhenTheSubscriptionIsLost(t *testing.T) {
	var calls, stops, n int
	ch := make(chan struct{})
	err := LockWait{MinPoll: time.Millisecond, MaxPoll: time.Millisecond, ListenPoll: time.Hour, Listen: listenFunc(ch, &calls, &stops)}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		n++
		if n == 2 {
			close(ch)
		}
		return n == 6, 0, nil
	})
	if err != nil || n != 6 || stops != 1 {
		t.Fatalf("Wait = %v after %d tries, %d stops; want nil after 6, 1 stop", err, n, stops)
	}
}

// A wake-up lost (the holder killed before it notified) costs one fallback
// poll: ListenPoll bounds the wait.
func TestLockWaitFallbackPollWhileListening(t *testing.T) {
	var calls, stops, n int
	err := LockWait{MinPoll: time.Millisecond, MaxPoll: time.Hour, ListenPoll: time.Millisecond, Listen: listenFunc(make(chan struct{}), &calls, &stops)}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		n++
		return n == 4, 0, nil
	})
	if err != nil || n != 4 {
		t.Fatalf("Wait = %v after %d tries, want nil after 4", err, n)
	}
}

func TestLockWaitPollsWhenListenFails(t *testing.T) {
	n, calls := 0, 0
	err := LockWait{MinPoll: time.Millisecond, MaxPoll: time.Millisecond, ListenPoll: time.Hour, Listen: func(context.Context) (<-chan struct{}, func(), error) {
		calls++
		return nil, nil, errors.New("LISTEN refused")
	}}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		n++
		return n == 4, 0, nil
	})
	if err != nil || n != 4 || calls != 1 {
		t.Fatalf("Wait = %v after %d tries, %d Listen; want nil after 4, 1 Listen", err, n, calls)
	}
}

// fakeSub is a Listener.Run that counts its runs and exposes its heard.
type fakeSub struct {
	runs  atomic.Int32
	heard chan func()
	fail  chan error
}

func (f *fakeSub) run(ctx context.Context, ready, heard func()) error {
	f.runs.Add(1)
	ready()
	f.heard <- heard
	select {
	case <-ctx.Done():
		return nil
	case err := <-f.fail:
		return err
	}
}

func TestListenerSharesOneSubscription(t *testing.T) {
	var w Waker
	f := &fakeSub{heard: make(chan func(), 4), fail: make(chan error, 1)}
	l := &Listener{Run: f.run, Waker: &w}
	ctx := guard(t)
	done1, stop1, err := l.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	heard := <-f.heard
	_, stop2, err := l.Listen(ctx)
	if err != nil || f.runs.Load() != 1 {
		t.Fatalf("second Listen: %v, %d runs; want one shared run", err, f.runs.Load())
	}
	wake := w.next()
	heard()
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatal("a wake-up did not wake the store's waiters")
	}
	stop1()
	stop1() // twice: no effect
	select {
	case <-done1:
		t.Fatal("the subscription ended while a waiter still listens")
	default:
	}
	stop2()
	<-done1 // the last waiter left: it ends
	if _, stop3, err := l.Listen(ctx); err != nil || f.runs.Load() != 2 {
		t.Fatalf("Listen after the end: %v, %d runs; want a new run", err, f.runs.Load())
	} else {
		<-f.heard
		stop3()
	}
}

func TestListenerLostSubscription(t *testing.T) {
	var w Waker
	f := &fakeSub{heard: make(chan func(), 4), fail: make(chan error, 1)}
	l := &Listener{Run: f.run, Waker: &w}
	ctx := guard(t)
	done, stop, err := l.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	<-f.heard
	f.fail <- errors.New("connection reset")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a lost subscription was not reported to its waiter")
	}
	// The next waiter subscribes again.
	_, stop2, err := l.Listen(ctx)
	if err != nil || f.runs.Load() != 2 {
		t.Fatalf("Listen after a loss: %v, %d runs; want a new run", err, f.runs.Load())
	}
	<-f.heard
	stop2()
}

func TestListenerRunFailsBeforeReady(t *testing.T) {
	boom := errors.New("LISTEN: permission denied")
	l := &Listener{Run: func(context.Context, func(), func()) error { return boom }, Waker: &Waker{}}
	if _, _, err := l.Listen(guard(t)); !errors.Is(err, boom) {
		t.Fatalf("Listen = %v, want %v", err, boom)
	}
}

// Linger keeps the subscription for the next waiter, then ends it.
func TestListenerLinger(t *testing.T) {
	var w Waker
	f := &fakeSub{heard: make(chan func(), 4), fail: make(chan error, 1)}
	l := &Listener{Run: f.run, Waker: &w, Linger: time.Hour}
	ctx := guard(t)
	done, stop, err := l.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	<-f.heard
	stop()
	_, stop2, err := l.Listen(ctx)
	if err != nil || f.runs.Load() != 1 {
		t.Fatalf("Listen within the linger: %v, %d runs; want the same run", err, f.runs.Load())
	}
	stop2()
	select {
	case <-done:
		t.Fatal("ended within the linger")
	default:
	}
	l.Linger = time.Millisecond // the last leave's timer below is short
	_, stop3, err := l.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stop3()
	<-done // ended once the linger ran out with no waiter
}

func TestListenerClose(t *testing.T) {
	f := &fakeSub{heard: make(chan func(), 4), fail: make(chan error, 1)}
	l := &Listener{Run: f.run, Waker: &Waker{}, Linger: time.Hour}
	var zero Listener
	zero.Close() // nothing to end: no panic
	done, stop, err := l.Listen(guard(t))
	if err != nil {
		t.Fatal(err)
	}
	<-f.heard
	stop() // lingers for an hour…
	l.Close()
	<-done // …but Close ends it
}
