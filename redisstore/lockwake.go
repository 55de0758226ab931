package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// listenPoll is the fallback poll of a waiter subscribed to the releases:
// it only catches a lost message (a holder killed before it published, a
// subscription cut) or a lease that ran out.
const listenPoll = 250 * time.Millisecond

// listenLinger keeps the subscription this long after its last waiter
// left, for the next expiry of a fleet's token.
const listenLinger = 30 * time.Second

// WithoutLockWake makes the waiters of Store.Lock poll (every 10 to 50 ms)
// instead of subscribing to the releases of other processes: for a Redis
// whose ACL denies SUBSCRIBE, or to spare the connection a subscription
// holds while someone waits. Unlock publishes its release either way.
func WithoutLockWake() Option { return func(s *Store) { s.noWake = true } }

// releasedChannel is the channel of the releases of the store's locks, in
// the slot of its keys on a Redis Cluster (the prefix's hash tag).
func (k keys) releasedChannel() string { return k.prefix + "lock-released" }

// sharded reports whether the store is on a Redis Cluster, where the
// releases go through sharded pub/sub (SPUBLISH, SSUBSCRIBE: to the nodes
// of the channel's slot only, not broadcast to the whole cluster).
func (s *Store) sharded() bool {
	_, ok := s.c.(*redis.ClusterClient)
	return ok
}

// publishRelease tells the waiters of every process that the lock key was
// released: the message holds the key, and a waiter tries again whatever
// it holds. A failure is ignored: the waiters' fallback poll finds the
// lock free.
func (s *Store) publishRelease(ctx context.Context, key string) {
	if s.sharded() {
		_ = s.c.SPublish(ctx, s.k.releasedChannel(), key).Err()
		return
	}
	_ = s.c.Publish(ctx, s.k.releasedChannel(), key).Err()
}

// listen is the storekit.Listener.Run of the store: a subscription to the
// releases, on a connection of its own, until ctx is done. A connection
// error ends it: the messages of a reconnection's gap would be lost
// unnoticed, and the waiters poll instead until the next one subscribes.
func (s *Store) listen(ctx context.Context, ready, heard func()) error {
	var ps *redis.PubSub
	if s.sharded() {
		ps = s.c.SSubscribe(ctx, s.k.releasedChannel())
	} else {
		ps = s.c.Subscribe(ctx, s.k.releasedChannel())
	}
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() }) // unblocks a read
	defer stop()
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil { // the subscription's confirmation
		return fmt.Errorf("subscribe: %w", err)
	}
	ready()
	for {
		if _, err := ps.ReceiveMessage(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("subscription: %w", err)
		}
		heard()
	}
}
