package redisstore

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth"
)

// lateReplica is a go-redis hook that stands for a replica which confirms
// writes: every WAIT is answered "1 replica" without asking the server. The
// first WAIT is held until release is closed, as a replica that confirms
// only after a full resynchronisation would; inWait is closed when it
// starts. Every SET after that WAIT is reported on sets.
type lateReplica struct {
	inWait  chan struct{}
	release chan struct{}
	waits   atomic.Int32
	sets    chan struct{}
	waited  atomic.Bool
}

func (h *lateReplica) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *lateReplica) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *lateReplica) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		switch strings.ToLower(cmd.Name()) {
		case "wait":
			if h.waits.Add(1) == 1 {
				close(h.inWait)
				select {
				case <-h.release:
				case <-ctx.Done():
					return ctx.Err()
				}
				h.waited.Store(true)
			}
			cmd.(*redis.IntCmd).SetVal(1)
			return nil
		case "set":
			if h.waited.Load() {
				select {
				case h.sets <- struct{}{}:
				default:
				}
			}
		}
		return next(ctx, cmd)
	}
}

// TestLockReplicaWaitOutlastsLease: a lock whose wait for its replica
// outlasts its lease is not handed out. While owner A waits for the
// replica to confirm its SET NX, the lease runs out and owner B takes the
// free lock; when A's replica confirms at last, A must not return the lock
// (both would hold it, and both would refresh the token), but poll as any
// waiter does and take it once B gives it back.
func TestLockReplicaWaitOutlastsLease(t *testing.T) {
	b := newTestStore(t)
	ctx := t.Context()
	ca := redis.NewClient(&redis.Options{Addr: testAddr(t)})
	t.Cleanup(func() { _ = ca.Close() })
	h := &lateReplica{inWait: make(chan struct{}), release: make(chan struct{}), sets: make(chan struct{}, 1)}
	ca.AddHook(h)
	a := New(ca, WithPrefix(b.Prefix()), WithReplicas(1, time.Minute))
	const name = "token:1"

	type result struct {
		lk  zohoauth.Lock
		err error
	}
	got := make(chan result, 1)
	go func() {
		lk, err := a.Lock(ctx, name, time.Minute)
		got <- result{lk, err}
	}()
	select {
	case <-h.inWait:
	case r := <-got:
		t.Fatalf("A's Lock returned (%v) without waiting for its replica", r.err)
	}
	// A's lease runs out while it waits (expired here rather than after a
	// minute), and B takes the free lock.
	if err := b.c.Del(ctx, b.k.lock(name)).Err(); err != nil {
		t.Fatal(err)
	}
	lb, err := b.Lock(ctx, name, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	close(h.release) // A's replica confirms its SET, long after the lease ran out

	// A either returns the lock B holds (the defect) or polls again.
	timeout := time.After(30 * time.Second)
	select {
	case r := <-got:
		if r.err == nil {
			if err := lb.Extend(ctx, time.Minute); err == nil {
				t.Fatal("A's Lock returned while B holds the lock: two owners at once")
			}
		}
		t.Fatalf("A's Lock returned before B released the lock: %v", r.err)
	case <-h.sets:
	case <-timeout:
		t.Fatal("A neither returned nor polled again within 30 s")
	}
	if err := lb.Unlock(ctx); err != nil {
		t.Fatalf("B's lock was taken from it: %v", err)
	}
	var r result
	select {
	case r = <-got:
	case <-timeout:
		t.Fatal("A did not take the lock B released within 30 s")
	}
	if r.err != nil {
		t.Fatalf("A's Lock after B released: %v", r.err)
	}
	// A is the owner now, with a lease of its own.
	if err := r.lk.Extend(ctx, time.Minute); err != nil {
		t.Fatalf("A's lock: %v", err)
	}
	if err := r.lk.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}
