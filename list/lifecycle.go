package list

import (
	"context"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// MsgLifecycle is the Message of the errors of the lifecycle methods.
const MsgLifecycle = "Exception in lifecycle - ListStore"

// Lifecycle returns the lifecycle record of the token with the given id,
// zero when none is kept. It implements zohoauth.LifecycleKeeper: the
// records live in a map beside the tokens, under the same lock, and keep
// times to the millisecond (storekit.LifecycleTime).
func (s *Store) Lifecycle(ctx context.Context, id string) (zohoauth.Lifecycle, error) {
	if err := s.checkLifecycle(ctx, id); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.life.Get(id), nil
}

// UpdateLifecycle applies fn to the record of id under the store's write
// lock, so that concurrent updates never lose one another's change.
func (s *Store) UpdateLifecycle(ctx context.Context, id string, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, error) {
	if err := s.checkLifecycle(ctx, id); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.life.Update(id, fn)
}

// DeleteLifecycle deletes the record of id.
func (s *Store) DeleteLifecycle(ctx context.Context, id string) error {
	if err := s.checkLifecycle(ctx, id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.life.Delete(id)
	return nil
}

// LifecyclesAfter returns at most limit records whose id is numerically
// greater than after, in numeric id order, orphans included.
func (s *Store) LifecyclesAfter(ctx context.Context, after string, limit int) ([]zohoauth.Lifecycle, error) {
	if err := ctx.Err(); err != nil {
		return nil, storekit.StoreError(MsgLifecycle, err)
	}
	if err := storekit.CheckLifecyclePage(MsgLifecycle, after, limit); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.life.After(after, limit), nil
}

func (s *Store) checkLifecycle(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return storekit.StoreError(MsgLifecycle, err)
	}
	return storekit.CheckLifecycleID(MsgLifecycle, id)
}
