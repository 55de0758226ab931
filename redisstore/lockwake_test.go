package redisstore

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth/storetest"
)

// wakePair returns two Stores on one prefix, each with a client of its own
// (two processes, as far as Redis can tell), on a single Redis and on the
// test cluster. The waiter's polls are an hour apart.
func wakePairs(t *testing.T) map[string]func(t *testing.T) (holder, waiter *Store) {
	return map[string]func(t *testing.T) (holder, waiter *Store){
		"single": func(t *testing.T) (*Store, *Store) {
			h := newBareStore(t)
			w := New(testClient(t), WithPrefix(h.Prefix()))
			w.polls.min, w.polls.max, w.polls.listen = time.Hour, time.Hour, time.Hour
			return h, w
		},
		"cluster": func(t *testing.T) (*Store, *Store) {
			h := newClusterBareStore(t)
			w := New(testClusterClient(t), WithPrefix(h.Prefix()))
			w.polls.min, w.polls.max, w.polls.listen = time.Hour, time.Hour, time.Hour
			return h, w
		},
	}
}

// A release published by another process wakes the waiter, whose polls
// are an hour apart: only the message can end its wait.
func TestLockWakeAcrossClients(t *testing.T) {
	for name, pair := range wakePairs(t) {
		t.Run(name, func(t *testing.T) {
			holder, waiter := pair(t)
			storetest.LockWake(t, holder, waiter)
		})
	}
}

// A release of another lock wakes the waiter (one channel per prefix), but
// it tries again and waits on.
func TestLockWakeOtherNameRechecks(t *testing.T) {
	for name, pair := range wakePairs(t) {
		t.Run(name, func(t *testing.T) {
			holder, waiter := pair(t)
			storetest.LockWakeOtherName(t, holder, waiter)
		})
	}
}

// A holder that dies without releasing publishes nothing: the waiter takes
// the lock when Redis expires the lease, by its fallback poll.
func TestLockWakeLostMessage(t *testing.T) {
	for name, pair := range wakePairs(t) {
		t.Run(name, func(t *testing.T) {
			holder, waiter := pair(t)
			waiter.polls.min, waiter.polls.max, waiter.polls.listen = time.Millisecond, time.Hour, 20*time.Millisecond
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			if _, err := holder.Lock(ctx, "dead", 300*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			if err := <-storetest.LockAsync(ctx, waiter, "dead"); err != nil {
				t.Fatalf("the lease ran out but the waiter did not take the lock: %v", err)
			}
		})
	}
}

// TestLockWakeSubscriptionKilled kills the waiter's subscription (CLIENT
// KILL TYPE pubsub) in the middle of its wait: it polls again, every 5 ms,
// and takes the lock when the lease runs out, though its fallback poll
// while subscribed is an hour.
func TestLockWakeSubscriptionKilled(t *testing.T) {
	holder := newBareStore(t)
	name := "zohoauth-wake-test-" + rand.Text()[:8]
	wc := redis.NewClient(&redis.Options{Addr: testAddr(t), ClientName: name})
	t.Cleanup(func() { _ = wc.Close() })
	waiter := New(wc, WithPrefix(holder.Prefix()))
	waiter.polls.min, waiter.polls.max, waiter.polls.listen = 5*time.Millisecond, 5*time.Millisecond, time.Hour
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := holder.Lock(ctx, "cut", time.Second); err != nil {
		t.Fatal(err)
	}
	got := storetest.LockAsync(ctx, waiter, "cut")
	admin := holder.c.(*redis.Client)
	killed := false
	for !killed && ctx.Err() == nil {
		list, err := admin.ClientList(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		// The waiter's subscription only: other tests share this Redis.
		for _, line := range strings.Split(list, "\n") {
			if strings.Contains(line, " name="+name+" ") && strings.Contains(line, " sub=1 ") {
				id := strings.TrimPrefix(strings.Fields(line)[0], "id=")
				if err := admin.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter whose subscription was killed: %v", err)
	}
}
