package storetest_test

// Tests written for mutants of scripts/mutation.sh that lived in the kit:
// a check that stops passing a correct store, or stops catching a broken
// one, must fail a test of the kit's own package.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storetest"
)

// TestKitPassesFileStore runs every check on the file store, the one with
// a Pager.
func TestKitPassesFileStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) zohoauth.Store {
		s, err := filestore.New(filepath.Join(t.TempDir(), filestore.DefaultFile))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		return s
	}, storetest.Claim(storetest.BatchSaver, storetest.CompareAndSwapper, storetest.Locker, storetest.Pager))
}

// Deliberately broken stores, each with the check of the kit that must
// catch it: the mutants of the checks that lived made them pass these.
var moreBroken = []struct {
	name, check string
	make        func() zohoauth.Store
}{
	// Kills locker.go:49 (wantHeld waiting 0) and locker.go:104, 108 (no
	// contending worker or round).
	{"lock granted while held", "LockExclusive", func() zohoauth.Store { return grantAll{memory.New()} }},
	{"lock granted while held", "LockContention", func() zohoauth.Store { return grantAll{memory.New()} }},
	// Kills locker.go:85, 86 and 92 (no extension, no pause, no wait).
	{"extend does nothing", "LockExtend", func() zohoauth.Store { return extendNoop{memory.New()} }},
	// Kills locker.go:67 (a lock taken at once passes for one taken after
	// the lease).
	{"leases a quarter of the time asked", "LockLeaseTakeover", func() zohoauth.Store { return quarterLease{memory.New()} }},
	// Kills locker.go:76 (wantHeld waiting 0 after the stale Unlock).
	{"stale owner's unlock releases the new owner", "LockLeaseTakeover", func() zohoauth.Store {
		return &staleUnlock{Store: memory.New(), cur: map[string]*staleLock{}}
	}},
	// Kills secrets.go:107 (no batch save).
	{"batch save error quotes a value", "SecretsNotInErrors", func() zohoauth.Store { return quoteInBatch{memory.New()} }},
	// Kills secrets.go:114 and 115 (no delete).
	{"delete error quotes the refresh token", "SecretsNotInErrors", func() zohoauth.Store { return quoteInDelete{memory.New()} }},
	// Kills secrets.go:100 (the user name in the wrong queries).
	{"not-found error quotes the refresh token", "SecretsNotInErrors", func() zohoauth.Store { return quoteInFind{memory.New()} }},
	// Kills storetest.go:250 (the order of Tokens unchecked).
	{"Tokens in reverse id order", "SaveAssignsNumericIDs", func() zohoauth.Store { return reversed{memory.New()} }},
	// Kills storetest.go:700 (Many's finds skipped).
	{"client id ignored", "ManyUsersAndClients", func() zohoauth.Store { return ignoreClient{memory.New()} }},
	// Kills storetest.go:608 (no token to delete).
	{"DeleteTokens deletes nothing", "DeleteTokens", func() zohoauth.Store { return keepAll{memory.New()} }},
	// Kills storetest.go:478 (the next id may equal 42).
	{"a new id is the greatest id, not one more", "InsertWithOwnID", func() zohoauth.Store { return maxIsNext{memory.New()} }},
}

// TestKitCatchesMoreBrokenStores runs a check of the kit on each store of
// moreBroken in a child process and expects it to fail there.
func TestKitCatchesMoreBrokenStores(t *testing.T) {
	for i, b := range moreBroken {
		t.Run(b.name+" "+b.check, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMoreBrokenChild$/^"+b.check+"$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "STORETEST_MORE_BROKEN="+strconv.Itoa(i))
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the kit passed a store whose %s:\n%s", b.name, out)
			}
			if !strings.Contains(string(out), "--- FAIL: TestMoreBrokenChild/"+b.check) {
				t.Fatalf("the kit did not fail check %s on a store whose %s:\n%s", b.check, b.name, out)
			}
		})
	}
}

func TestMoreBrokenChild(t *testing.T) {
	v := os.Getenv("STORETEST_MORE_BROKEN")
	if v == "" {
		t.Skip("run by TestKitCatchesMoreBrokenStores in a child process")
	}
	i, _ := strconv.Atoi(v)
	storetest.Run(t, func(*testing.T) zohoauth.Store { return moreBroken[i].make() }, storetest.Claim(storetest.Locker))
}

// grantAll grants every lock at once, held or not (but not with a done
// context).
type grantAll struct{ *memory.Store }

func (grantAll) Lock(ctx context.Context, _ string, _ time.Duration) (zohoauth.Lock, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return noLock{}, nil
}

type noLock struct{}

func (noLock) Extend(context.Context, time.Duration) error { return nil }
func (noLock) Unlock(context.Context) error                { return nil }

