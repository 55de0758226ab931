// Package list is a zohoauth.Store over a slice: the list-based custom store
// of Zoho's SDK samples (custom_store_list.py), done right. Every look-up
// scans the slice, so it suits a handful of tokens; the memory store indexes
// them instead. Unlike the sample it gives the first two tokens different
// ids, returns the token it finds, and reports an unknown id as an error.
package list

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// Message texts of the errors of this store: the Message of a
// *zohoauth.Error with Code zohoauth.CodeTokenStore. They are the texts of
// Zoho's FileStore (storekit.MsgGetTokenFile, …) with this store's name.
const (
	MsgGetToken        = "Exception in get_token - ListStore"
	MsgDetailsNotFound = "Exception in ListStore : Given user authentication details not found."
	MsgSaveToken       = "Exception in save_token - ListStore"
	MsgDeleteToken     = "Exception in delete_token - ListStore"
	MsgGetTokens       = "Exception in get_tokens - ListStore"
	MsgDeleteTokens    = "Exception in delete_tokens - ListStore"
	MsgTokenIDNotFound = "Exception in ListStore : Given Id not found"
	MsgGetTokenByID    = "Exception in getTokenById - ListStore : Given ID is invalid"
)

// Store keeps tokens in a slice ordered by numeric id. It is safe for
// concurrent use. Its errors carry Zoho's FileStore texts with the name
// ListStore (MsgGetToken, …), where the sample's say FileStore. The zero
// value is an empty store.
type Store struct {
	mu     sync.RWMutex
	tokens []*zohoauth.Token
	maxID  uint64
	life   storekit.Lifecycles // beside tokens, under mu
}

// New returns an empty Store.
func New() *Store { return &Store{} }

var (
	_ zohoauth.Store           = (*Store)(nil)
	_ zohoauth.LifecycleKeeper = (*Store)(nil)
)

// rows is the storekit.Rows view of the slice; callers hold the lock.
type rows struct{ s *Store }

func (r rows) Lookup(_ context.Context, k storekit.Key) (*zohoauth.Token, error) {
	// The slice is ordered by id, so the first match has the lowest id.
	for _, t := range r.s.tokens {
		if k.Field == storekit.FieldID && t.ID == k.Value || k.Field != storekit.FieldID && k.Matches(t) {
			return t, nil
		}
	}
	return nil, nil
}

func (r rows) WithUserName(_ context.Context, name string) ([]*zohoauth.Token, error) {
	var out []*zohoauth.Token
	for _, t := range r.s.tokens {
		if t.UserName == name {
			out = append(out, t)
		}
	}
	return out, nil
}

// WithEmail returns the tokens whose user name is email:zgid. The list
// has no index: it scans, as every look-up of this store does.
func (r rows) WithEmail(_ context.Context, email string) ([]*zohoauth.Token, error) {
	var out []*zohoauth.Token
	for _, t := range r.s.tokens {
		if storekit.OfEmail(t.UserName, email) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (r rows) MaxID(context.Context) (uint64, error) { return r.s.maxID, nil }

func (s *Store) index(id string) int {
	return slices.IndexFunc(s.tokens, func(t *zohoauth.Token) bool { return t.ID == id })
}

// FindToken returns a copy of the token that matches t (see zohoauth.Store).
func (s *Store) FindToken(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	found, err := storekit.Find(ctx, rows{s}, t)
	if err != nil {
		return nil, storekit.StoreError(MsgGetToken, err)
	}
	return found.Clone(), nil
}

// SaveToken inserts or updates t (see zohoauth.Store) and updates t to the
// stored value.
func (s *Store) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	if err := ctx.Err(); err != nil {
		return storekit.StoreError(MsgSaveToken, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	plan, err := storekit.PlanSave(ctx, rows{s}, t, MsgDetailsNotFound)
	if err != nil {
		return err
	}
	if plan.Old != nil {
		s.tokens = slices.Delete(s.tokens, s.index(plan.Old.ID), s.index(plan.Old.ID)+1)
	}
	at, _ := slices.BinarySearchFunc(s.tokens, plan.Token.ID, func(t *zohoauth.Token, id string) int { return storekit.CompareIDs(t.ID, id) })
	s.tokens = slices.Insert(s.tokens, at, plan.Token)
	if n, err := strconv.ParseUint(plan.Token.ID, 10, 64); err == nil && n > s.maxID {
		s.maxID = n
	}
	if plan.Old == nil {
		// A created token starts with no record: its id's record is an
		// orphan (ids are never reused, but a caller may give one).
		s.life.Delete(plan.Token.ID)
	}
	*t = *plan.Token.Clone()
	return nil
}

// DeleteToken deletes the token with the given id.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return storekit.StoreError(MsgDeleteToken, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.index(id)
	if i < 0 {
		return storekit.StoreError(MsgTokenIDNotFound, zohoauth.ErrNotFound)
	}
	s.tokens = slices.Delete(s.tokens, i, i+1)
	s.life.Delete(id)
	return nil
}

// Tokens returns copies of all tokens, ordered by numeric id.
func (s *Store) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, storekit.StoreError(MsgGetTokens, err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*zohoauth.Token, len(s.tokens))
	for i, t := range s.tokens {
		out[i] = t.Clone()
	}
	return out, nil
}

// DeleteTokens deletes every token. Ids start again at 1.
func (s *Store) DeleteTokens(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return storekit.StoreError(MsgDeleteTokens, err)
	}
	s.mu.Lock()
	s.tokens, s.maxID = nil, 0
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
	defer s.mu.RUnlock()
	i := s.index(id)
	if i < 0 {
		return nil, storekit.StoreError(MsgGetTokenByID, zohoauth.ErrNotFound)
	}
	return s.tokens[i].Clone(), nil
}
