package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// LockAsync starts l.Lock(ctx, name) with a lease of a minute in a
// goroutine, releases the lock once it holds it, and returns where the
// result (nil, or the error of the lock or the release) arrives.
func LockAsync(ctx context.Context, l zohoauth.Locker, name string) <-chan error {
	got := make(chan error, 1)
	go func() {
		lk, err := l.Lock(ctx, name, time.Minute)
		if err == nil {
			err = lk.Unlock(context.WithoutCancel(ctx))
		}
		got <- err
	}()
	return got
}

// LockWake checks that a release by holder wakes waiter, three times in a
// row (a wake-up listener per wait, ended after it). holder and waiter are
// two stores over one medium, as two processes would open it; the caller
// sets waiter's own polls an hour apart, so that only the wake-up can end
// its wait before the check's 30 s deadline.
func LockWake(t *testing.T, holder, waiter zohoauth.Locker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for range 3 {
		lk, err := holder.Lock(ctx, "wake", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		got := LockAsync(ctx, waiter, "wake")
		time.Sleep(50 * time.Millisecond) // most often the waiter listens by now; either way it must get the lock
		if err := lk.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-got; err != nil {
			t.Fatalf("waiter not woken by the release: %v", err)
		}
	}
}

// LockWakeOtherName checks that a wake-up is never the lock: the release
// of another lock and an extension of the held one may wake waiter, but it
// tries again and waits on, and the holder keeps its lock; the holder's
// release then lets it in. holder and waiter are as for LockWake.
func LockWakeOtherName(t *testing.T, holder, waiter zohoauth.Locker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	mine, err := holder.Lock(ctx, "mine", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	other, err := holder.Lock(ctx, "other", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got := LockAsync(ctx, waiter, "mine")
	time.Sleep(100 * time.Millisecond)
	if err := other.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := mine.Extend(ctx, time.Minute); err != nil { // may wake the waiter too
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("the waiter for %q returned (%v) while it is held, after %q was released", "mine", err, "other")
	default:
	}
	if err := mine.Extend(ctx, time.Minute); err != nil {
		t.Fatalf("the holder lost its lock to a woken waiter: %v", err)
	}
	if err := mine.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
}
