package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// locks is the in-process lock table of a Store: a lease per name, owned by
// the *lock that took it.
type locks struct {
	mu   sync.Mutex
	held map[string]*lock
	wake storekit.Waker // woken whenever a lock is released
}

type lock struct {
	l       *locks
	name    string
	expires time.Time
}

// Lock acquires the lock named name for lease within this Store, waiting
// while another owner holds a live lease: until that lease ends or the
// lock is released, whichever comes first. It implements zohoauth.Locker;
// the lock is shared by the goroutines of one process, as the store is.
// Waiting ends with ctx, with an error wrapping ctx.Err().
func (s *Store) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	return s.LockUnless(ctx, name, lease, nil)
}

// LockUnless is Lock, but after each wait it calls done, and returns an
// error matching storekit.ErrLockUnneeded when done reports true
// (storekit.LockChecker).
func (s *Store) LockUnless(ctx context.Context, name string, lease time.Duration, done func(context.Context) (bool, error)) (zohoauth.Lock, error) {
	l := &s.locks
	var lk *lock
	err := storekit.LockWait{Waker: &l.wake, Done: done}.Wait(ctx, func(context.Context) (bool, time.Duration, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.held == nil {
			l.held = make(map[string]*lock)
		}
		now := time.Now()
		cur := l.held[name]
		if cur != nil && now.Before(cur.expires) {
			return false, cur.expires.Sub(now), nil
		}
		lk = &lock{l: l, name: name, expires: now.Add(lease)}
		l.held[name] = lk
		return true, 0, nil
	})
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", name, err)
	}
	return lk, nil
}

func (k *lock) Extend(_ context.Context, lease time.Duration) error {
	k.l.mu.Lock()
	defer k.l.mu.Unlock()
	if k.l.held[k.name] != k || !time.Now().Before(k.expires) {
		return fmt.Errorf("extend lock %q: %w", k.name, zohoauth.ErrLockLost)
	}
	k.expires = time.Now().Add(lease)
	return nil
}

func (k *lock) Unlock(context.Context) error {
	k.l.mu.Lock()
	defer k.l.mu.Unlock()
	if k.l.held[k.name] != k {
		return fmt.Errorf("unlock %q: %w", k.name, zohoauth.ErrLockLost)
	}
	delete(k.l.held, k.name)
	k.l.wake.Wake()
	return nil
}
