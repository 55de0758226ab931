package auth_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storekit"
)

// lifeStore is a memory.Store that keeps lifecycle records in a map under
// a mutex: a test-only zohoauth.LifecycleKeeper (the stores' own come from
// the meta branch). It counts its calls, can fail its writes of records,
// and can run a hook before each call (to cancel a sweep halfway).
type lifeStore struct {
	*memory.Store
	mu   sync.Mutex
	recs map[string]zohoauth.Lifecycle

	updates, reads, pages, tokenPages, allTokens atomic.Int64
	failUpdates                                  atomic.Bool
	maxPage                                      atomic.Int64
	before                                       func(op string) // may be nil; set before use
}

var errRecordDown = errors.New("lifecycle table unreachable")

func newLifeStore() *lifeStore {
	return &lifeStore{Store: memory.New(), recs: map[string]zohoauth.Lifecycle{}}
}

// hook runs before at the start of op and returns the call that runs it
// at its end, as op+" done".
func (s *lifeStore) hook(op string) func() {
	if s.before != nil {
		s.before(op)
	}
	return func() {
		if s.before != nil {
			s.before(op + " done")
		}
	}
}

func (s *lifeStore) Lifecycle(ctx context.Context, id string) (zohoauth.Lifecycle, error) {
	defer s.hook("lifecycle")()
	s.reads.Add(1)
	if err := ctx.Err(); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.recs[id]; ok {
		return l, nil
	}
	return zohoauth.Lifecycle{ID: id}, nil
}

func (s *lifeStore) UpdateLifecycle(ctx context.Context, id string, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, error) {
	defer s.hook("update")()
	s.updates.Add(1)
	if err := ctx.Err(); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	if s.failUpdates.Load() {
		return zohoauth.Lifecycle{}, errRecordDown
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.recs[id]
	if !ok {
		l = zohoauth.Lifecycle{ID: id}
	}
	if err := fn(&l); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	l.ID = id
	s.recs[id] = l
	return l, nil
}

func (s *lifeStore) DeleteLifecycle(ctx context.Context, id string) error {
	defer s.hook("delete_lifecycle")()
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.recs, id)
	return nil
}

func (s *lifeStore) LifecyclesAfter(ctx context.Context, after string, limit int) ([]zohoauth.Lifecycle, error) {
	defer s.hook("lifecycles")()
	s.pages.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var out []zohoauth.Lifecycle
	for id, l := range s.recs {
		if after == "" || storekit.CompareIDs(id, after) > 0 {
			out = append(out, l)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b zohoauth.Lifecycle) int { return storekit.CompareIDs(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// DeleteToken deletes the token and its record, as the contract says.
func (s *lifeStore) DeleteToken(ctx context.Context, id string) error {
	defer s.hook("delete")()
	if err := s.Store.DeleteToken(ctx, id); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.recs, id)
	s.mu.Unlock()
	return nil
}

func (s *lifeStore) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	defer s.hook("find_by_id")()
	return s.Store.FindTokenByID(ctx, id)
}

func (s *lifeStore) TokensAfter(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	defer s.hook("tokens_after")()
	s.tokenPages.Add(1)
	for {
		m := s.maxPage.Load()
		if int64(limit) <= m || s.maxPage.CompareAndSwap(m, int64(limit)) {
			break
		}
	}
	all, err := s.Store.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b *zohoauth.Token) int { return storekit.CompareIDs(a.ID, b.ID) })
	out := all[:0]
	for _, t := range all {
		if after == "" || storekit.CompareIDs(t.ID, after) > 0 {
			out = append(out, t)
		}
	}
	return out[:min(limit, len(out))], nil
}

func (s *lifeStore) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	s.allTokens.Add(1)
	return s.Store.Tokens(ctx)
}

// rec returns the record of id (zero when none).
func (s *lifeStore) rec(id string) zohoauth.Lifecycle {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recs[id]
}

// put sets a record as it is.
func (s *lifeStore) put(l zohoauth.Lifecycle) {
	s.mu.Lock()
	s.recs[l.ID] = l
	s.mu.Unlock()
}

// bare is a store with no capability but the Store contract.
type bare struct{ zohoauth.Store }
