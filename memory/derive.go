package memory

import (
	"context"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// FindDerived returns a copy of the token owner derived from the token
// that k finds, or of the stored token when owner derived none from it as
// it is now (see storekit.Deriver). Its errors are FindToken's.
func (s *Store) FindDerived(ctx context.Context, owner *storekit.Owner, k storekit.Key) (*zohoauth.Token, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, storekit.StoreError(MsgGetToken, err)
	}
	s.mu.RLock()
	found, derived, err := s.t.LookupDerived(owner, k)
	s.mu.RUnlock()
	if err != nil {
		return nil, false, storekit.StoreError(MsgGetToken, err)
	}
	return found, derived, nil
}

// FindDerivedByID is FindDerived for the token with the given id; its
// errors are FindTokenByID's.
func (s *Store) FindDerivedByID(ctx context.Context, owner *storekit.Owner, id string) (*zohoauth.Token, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, storekit.StoreError(MsgGetTokenByID, err)
	}
	s.mu.RLock()
	found, derived := s.t.ByIDDerived(owner, id)
	s.mu.RUnlock()
	if found == nil {
		return nil, false, storekit.StoreError(MsgGetTokenByID, zohoauth.ErrNotFound)
	}
	return found, derived, nil
}

// FindByDerived finds by a derived access, grant or refresh token (see
// storekit.Deriver); ok is false when the caller must find by the stored
// value. Its errors are FindToken's.
func (s *Store) FindByDerived(ctx context.Context, owner *storekit.Owner, k storekit.Key) (*zohoauth.Token, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, storekit.StoreError(MsgGetToken, err)
	}
	s.mu.RLock()
	found, ok := s.t.LookupByDerived(owner, k)
	s.mu.RUnlock()
	return found, ok, nil
}

// Derive keeps d as the token owner derived from stored while the store
// holds stored unchanged (see storekit.Deriver), under the write lock.
// What is derived goes with the stored token: a save, swap or delete of it
// drops it, so the store holds at most one derived token per stored token.
func (s *Store) Derive(owner *storekit.Owner, stored, d *zohoauth.Token) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.Derive(owner, stored, d)
}
