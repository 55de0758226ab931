package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storeurl"
)

// open opens the store of --store for a command that saves tokens: a
// SQLite file that does not exist is created, readable by its owner only
// (and the default store's directory too, 0700). The store is encrypted
// with the keyset of --keyset when one is given (openSealed).
func (a *app) open(ctx context.Context) (storeurl.Store, error) {
	ks, err := a.globalKeyset()
	if err != nil {
		return nil, err
	}
	return a.openSealed(ctx, a.storeURL, true, ks)
}

// openExisting opens the store of --store if it exists: a SQLite or token
// file that is not there is not created (a *noStoreError, which matches
// zohoauth.ErrNotFound, says so), so that a command that only reads leaves
// no empty store behind.
func (a *app) openExisting(ctx context.Context) (storeurl.Store, error) {
	ks, err := a.globalKeyset()
	if err != nil {
		return nil, err
	}
	return a.openSealed(ctx, a.storeURL, false, ks)
}

// openURL opens the store at raw, creating a missing store file only when
// create is set.
func (a *app) openURL(ctx context.Context, raw string, create bool) (storeurl.Store, error) {
	if raw == "" {
		return nil, usageErrorf("no store: %v, so there is no default store; give --store URL or %s", a.noDefaultStore, envStore)
	}
	loc, err := storeurl.Parse(raw)
	if err != nil {
		return nil, err
	}
	isDefault := raw == a.defaultStoreURL
	if isDefault {
		a.hintWorkingDirStore(loc.Path)
	}
	if (loc.Scheme == storeurl.SchemeSQLite || loc.Scheme == storeurl.SchemeFile) && loc.Path != storeurl.MemoryPath {
		if _, err := os.Stat(loc.Path); errors.Is(err, fs.ErrNotExist) {
			if !create {
				return nil, &noStoreError{store: loc.String()}
			}
			if err := a.createStoreFile(loc, isDefault); err != nil {
				return nil, err
			}
		}
	}
	return a.openStore(ctx, raw)
}

// createStoreFile creates the directory of the default store (0700) and an
// empty SQLite file (0600: SQLite gives its journal files the same mode),
// so that no other user can read the tokens. A token file is created by
// its store on the first save.
func (a *app) createStoreFile(loc *storeurl.Location, isDefault bool) error {
	if isDefault {
		dir := filepath.Dir(loc.Path)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating the store's directory: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("making the store's directory private: %w", err)
		}
	}
	if loc.Scheme != storeurl.SchemeSQLite {
		return nil
	}
	f, err := os.OpenFile(loc.Path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil // created meanwhile, by another run
	}
	if err != nil {
		return nil // the store's open reports why it cannot be created
	}
	return f.Close()
}

// workingDirStore is the store file the command used by default before it
// moved to the user's data directory: Zoho's SQLite sample store's file in
// the working directory.
const workingDirStore = defaultStoreFile

// hintWorkingDirStore says once, on standard error, how to use or migrate
// the store file of the working directory when the default store (at
// path) does not exist yet and that file does.
func (a *app) hintWorkingDirStore(path string) {
	if a.hinted {
		return
	}
	a.hinted = true
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	if fi, err := os.Stat(workingDirStore); err != nil || !fi.Mode().IsRegular() {
		return
	}
	fmt.Fprintf(a.stderr, "zohoauth: note: ./%s is not used: the default store is %s. Use it with --store sqlite:%s (or %s), or move its tokens: zohoauth migrate --from sqlite:%s --to %s\n",
		workingDirStore, a.defaultStoreURL, workingDirStore, envStore, workingDirStore, a.defaultStoreURL)
}

// noStoreError is a store file that does not exist: exit code 3.
type noStoreError struct{ store string }

func (e *noStoreError) Error() string {
	return "the store " + e.store + " does not exist yet; zohoauth login creates it"
}

func (e *noStoreError) Unwrap() error { return zohoauth.ErrNotFound }

// withCapabilities returns w with the cross-process lock
// (zohoauth.Locker), the guarded save (zohoauth.CompareAndSwapper) and the
// lifecycle records (zohoauth.LifecycleKeeper) of inner, when inner has
// them: a wrapper that changes a few methods of a store keeps the
// capabilities the authenticator discovers by type assertion.
func withCapabilities(w storeurl.Store, inner zohoauth.Store) storeurl.Store {
	p := storekit.PartsOf(inner)
	p.BatchSaver, p.Pager = nil, nil
	return storekit.Compose(w, w, p).(storeurl.Store) // a Closer is given: a storeurl.Store
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
