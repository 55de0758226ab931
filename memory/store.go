// Package memory is a zohoauth.Store that keeps tokens in a map, with a hash
// index per look-up key, for tests, short-lived programs and as the index of
// other stores (storekit.Table).
package memory

import (
	"context"
	"sync"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// Message texts of the errors of this store: the Message of a
// *zohoauth.Error with Code zohoauth.CodeTokenStore. They are the texts of
// Zoho's FileStore (storekit.MsgGetTokenFile, …) with this store's name.
const (
	MsgGetToken        = "Exception in get_token - MemoryStore"
	MsgDetailsNotFound = "Exception in MemoryStore : Given user authentication details not found."
	MsgSaveToken       = "Exception in save_token - MemoryStore"
	MsgDeleteToken     = "Exception in delete_token - MemoryStore"
	MsgGetTokens       = "Exception in get_tokens - MemoryStore"
	MsgDeleteTokens    = "Exception in delete_tokens - MemoryStore"
	MsgTokenIDNotFound = "Exception in MemoryStore : Given Id not found"
	MsgGetTokenByID    = "Exception in getTokenById - MemoryStore : Given ID is invalid"
)

// Store is a zohoauth.Store in memory. It is safe for concurrent use; reads
// share a lock, writes take it alone. Its errors carry Zoho's FileStore
// texts with the name MemoryStore (MsgGetToken, …). The zero value is not
// usable; call New. It is a storekit.Deriver: a wrapper (the sealed store)
// may keep what it derived from a stored token beside it, until the token
// changes.
type Store struct {
	mu    sync.RWMutex
	t     *storekit.Table
	life  storekit.Lifecycles // beside t, under mu
	locks locks
}

// New returns an empty Store.
func New() *Store { return &Store{t: storekit.NewTable()} }

var (
	_ zohoauth.Store             = (*Store)(nil)
	_ zohoauth.BatchSaver        = (*Store)(nil)
	_ zohoauth.Locker            = (*Store)(nil)
	_ zohoauth.CompareAndSwapper = (*Store)(nil)
	_ zohoauth.LifecycleKeeper   = (*Store)(nil)
)

// FindToken returns a copy of the token that matches t (see zohoauth.Store).
func (s *Store) FindToken(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, storekit.StoreError(MsgGetToken, err)
	}
	s.mu.RLock()
	found, err := s.t.Find(t)
	found = found.Clone()
	s.mu.RUnlock()
	if err != nil {
		return nil, storekit.StoreError(MsgGetToken, err)
	}
	return found, nil
}

// SaveToken inserts or updates t (see zohoauth.Store) and updates t to the
// stored value. A token it creates starts with no lifecycle record: the
// record of its id, an orphan (ids are never reused, but a caller may give
// one), is deleted under the same lock.
func (s *Store) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	if err := ctx.Err(); err != nil {
		return storekit.StoreError(MsgSaveToken, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	created, err := s.t.SaveCreated(t, MsgDetailsNotFound)
	if created {
		s.life.Delete(t.ID)
	}
	return err
}

// SaveTokens saves tokens in order as SaveToken does, all or nothing, the
// records of the tokens it creates deleted. It implements
// zohoauth.BatchSaver.
func (s *Store) SaveTokens(ctx context.Context, tokens []*zohoauth.Token) error {
	if err := ctx.Err(); err != nil {
		return storekit.StoreError(MsgSaveToken, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	created, err := s.t.SaveAllCreated(tokens, MsgDetailsNotFound)
	for _, id := range created {
		s.life.Delete(id)
	}
	return err
}

// DeleteToken deletes the token with the given id.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return storekit.StoreError(MsgDeleteToken, err)
	}
	s.mu.Lock()
	ok := s.t.Delete(id)
	if ok {
		s.life.Delete(id)
	}
	s.mu.Unlock()
	if !ok {
		return storekit.StoreError(MsgTokenIDNotFound, zohoauth.ErrNotFound)
	}
	return nil
}

// Tokens returns copies of all tokens, ordered by numeric id.
func (s *Store) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, storekit.StoreError(MsgGetTokens, err)
	}
	s.mu.RLock()
	all := s.t.All()
	s.mu.RUnlock()
	for i, t := range all {
		all[i] = t.Clone()
	}
	return all, nil
}

// DeleteTokens deletes every token.
func (s *Store) DeleteTokens(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return storekit.StoreError(MsgDeleteTokens, err)
	}
	s.mu.Lock()
	s.t.Reset()
	s.life.Reset()
	s.mu.Unlock()
	return nil
}

// FindTokenByID returns a copy of the token with the given id.
func (s *Store) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, storekit.StoreError(MsgGetTokenByID, err)
	}
	s.mu.RLock()
	found := s.t.ByID(id).Clone()
	s.mu.RUnlock()
	if found == nil {
		return nil, storekit.StoreError(MsgGetTokenByID, zohoauth.ErrNotFound)
	}
	return found, nil
}

// Load adds tokens as they are, without the saving rules, as a store loads
// what it has read or a migration copies a store: each must have a valid id
// that is not in use. On an error nothing is added. Loaded tokens start
// with no lifecycle record, as created ones do.
func (s *Store) Load(tokens []*zohoauth.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		if !storekit.ValidID(t.ID) {
			return storekit.StoreError(MsgSaveToken, zohoauth.ErrInvalidID)
		}
		if seen[t.ID] || s.t.ByID(t.ID) != nil {
			return storekit.StoreError("id "+t.ID+" is in use", zohoauth.ErrConflict)
		}
		seen[t.ID] = true
	}
	_ = s.t.InsertAll(tokens) // checked above
	for _, t := range tokens {
		s.life.Delete(t.ID)
	}
	return nil
}
