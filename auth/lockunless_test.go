package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storekit"
)

// takenStore is a memory store (a storekit.LockChecker) that counts the
// locks taken and the waits that ended without the lock.
type takenStore struct {
	*memory.Store
	taken, unneeded, calls atomic.Int32
	gate                   chan struct{} // when set, SwapToken waits for it to close
}

func (s *takenStore) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	if s.gate != nil {
		<-s.gate
	}
	return s.Store.SwapToken(ctx, old, t)
}

func (s *takenStore) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	return s.LockUnless(ctx, name, lease, nil)
}

func (s *takenStore) LockUnless(ctx context.Context, name string, lease time.Duration, done func(context.Context) (bool, error)) (zohoauth.Lock, error) {
	s.calls.Add(1)
	lk, err := s.Store.LockUnless(ctx, name, lease, done)
	switch {
	case err == nil:
		s.taken.Add(1)
	case done != nil:
		s.unneeded.Add(1)
	}
	return lk, err
}

// TestWaitersLeaveWithoutTheLock: four processes (authenticators) over one
// store that is a LockChecker ask for an expired token at once. One takes
// the lock and refreshes; the three others, woken by its release, find the
// renewed token outside the lock and leave, instead of taking the lock one
// after another to find it inside: one lock taken, one refresh.
func TestWaitersLeaveWithoutTheLock(t *testing.T) {
	st := &takenStore{Store: memory.New()}
	e := newEnvWith(t, st, nil)
	h, _ := e.login()
	handles := []*auth.Handle{h}
	for range 3 {
		a := mustNew(e.store, e.opts)
		t.Cleanup(func() { _ = a.Close() })
		o := a.For(&zohoauth.Token{ID: h.ID()})
		if _, err := o.AccessToken(context.Background()); err != nil {
			t.Fatal(err)
		}
		handles = append(handles, o)
	}
	e.clk.Advance(2 * time.Hour)
	st.taken.Store(0)
	st.calls.Store(0)
	st.gate = make(chan struct{}) // the holder's save waits, inside the lock
	got := make([]string, len(handles))
	errs := make([]error, len(handles))
	var wg sync.WaitGroup
	run := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = handles[i].AccessToken(context.Background())
		}()
	}
	run(0)
	for e.srv.Stats().Refreshes == 0 { // the holder is inside the lock
		time.Sleep(time.Millisecond)
	}
	for i := 1; i < len(handles); i++ {
		run(i)
	}
	for st.calls.Load() < int32(len(handles)) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // each waiter's first try, microseconds after its call
	close(st.gate)
	wg.Wait()
	for i := range handles {
		if errs[i] != nil || got[i] != got[0] {
			t.Fatalf("caller %d: %v (same token as the holder: %v)", i, errs[i], got[i] == got[0])
		}
	}
	if n := e.srv.Stats().Refreshes; n != 1 {
		t.Errorf("refreshes %d, want 1", n)
	}
	if n := st.taken.Load(); n != 1 {
		t.Errorf("locks taken %d, want 1 (the waiters take it after the release to re-read inside it)", n)
	}
	if n := st.unneeded.Load(); n != 3 {
		t.Errorf("waits ended without the lock %d, want 3", n)
	}
}

// ownerSwapStore is a memory store whose LockUnless, before it checks,
// lets another login take the token's id with a valid access token, as a
// process that deleted the token and logged another user in would.
type ownerSwapStore struct {
	*memory.Store
	id      string
	checked atomic.Bool
}

func (s *ownerSwapStore) LockUnless(ctx context.Context, name string, lease time.Duration, done func(context.Context) (bool, error)) (zohoauth.Lock, error) {
	if done != nil && !s.checked.Swap(true) {
		if err := s.DeleteToken(ctx, s.id); err != nil {
			return nil, err
		}
		eve := &zohoauth.Token{ID: s.id, UserName: "eve@example.com:9", ClientID: clientID, RefreshToken: "eve-refresh", AccessToken: "eve-access-token", Expiry: t0.Add(5 * time.Hour)}
		if err := s.SaveToken(ctx, eve); err != nil {
			return nil, err
		}
		if ok, err := done(ctx); err != nil || ok {
			return nil, storekit.ErrLockUnneeded
		}
	}
	return s.Store.Lock(ctx, name, lease)
}

// TestWaiterDoesNotAdoptAnotherLogin: a waiter's check outside the lock
// must not hand out the valid token of another login that took the id
// while it waited.
func TestWaiterDoesNotAdoptAnotherLogin(t *testing.T) {
	st := &ownerSwapStore{Store: memory.New()}
	e := newEnvWith(t, st, nil)
	h, _ := e.login()
	st.id = h.ID()
	e.clk.Advance(2 * time.Hour)
	got, err := h.AccessToken(context.Background())
	if got == "eve-access-token" {
		t.Fatal("the waiter handed out another login's access token")
	}
	if !st.checked.Load() {
		t.Fatal("the renewal did not wait with LockUnless")
	}
	if !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("AccessToken = %v, want an error matching ErrNotFound (the id holds another login)", err)
	}
}

// marginStore is a memory store whose LockUnless lets another process
// renew the token (a valid access token for 10 minutes) before it checks,
// and moves the clock into the refresh margin once the check has found the
// token valid.
type marginStore struct {
	*memory.Store
	id  string
	clk *clock.Fake
}

func (s *marginStore) LockUnless(ctx context.Context, name string, lease time.Duration, done func(context.Context) (bool, error)) (zohoauth.Lock, error) {
	if done != nil {
		renewed := &zohoauth.Token{ID: s.id, AccessToken: "renewed-elsewhere", Expiry: s.clk.Now().Add(10 * time.Minute)}
		if err := s.SaveToken(ctx, renewed); err != nil {
			return nil, err
		}
		if ok, err := done(ctx); err != nil || !ok {
			return nil, fmt.Errorf("check = %v, %v; want true", ok, err)
		}
		s.clk.Advance(10*time.Minute - auth.DefaultMargin/2)
		return nil, storekit.ErrLockUnneeded
	}
	return s.Store.Lock(ctx, name, lease)
}

// TestWaiterTakesTheLockWhenTheTokenAgedMeanwhile: a token the check found
// valid but that entered the refresh margin before it was handed out is
// renewed under the lock, never outside it.
func TestWaiterTakesTheLockWhenTheTokenAgedMeanwhile(t *testing.T) {
	st := &marginStore{Store: memory.New()}
	e := newEnvWith(t, st, nil)
	st.clk = e.clk
	h, _ := e.login()
	st.id = h.ID()
	e.clk.Advance(2 * time.Hour)
	before := e.srv.Stats().Refreshes
	got, err := h.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got == "renewed-elsewhere" {
		t.Fatal("handed out a token inside the refresh margin")
	}
	if n := e.srv.Stats().Refreshes - before; n != 1 {
		t.Fatalf("refreshes %d, want 1 (under the lock)", n)
	}
}