// extendNoop's Extend reports success and extends nothing.
type extendNoop struct{ *memory.Store }

func (s extendNoop) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	lk, err := s.Store.Lock(ctx, name, lease)
	if err != nil {
		return nil, err
	}
	return noExtend{lk}, nil
}

type noExtend struct{ zohoauth.Lock }

func (noExtend) Extend(context.Context, time.Duration) error { return nil }

// quarterLease gives every lock a quarter of the lease asked (a unit
// mix-up): a waiter takes a lock over while its owner's lease is live.
type quarterLease struct{ *memory.Store }

func (s quarterLease) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	return s.Store.Lock(ctx, name, lease/4)
}

// staleUnlock's Unlock by an owner whose lease ran out reports ErrLockLost
// but releases the lock of whoever holds the name now (whose own Unlock
// then reports success).
type staleUnlock struct {
	*memory.Store
	mu  sync.Mutex
	cur map[string]*staleLock
}

func (s *staleUnlock) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	lk, err := s.Store.Lock(ctx, name, lease)
	if err != nil {
		return nil, err
	}
	l := &staleLock{Lock: lk, s: s, name: name}
	s.mu.Lock()
	s.cur[name] = l
	s.mu.Unlock()
	return l, nil
}

type staleLock struct {
	zohoauth.Lock
	s        *staleUnlock
	name     string
	released bool // by a stale owner's Unlock; under s.mu
}

func (l *staleLock) Unlock(ctx context.Context) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if l.released {
		return nil
	}
	err := l.Lock.Unlock(ctx)
	if cur := l.s.cur[l.name]; errors.Is(err, zohoauth.ErrLockLost) && cur != nil && cur != l {
		_ = cur.Lock.Unlock(ctx)
		cur.released = true
	}
	return err
}

// TestMultiProcessSmallestRun kills the mutants of process.go:83 that
// refused a count of 1 (processes, goroutines, users, rounds): the smallest
// run is a valid one. Under -short MultiProcess checks the options and
// skips; without it the run spawns one child.
func TestMultiProcessSmallestRun(t *testing.T) {
	storetest.MultiProcess(t, openFile, storetest.ProcessOptions{
		Setup: func(t *testing.T) string { return filepath.Join(t.TempDir(), "tokens.csv") },
		Procs: 1, Goroutines: 1, Users: 1, Rounds: 1, LockRounds: 1,
	})
}

// quoteInBatch's batch save refuses a refresh token that is not UTF-8,
// quoting it.
type quoteInBatch struct{ *memory.Store }

func (s quoteInBatch) SaveTokens(ctx context.Context, tokens []*zohoauth.Token) error {
	for _, t := range tokens {
		if !utf8.ValidString(t.RefreshToken) {
			return fmt.Errorf("batch: bad refresh_token %q", t.RefreshToken)
		}
	}
	return s.Store.SaveTokens(ctx, tokens)
}

// quoteInDelete's delete fails on a token whose refresh token is not UTF-8,
// quoting it.
type quoteInDelete struct{ *memory.Store }

func (s quoteInDelete) DeleteToken(ctx context.Context, id string) error {
	if t, err := s.Store.FindTokenByID(ctx, id); err == nil && !utf8.ValidString(t.RefreshToken) {
		return fmt.Errorf("cannot delete the token of refresh_token %q", t.RefreshToken)
	}
	return s.Store.DeleteToken(ctx, id)
}

// quoteInFind's find by refresh token alone quotes it in its error.
type quoteInFind struct{ *memory.Store }

func (s quoteInFind) FindToken(ctx context.Context, q *zohoauth.Token) (*zohoauth.Token, error) {
	if q.UserName == "" && q.RefreshToken != "" {
		return nil, fmt.Errorf("no token of refresh_token %q: %w", q.RefreshToken, zohoauth.ErrNotFound)
	}
	return s.Store.FindToken(ctx, q)
}

// reversed's Tokens lists the tokens in reverse id order.
type reversed struct{ *memory.Store }

func (s reversed) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	all, err := s.Store.Tokens(ctx)
	slices.Reverse(all)
	return all, err
}

// keepAll's DeleteTokens reports success and deletes nothing.
type keepAll struct{ *memory.Store }

func (keepAll) DeleteTokens(context.Context) error { return nil }

// maxIsNext gives a new token the greatest stored id, overwriting that
// token, instead of the next one.
type maxIsNext struct{ *memory.Store }

func (s maxIsNext) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	if t.ID == "" {
		all, err := s.Store.Tokens(ctx)
		if err != nil {
			return err
		}
		if n := len(all); n > 0 {
			t.ID = all[n-1].ID
		}
	}
	return s.Store.SaveToken(ctx, t)
}
