package filestore

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/storetest"
)

// wakePair returns two Stores on one token file (two processes, as far as
// the lease files can tell); the waiter's polls are an hour apart.
func wakePair(t *testing.T) (holder, waiter *Store) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("lease files are watched on Linux only")
	}
	path := filepath.Join(t.TempDir(), "sdk_tokens.txt")
	holder, waiter = newTestStore(t, path), newTestStore(t, path)
	waiter.polls.min, waiter.polls.max, waiter.polls.listen = time.Hour, time.Hour, time.Hour
	return holder, waiter
}

// A release by another process wakes the waiter, whose polls are an hour
// apart and whose holder's lease runs a minute: only the watch of the lease
// file can end its wait in time.
func TestLockWakeAcrossStores(t *testing.T) {
	holder, waiter := wakePair(t)
	storetest.LockWake(t, holder, waiter)
}

// The release of another lock (another lease file) does not end the wait,
// nor does the holder's extension of this one: the waiter tries again and
// waits on.
func TestLockWakeOtherNameRechecks(t *testing.T) {
	holder, waiter := wakePair(t)
	waiter.polls.min, waiter.polls.max = time.Millisecond, time.Hour // hour-long waits, but tries again after each event
	storetest.LockWakeOtherName(t, holder, waiter)
}

// A holder that dies without releasing writes nothing: the waiter takes
// the lock at the lease's end (the wait the try reports), though its polls
// are an hour apart.
func TestLockWakeLostRelease(t *testing.T) {
	holder, waiter := wakePair(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := holder.Lock(ctx, "dead", 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := <-storetest.LockAsync(ctx, waiter, "dead"); err != nil {
		t.Fatalf("the lease ran out but the waiter did not take the lock: %v", err)
	}
}

// WithoutLockWake: the waiter does not watch, and polls.
func TestLockWakeDisabled(t *testing.T) {
	holder, _ := wakePair(t)
	waiter := newTestStore(t, holder.path, WithoutLockWake())
	waiter.polls.min, waiter.polls.max, waiter.polls.listen = time.Hour, time.Hour, time.Hour
	ctx := t.Context()
	lk, err := holder.Lock(ctx, "x", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	got := storetest.LockAsync(c, waiter, "x")
	time.Sleep(50 * time.Millisecond)
	_ = lk.Unlock(ctx)
	if err := <-got; err == nil {
		t.Fatal("a waiter that does not watch, polling hourly, got the lock at once")
	}
}
