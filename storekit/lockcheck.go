package storekit

import (
	"context"
	"errors"
	"time"

	"github.com/zohoauth/zohoauth"
)

// ErrLockUnneeded reports a wait for a lock that LockChecker.LockUnless
// ended without the lock, because the caller's check found the work done.
var ErrLockUnneeded = errors.New("lock not taken: the caller's check found it no longer needed")

// LockChecker is an optional capability of a zohoauth.Locker, discovered with a type
// assertion: a wait for a lock that ends without it once the caller no
// longer needs it. When a holder releases a lock, all its waiters wake;
// with Lock they then take the lock one after another, each only to find,
// inside it, that the holder already did the work (renewed the token).
// With LockUnless each waiter first checks, outside the lock and all at
// once, and leaves.
//
// The check is a hint read outside the lock: it must be safe to act on
// without the lock (the authenticator checks for a stored access token that
// is valid and new, which any process may use).
type LockChecker interface {
	zohoauth.Locker
	// LockUnless is Lock, except that after each wait for another owner
	// (a wake-up, a poll, the end of the lease it met) and before trying
	// again, it calls done; when done reports true, it returns an error
	// matching ErrLockUnneeded, without the lock. done is not called
	// before the first try, nor after ctx is done; an error from done ends
	// the wait and is returned wrapped.
	LockUnless(ctx context.Context, name string, lease time.Duration, done func(context.Context) (bool, error)) (zohoauth.Lock, error)
}

// LockUnless takes the lock name of l with LockChecker.LockUnless when l
// has it, and otherwise with Lock (then done is never called): how a
// wrapper of a Locker passes the check on.
func LockUnless(ctx context.Context, l zohoauth.Locker, name string, lease time.Duration, done func(context.Context) (bool, error)) (zohoauth.Lock, error) {
	if c, ok := l.(LockChecker); ok && done != nil {
		return c.LockUnless(ctx, name, lease, done)
	}
	return l.Lock(ctx, name, lease)
}
