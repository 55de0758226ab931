package zohoauth

import (
	"context"
	"errors"
	"time"
)

// Errors of the locking and compare-and-swap capabilities.
var (
	// ErrLockLost reports that a lock's lease ran out and another owner
	// took the lock over: its holder must not write what it computed.
	ErrLockLost = errors.New("lock lost: its lease ran out and another owner took it")
	// ErrStale reports a guarded save whose token changed in the store
	// since the caller read it.
	ErrStale = errors.New("stored token changed since it was read")
	// ErrLockUnneeded reports a wait for a lock that LockUnless ended
	// without the lock, because the caller's check found the work done.
	ErrLockUnneeded = errors.New("lock not taken: the caller's check found it no longer needed")
)

// Locker is an optional capability of a Store, discovered with a type
// assertion: a named lock shared by every process, on any machine, that uses
// the same store. The authenticator takes the lock of a token before it
// refreshes it, re-reads the token inside the lock and refreshes only if
// that is still needed, so that a fleet makes one refresh per expiry.
//
// A lock has an owner (only its holder can extend or release it) and a lease:
// a holder that crashes or hangs loses the lock when the lease runs out, and
// a waiter then takes it over. A holder extends the lease while its work is
// in flight. Because a lease can still run out under a slow holder, writes
// made under a lock should be guarded too (CompareAndSwapper).
type Locker interface {
	// Lock acquires the lock named name with the given lease, waiting while
	// another owner holds a live lease, until ctx is done (then it returns
	// an error wrapping ctx.Err()).
	Lock(ctx context.Context, name string, lease time.Duration) (Lock, error)
}

// LockChecker is an optional capability of a Locker, discovered with a type
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
	Locker
	// LockUnless is Lock, except that after each wait for another owner
	// (a wake-up, a poll, the end of the lease it met) and before trying
	// again, it calls done; when done reports true, it returns an error
	// matching ErrLockUnneeded, without the lock. done is not called
	// before the first try, nor after ctx is done; an error from done ends
	// the wait and is returned wrapped.
	LockUnless(ctx context.Context, name string, lease time.Duration, done func(context.Context) (bool, error)) (Lock, error)
}

// LockUnless takes the lock name of l with LockChecker.LockUnless when l
// has it, and otherwise with Lock (then done is never called): how a
// wrapper of a Locker passes the check on.
func LockUnless(ctx context.Context, l Locker, name string, lease time.Duration, done func(context.Context) (bool, error)) (Lock, error) {
	if c, ok := l.(LockChecker); ok && done != nil {
		return c.LockUnless(ctx, name, lease, done)
	}
	return l.Lock(ctx, name, lease)
}

// Lock is a held lock of a Locker.
type Lock interface {
	// Extend extends the lease to the given duration from now. It fails with
	// an error matching ErrLockLost when the lock was taken over.
	Extend(ctx context.Context, lease time.Duration) error
	// Unlock releases the lock if this owner still holds it; releasing a
	// lock that was taken over is a no-op returning ErrLockLost. Callers
	// pass a context that is not cancelled with the work it guarded
	// (context.WithoutCancel).
	Unlock(ctx context.Context) error
}

// CompareAndSwapper is an optional capability of a Store: a save guarded by
// the token the caller read, so that a writer whose view is stale (a lock
// holder whose lease ran out) cannot overwrite a newer token.
type CompareAndSwapper interface {
	// SwapToken saves t as SaveToken does, but only if the stored token with
	// old.ID still has old's access token and expiry. Otherwise it saves
	// nothing and returns an error matching ErrStale; an unknown old.ID is
	// an error matching ErrNotFound. On success t is updated to the stored
	// value, as with SaveToken.
	SwapToken(ctx context.Context, old, t *Token) error
}
