package storekit

import (
	"context"
	"errors"
	"testing"
	"time"
)

// guard bounds a test that would otherwise wait for ever: a wait that does
// not end as it should fails the test with ctx's deadline instead of hanging.
func guard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestLockWaitTakesAtFirstTry(t *testing.T) {
	n := 0
	err := LockWait{MinPoll: time.Hour, MaxPoll: time.Hour}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		n++
		return true, 0, nil
	})
	if err != nil || n != 1 {
		t.Fatalf("Wait = %v after %d tries, want nil after 1", err, n)
	}
}

func TestLockWaitEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(guard(t))
	n := 0
	err := LockWait{MinPoll: time.Hour, MaxPoll: time.Hour}.Wait(ctx, func(context.Context) (bool, time.Duration, error) {
		n++
		cancel() // the caller gives up while the lock is held
		return false, 0, nil
	})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("Wait = %v after %d tries, want context.Canceled after 1", err, n)
	}
}

func TestLockWaitDoneContextTriesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := LockWait{}.Wait(ctx, func(context.Context) (bool, time.Duration, error) {
		t.Fatal("tried with a done context")
		return true, 0, nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}

func TestLockWaitReportsContextOverTryError(t *testing.T) {
	ctx, cancel := context.WithCancel(guard(t))
	err := LockWait{}.Wait(ctx, func(context.Context) (bool, time.Duration, error) {
		cancel()
		return false, 0, errors.New("connection closed by the cancel")
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}

func TestLockWaitReturnsTryError(t *testing.T) {
	boom := errors.New("boom")
	n := 0
	err := LockWait{MinPoll: time.Hour, MaxPoll: time.Hour}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		n++
		return false, 0, boom
	})
	if err != boom || n != 1 {
		t.Fatalf("Wait = %v after %d tries, want boom after 1", err, n)
	}
}

func TestLockWaitWokenByRelease(t *testing.T) {
	var w Waker
	n := 0
	// Polls an hour apart: only the wake-up can end the wait in time.
	err := LockWait{MinPoll: time.Hour, MaxPoll: time.Hour, Waker: &w}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		n++
		if n == 1 {
			go w.Wake() // the holder releases after this try saw the lock held
			return false, 0, nil
		}
		return true, 0, nil
	})
	if err != nil || n != 2 {
		t.Fatalf("Wait = %v after %d tries, want nil after 2", err, n)
	}
}

func TestLockWaitUntilLeaseEnds(t *testing.T) {
	n := 0
	// No polling and no waker: only retryIn can end the wait in time.
	err := LockWait{}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		n++
		return n == 2, time.Millisecond, nil
	})
	if err != nil || n != 2 {
		t.Fatalf("Wait = %v after %d tries, want nil after 2", err, n)
	}
}

func TestWakeWithoutWaiters(t *testing.T) {
	var w Waker
	w.Wake() // nothing to wake: no panic
	c := w.next()
	w.Wake()
	select {
	case <-c:
	default:
		t.Fatal("Wake did not close the channel of a waiter")
	}
}

func TestLockWaitPauses(t *testing.T) {
	uniform := LockWait{MinPoll: 10 * time.Millisecond, MaxPoll: 50 * time.Millisecond}
	step := uniform.MinPoll
	for range 1000 {
		if d := uniform.pause(&step); d < uniform.MinPoll || d >= uniform.MaxPoll {
			t.Fatalf("uniform pause %v, want [%v, %v)", d, uniform.MinPoll, uniform.MaxPoll)
		}
	}
	backoff := LockWait{MinPoll: 10 * time.Millisecond, MaxPoll: 50 * time.Millisecond, Backoff: true}
	for range 100 {
		step := backoff.MinPoll
		for _, want := range []time.Duration{10, 20, 40, 50, 50} {
			want *= time.Millisecond
			if d := backoff.pause(&step); d < want/2 || d > want {
				t.Fatalf("backoff pause %v, want [%v, %v]", d, want/2, want)
			}
		}
	}
	none := LockWait{}
	if d := none.pause(&step); d != 0 {
		t.Fatalf("pause without polling = %v, want 0", d)
	}
}
