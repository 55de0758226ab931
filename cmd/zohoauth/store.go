package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sync"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storeurl"
)

// open opens the store of --store.
func (a *app) open(ctx context.Context) (storeurl.Store, error) {
	return a.openStore(ctx, a.storeURL)
}

// openExisting opens the store of --store if it exists: a SQLite or token
// file that is not there is not created (an error matching
// zohoauth.ErrNotFound says so), so that a command that only reads leaves
// no empty store behind.
func (a *app) openExisting(ctx context.Context) (storeurl.Store, error) {
	loc, err := storeurl.Parse(a.storeURL)
	if err != nil {
		return nil, err
	}
	if (loc.Scheme == storeurl.SchemeSQLite || loc.Scheme == storeurl.SchemeFile) && loc.Path != storeurl.MemoryPath {
		if _, err := os.Stat(loc.Path); errors.Is(err, fs.ErrNotExist) {
			return nil, &noStoreError{store: loc.String()}
		}
	}
	return a.openStore(ctx, a.storeURL)
}

// noStoreError is a store file that does not exist: exit code 3.
type noStoreError struct{ store string }

func (e *noStoreError) Error() string {
	return "the store " + e.store + " does not exist yet; zohoauth login creates it"
}

func (e *noStoreError) Unwrap() error { return zohoauth.ErrNotFound }

// withCapabilities returns w with the cross-process lock
// (zohoauth.Locker) and the guarded save (zohoauth.CompareAndSwapper) of
// inner, when inner has them: a wrapper that changes a few methods of a
// store keeps the capabilities the authenticator discovers by type
// assertion.
func withCapabilities(w storeurl.Store, inner zohoauth.Store) storeurl.Store {
	l, isLocker := inner.(zohoauth.Locker)
	c, isSwapper := inner.(zohoauth.CompareAndSwapper)
	switch {
	case isLocker && isSwapper:
		return struct {
			storeurl.Store
			zohoauth.Locker
			zohoauth.CompareAndSwapper
		}{w, l, c}
	case isLocker:
		return struct {
			storeurl.Store
			zohoauth.Locker
		}{w, l}
	case isSwapper:
		return struct {
			storeurl.Store
			zohoauth.CompareAndSwapper
		}{w, c}
	}
	return w
}

// seededStore answers the first look-up of one token's id with the token
// the command has just read to select it, so that the authenticator does
// not read it a second time; every later read, the re-read under the
// refresh lock included, goes to the store.
type seededStore struct {
	storeurl.Store
	mu   sync.Mutex
	seed *zohoauth.Token // nil once used
}

// seeded returns s with t as the answer to the first look-up of t.ID.
func seeded(s storeurl.Store, t *zohoauth.Token) storeurl.Store {
	return withCapabilities(&seededStore{Store: s, seed: t.Clone()}, s)
}

// FindTokenByID returns the seed once, then reads the store.
func (s *seededStore) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	s.mu.Lock()
	t := s.seed
	if t != nil && t.ID == id {
		s.seed = nil
	}
	s.mu.Unlock()
	if t != nil && t.ID == id {
		return t, nil
	}
	return s.Store.FindTokenByID(ctx, id)
}
