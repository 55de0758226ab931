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
