package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// ErrLease reports a lease shorter than a millisecond, Redis's resolution.
var ErrLease = errors.New("redisstore: a lock lease must be at least 1ms")

// Polling of a waiter for a held lock: the first wait, and the longest.
const (
	pollMin = 10 * time.Millisecond
	pollMax = 50 * time.Millisecond
)

// extendScript extends the TTL of the lock KEYS[1] to ARGV[2] ms when its
// owner token is still ARGV[1]; it returns 1 then, 0 otherwise.
const extendScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`

// releaseScript deletes the lock KEYS[1] when its owner token is still
// ARGV[1]; it returns 1 then, 0 otherwise.
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

// lock is a lock held by one owner: the key, and the random token its value
// holds while this owner has it.
type lock struct {
	s     *Store
	name  string
	key   string
	owner string
}

// Lock acquires the lock named name with the given lease, shared by every
// process that uses the same Redis and prefix: SET NX PX with a random owner
// token. While another owner holds a live lease it polls every 10 to 50 ms
// (with jitter) until ctx is done; a lease that runs out is expired by Redis
// and the next waiter takes the lock. It implements zohoauth.Locker.
//
// A waiter that met a held lock also subscribes, on a connection the
// Store's waiters share (kept 30 s after the last one, for the next
// expiry; Close ends it), to the releases that Unlock
// publishes (PUBLISH, or sharded SPUBLISH on a Redis Cluster, on the
// channel "<prefix>lock-released"), and tries again at once on each; it
// then polls every 250 ms at most, which only catches a lost message (a
// holder killed before it released, a subscription cut) or a lease that
// ran out. A message is a hint to try again, never the lock. The
// goroutines of one Store are woken by its own releases too. See
// WithoutLockWake.
func (s *Store) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	return s.LockUnless(ctx, name, lease, nil)
}

// LockUnless is Lock, but after each wait it calls done, and returns an
// error matching storekit.ErrLockUnneeded when done reports true
// (storekit.LockChecker).
func (s *Store) LockUnless(ctx context.Context, name string, lease time.Duration, done func(context.Context) (bool, error)) (zohoauth.Lock, error) {
	if lease < time.Millisecond {
		return nil, storekit.StoreError(MsgLock, fmt.Errorf("lock %q: lease %v: %w", name, lease, ErrLease))
	}
	lk := &lock{s: s, name: name, key: s.k.lock(name), owner: rand.Text()}
	// Waits grow from 10 to 50 ms, each drawn from half to all of its
	// step, so that waiters do not poll in step, until the waiter hears of
	// releases.
	wait := storekit.LockWait{MinPoll: pollMin, MaxPoll: pollMax, Backoff: true, Waker: &s.lockWake, Done: done}
	if !s.noWake {
		wait.Listen, wait.ListenPoll = s.listener.Listen, listenPoll
	}
	if s.polls.max > 0 {
		wait.MinPoll, wait.MaxPoll, wait.ListenPoll, wait.Backoff = s.polls.min, s.polls.max, s.polls.listen, false
	}
	err := wait.Wait(ctx, func(ctx context.Context) (bool, time.Duration, error) {
		ok, err := s.setNX(ctx, lk, lease)
		if cerr := ctx.Err(); cerr != nil {
			if ok { // taken as ctx ended: give it back
				_ = lk.Unlock(context.WithoutCancel(ctx))
			}
			return false, 0, cerr
		}
		if err != nil {
			s.reloadOnConnError(ctx, err)
		}
		return ok, 0, err
	})
	if err != nil {
		return nil, storekit.StoreError(MsgLock, fmt.Errorf("lock %q: %w", name, err))
	}
	return lk, nil
}

// setNX takes the lock lk when it is free (SET NX PX); with WithReplicas,
// on a connection of its own, so that WAIT waits for that write: a lock
// that the replicas do not confirm is given back and the error matches
// ErrNotReplicated.
//
// The lease runs from the SET, not from the replica's confirmation. A
// replica that confirms late (one still loading the full copy of its new
// primary confirms every waiting write at once) could confirm a lock
// whose lease ran out meanwhile and that another owner took and had
// confirmed too: both would then hold it. So WAIT waits for at most half
// the lease, and a confirmed lock is then checked to be still this
// owner's and given its whole lease again from now; a lock lost while
// waiting is reported as not taken, and Lock polls on. Half the lease also
// leaves the replica's copy of the lock at least half a lease when Lock
// returns, longer than the holder waits before its first renewal (a third
// of the lease in package auth).
func (s *Store) setNX(ctx context.Context, lk *lock, lease time.Duration) (bool, error) {
	if s.replicas < 1 {
		return s.c.SetNX(ctx, lk.key, lk.owner, lease).Result()
	}
	var ok bool
	err := s.c.Watch(ctx, func(tx *redis.Tx) error {
		var err error
		if ok, err = tx.SetNX(ctx, lk.key, lk.owner, lease).Result(); err != nil || !ok {
			return err
		}
		if err := s.waitReplicas(ctx, tx, min(s.replicaWait, lease/2)); err != nil {
			_ = lk.Unlock(context.WithoutCancel(ctx))
			ok = false
			return err
		}
		n, err := s.extend.Run(ctx, tx, []string{lk.key}, lk.owner, strconv.FormatInt(lease.Milliseconds(), 10)).Int()
		if err != nil {
			_ = lk.Unlock(context.WithoutCancel(ctx))
			ok = false
			return err
		}
		ok = n == 1
		return nil
	}, lk.key)
	return ok, err
}

// Extend extends the lease to lease from now if this owner still holds the
// lock; otherwise it fails with zohoauth.ErrLockLost.
func (k *lock) Extend(ctx context.Context, lease time.Duration) error {
	if lease < time.Millisecond {
		return storekit.StoreError(MsgLock, fmt.Errorf("extend lock %q: lease %v: %w", k.name, lease, ErrLease))
	}
	n, err := k.s.extend.Run(ctx, k.s.c, []string{k.key}, k.owner, strconv.FormatInt(lease.Milliseconds(), 10)).Int()
	if err != nil {
		return storekit.StoreError(MsgLock, fmt.Errorf("extend lock %q: %w", k.name, err))
	}
	if n != 1 {
		return storekit.StoreError(MsgLock, fmt.Errorf("extend lock %q: %w", k.name, zohoauth.ErrLockLost))
	}
	return nil
}

// Unlock releases the lock if this owner still holds it, with ctx (pass a
// context that is not cancelled with the guarded work); a lock that was
// taken over is left alone and the error matches zohoauth.ErrLockLost.
func (k *lock) Unlock(ctx context.Context) error {
	n, err := k.s.release.Run(ctx, k.s.c, []string{k.key}, k.owner).Int()
	if err != nil {
		return storekit.StoreError(MsgLock, fmt.Errorf("unlock %q: %w", k.name, err))
	}
	if n != 1 {
		return storekit.StoreError(MsgLock, fmt.Errorf("unlock %q: %w", k.name, zohoauth.ErrLockLost))
	}
	k.s.lockWake.Wake()
	k.s.publishRelease(ctx, k.key)
	return nil
}
