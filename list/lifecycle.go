package list

import (
	"context"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// MsgLifecycle is the Message of the errors of the lifecycle methods.
const MsgLifecycle = "Exception in lifecycle - ListStore"

// keeper is the store's LifecycleKeeper: its records beside the tokens,
// under the same lock.
func (s *Store) keeper() storekit.LockedLifecycles {
	return storekit.LockedLifecycles{Mu: &s.mu, Life: &s.life, Msg: MsgLifecycle}
}

// Lifecycle returns the lifecycle record of the token with the given id,
// zero when none is kept. It implements zohoauth.LifecycleKeeper: the
// records live in a map beside the tokens, under the same lock, and keep
// times to the millisecond (storekit.LifecycleTime).
func (s *Store) Lifecycle(ctx context.Context, id string) (zohoauth.Lifecycle, error) {
	return s.keeper().Lifecycle(ctx, id)
}

// UpdateLifecycle applies fn to the record of id under the store's write
// lock, so that concurrent updates never lose one another's change.
func (s *Store) UpdateLifecycle(ctx context.Context, id string, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, error) {
	return s.keeper().UpdateLifecycle(ctx, id, fn)
}

// DeleteLifecycle deletes the record of id.
func (s *Store) DeleteLifecycle(ctx context.Context, id string) error {
	return s.keeper().DeleteLifecycle(ctx, id)
}

// LifecyclesAfter returns at most limit records whose id is numerically
// greater than after, in numeric id order, orphans included.
func (s *Store) LifecyclesAfter(ctx context.Context, after string, limit int) ([]zohoauth.Lifecycle, error) {
	return s.keeper().LifecyclesAfter(ctx, after, limit)
}
