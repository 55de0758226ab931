package memory

import (
	"context"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// SwapToken saves t only if the stored token with old.ID still has old's
// access token and expiry. It implements zohoauth.CompareAndSwapper.
func (s *Store) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	if err := ctx.Err(); err != nil {
		return storekit.StoreError(MsgSaveToken, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.t.ByID(old.ID)
	if cur == nil {
		return storekit.StoreError(MsgTokenIDNotFound, zohoauth.ErrNotFound)
	}
	if cur.AccessToken != old.AccessToken || !cur.Expiry.Equal(old.Expiry) {
		return storekit.StoreError(MsgSaveToken, zohoauth.ErrStale)
	}
	u := t.Clone()
	u.ID = old.ID
	if err := s.t.Save(u, MsgDetailsNotFound); err != nil {
		return err
	}
	*t = *u
	return nil
}
