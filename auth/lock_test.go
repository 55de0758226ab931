package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/zohotest"
)

// lockStore is a memory store that records its lock and write calls, each
// with the number of token-endpoint requests made so far. With noCAS it
// hides SwapToken; extendErr, when set, is what Extend returns instead of
// extending.
type lockStore struct {
	zohoauth.Store
	mem      *memory.Store
	requests func() int

	mu        sync.Mutex
	events    []string
	extendErr error
	extends   atomic.Int32
	waiting   chan struct{} // closed when a Lock call starts waiting
}

func newLockStore() *lockStore {
	m := memory.New()
	return &lockStore{Store: m, mem: m, waiting: make(chan struct{})}
}

// awaitWaiting waits until a Lock call has started.
func (s *lockStore) awaitWaiting(t *testing.T) {
	t.Helper()
	select {
	case <-s.waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("the authenticator never asked for the lock")
	}
}

func (s *lockStore) event(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	if s.requests != nil {
		n = s.requests()
	}
	s.events = append(s.events, fmt.Sprintf(format, args...)+fmt.Sprintf(" @%d", n))
}

func (s *lockStore) Events() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

func (s *lockStore) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	s.event("lock-wait %s %v", name, lease)
	select {
	case <-s.waiting:
	default:
		close(s.waiting)
	}
	lk, err := s.mem.Lock(ctx, name, lease)
	if err != nil {
		s.event("lock-failed")
		return nil, err
	}
	s.event("lock")
	return &recLock{s: s, lk: lk}, nil
}

func (s *lockStore) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	s.event("read")
	return s.Store.FindTokenByID(ctx, id)
}

func (s *lockStore) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	s.event("save")
	return s.Store.SaveToken(ctx, t)
}

type recLock struct {
	s  *lockStore
	lk zohoauth.Lock
}

func (l *recLock) Extend(ctx context.Context, lease time.Duration) error {
	l.s.extends.Add(1)
	l.s.mu.Lock()
	err := l.s.extendErr
	l.s.mu.Unlock()
	if err != nil {
		return err
	}
	return l.lk.Extend(ctx, lease)
}

func (l *recLock) Unlock(ctx context.Context) error {
	l.s.event("unlock ctx-err=%v", ctx.Err())
	return l.lk.Unlock(ctx)
}

// casLockStore adds the memory store's SwapToken to a lockStore.
type casLockStore struct{ *lockStore }

func (s casLockStore) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	s.event("swap")
	return s.mem.SwapToken(ctx, old, t)
}

// lockEnv is an env over a recording store; cas chooses whether the store
// is a CompareAndSwapper.
func lockEnv(t *testing.T, cas bool, mod func(*auth.Options)) (*env, *lockStore) {
	t.Helper()
	ls := newLockStore()
	e := newEnv(t, mod)
	_ = e.a.Close()
	if cas {
		e.store = casLockStore{ls}
	} else {
		e.store = ls
	}
	e.a = mustNew(e.store, e.opts)
	t.Cleanup(func() { _ = e.a.Close() })
	ls.requests = e.tokenRequests
	return e, ls
}

// rewrite saves into the store, as another process would, a token with a
// new access token valid for an hour.
func (e *env) rewrite(id, access string) {
	e.t.Helper()
	tok := e.stored(id)
	tok.AccessToken = access
	tok.Expiry = e.clk.Now().Add(time.Hour).Truncate(time.Millisecond)
	if err := e.store.SaveToken(context.Background(), tok); err != nil {
		e.t.Fatal(err)
	}
}

// waitFault waits until the emulator has taken an injected fault: the
// refresh is in flight.
func (e *env) waitFault() {
	for e.srv.Stats().FaultsInjected == 0 {
		time.Sleep(time.Millisecond)
	}
}

func indexOf(events []string, prefix string) int {
	for i, ev := range events {
		if strings.HasPrefix(ev, prefix) {
			return i
		}
	}
	return -1
}

// The store lock of the token is taken before the refresh, with the lease
// of the options, the token is re-read inside it, the save is guarded and
// the lock is released after it, on a context that is not cancelled with
// the caller's.
func TestLockTakenBeforeRefresh(t *testing.T) {
	e, ls := lockEnv(t, true, func(o *auth.Options) { o.Lease = 9 * time.Second })
	h, old := e.login()
	id := h.ID()
	e.clk.Advance(2 * time.Hour)
	n := e.tokenRequests()
	cctx, cancel := context.WithCancel(context.Background())
	e.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: 100 * time.Millisecond})
	done := make(chan error, 1)
	go func() { _, err := h.AccessToken(cctx); done <- err }()
	e.waitFault()
	cancel() // the caller leaves; the renewal and the release go on
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	e.a.WaitIdle()
	got, err := h.AccessToken(ctx)
	if err != nil || got == old || got != e.stored(id).AccessToken {
		t.Fatalf("after refresh: %v", err)
	}
	ev := ls.Events()
	want := []string{
		fmt.Sprintf("lock-wait %s 9s @%d", storekit.LockName(id), n),
		fmt.Sprintf("lock @%d", n),
		fmt.Sprintf("read @%d", n),
		fmt.Sprintf("swap @%d", n+1),
		fmt.Sprintf("unlock ctx-err=<nil> @%d", n+1),
	}
	i := indexOf(ev, "lock-wait")
	if i < 0 || len(ev) < i+len(want) {
		t.Fatalf("events %q", ev)
	}
	for j, w := range want {
		if ev[i+j] != w {
			t.Fatalf("event %d = %q, want %q (all: %q)", j, ev[i+j], w, ev)
		}
	}
	if indexOf(ev[i:], "save") >= 0 {
		t.Fatalf("an unguarded save: %q", ev)
	}
}

// Inside the lock the token is re-read: when another process renewed it
// while this one waited for the lock, its token is adopted and Zoho is not
// called.
func TestLockedRereadAdoptsOtherProcessToken(t *testing.T) {
	e, ls := lockEnv(t, true, nil)
	h, old := e.login()
	id := h.ID()
	other, err := ls.mem.Lock(ctx, storekit.LockName(id), time.Minute) // another process holds it
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Hour)
	n := e.tokenRequests()
	type result struct {
		access string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		got, err := h.AccessToken(ctx)
		done <- result{got, err}
	}()
	ls.awaitWaiting(t)
	e.rewrite(id, "1000.from-the-other-process")
	if err := other.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.access != "1000.from-the-other-process" || r.access == old {
		t.Fatalf("got %q, %v", r.access, r.err)
	}
	if e.tokenRequests() != n {
		t.Fatal("called Zoho although the re-read token was valid")
	}
	if ev := ls.Events(); indexOf(ev, "swap") >= 0 {
		t.Fatalf("saved: %q", ev)
	}
}

// A guarded save that finds a newer token (the holder's lease ran out and
// another process saved meanwhile) adopts it and does not overwrite it.
func TestStaleSaveAdoptsNewerToken(t *testing.T) {
	e, ls := lockEnv(t, true, nil)
	h, _ := e.login()
	id := h.ID()
	e.clk.Advance(2 * time.Hour)
	e.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: 200 * time.Millisecond})
	done := make(chan string, 1)
	go func() {
		got, err := h.AccessToken(ctx)
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	e.waitFault()
	e.rewrite(id, "1000.newer")
	if got := <-done; got != "1000.newer" {
		t.Fatalf("got %q, want the newer stored token", got)
	}
	if s := e.stored(id); s.AccessToken != "1000.newer" {
		t.Fatal("the newer token was overwritten")
	}
	if e.srv.Stats().Refreshes != 1 {
		t.Fatalf("refreshes %d", e.srv.Stats().Refreshes)
	}
	if !strings.Contains(e.logs.String(), "another process saved a newer token") {
		t.Fatal("adoption not logged")
	}
	if ev := ls.Events(); indexOf(ev, "swap") < 0 {
		t.Fatalf("no guarded save: %q", ev)
	}
}

// While the refresh is in flight the holder extends the lease every third
// of it (on the authenticator's clock), and stops once it released the
// lock.
func TestLeaseExtendedDuringSlowRefresh(t *testing.T) {
	e, ls := lockEnv(t, true, func(o *auth.Options) { o.Lease = 3 * time.Second })
	h, old := e.login()
	e.clk.Advance(2 * time.Hour)
	e.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: 300 * time.Millisecond})
	done := make(chan error, 1)
	go func() { _, err := h.AccessToken(ctx); done <- err }()
	e.waitFault()
	for range 3 {
		e.clk.Advance(time.Second)
	}
	if n := ls.extends.Load(); n != 3 {
		t.Fatalf("%d extensions after a whole lease in flight, want 3", n)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	e.a.WaitIdle()
	e.clk.Advance(10 * time.Second)
	if n := ls.extends.Load(); n != 3 {
		t.Fatalf("%d extensions: extended after the release", n)
	}
	if got, _ := h.AccessToken(ctx); got == old {
		t.Fatal("not refreshed")
	}
}

// A holder whose lease extension reports ErrLockLost, over a store without
// SwapToken, does not save what it got: another process may hold the lock
// and have saved newer tokens.
func TestLockLostWithoutCASDoesNotSave(t *testing.T) {
	e, ls := lockEnv(t, false, func(o *auth.Options) { o.Lease = 3 * time.Second })
	h, old := e.login()
	id := h.ID()
	e.clk.Advance(2 * time.Hour)
	ls.mu.Lock()
	ls.extendErr = fmt.Errorf("extend: %w", zohoauth.ErrLockLost)
	ls.mu.Unlock()
	e.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: 200 * time.Millisecond})
	done := make(chan error, 1)
	go func() { _, err := h.AccessToken(ctx); done <- err }()
	e.waitFault()
	e.clk.Advance(time.Second)
	err := <-done
	isErr(t, err, zohoauth.ErrLockLost)
	if s := e.stored(id); s.AccessToken != old {
		t.Fatal("saved after losing the lock")
	}
	if ev := ls.Events(); indexOf(ev[indexOf(ev, "lock-wait"):], "save") >= 0 {
		t.Fatalf("saved under a lost lock: %q", ev)
	}
	if !strings.Contains(e.logs.String(), "refresh lock lost") {
		t.Fatal("loss not logged")
	}
}

// A renewal that times out waiting for the lock re-reads the store: the
// holder's token is returned when it saved one, otherwise ErrLockTimeout;
// Zoho is not called either way.
func TestLockWaitTimeoutRereads(t *testing.T) {
	for _, holderSaves := range []bool{true, false} {
		t.Run(fmt.Sprintf("holder saves %v", holderSaves), func(t *testing.T) {
			e, ls := lockEnv(t, true, func(o *auth.Options) { o.LockWait = 150 * time.Millisecond })
			h, _ := e.login()
			id := h.ID()
			other, err := ls.mem.Lock(ctx, storekit.LockName(id), time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Unlock(ctx)
			e.clk.Advance(2 * time.Hour)
			n := e.tokenRequests()
			type result struct {
				access string
				err    error
			}
			done := make(chan result, 1)
			go func() {
				got, err := h.AccessToken(ctx)
				done <- result{got, err}
			}()
			ls.awaitWaiting(t)
			if holderSaves {
				e.rewrite(id, "1000.holder")
			}
			r := <-done
			if holderSaves {
				if r.err != nil || r.access != "1000.holder" {
					t.Fatalf("got %q, %v", r.access, r.err)
				}
			} else {
				isErr(t, r.err, auth.ErrLockTimeout)
				isErr(t, r.err, context.DeadlineExceeded)
			}
			if e.tokenRequests() != n {
				t.Fatal("called Zoho without the lock")
			}
			if ev := ls.Events(); indexOf(ev, "lock-failed") < 0 {
				t.Fatalf("events %q", ev)
			}
		})
	}
}

// In a process, one goroutine per token goes to the store lock: the others
// wait for its renewal.
func TestOneLockPerProcess(t *testing.T) {
	e, ls := lockEnv(t, true, nil)
	h, _ := e.login()
	id := h.ID()
	e.clk.Advance(2 * time.Hour)
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.a.For(&zohoauth.Token{ID: id}).AccessToken(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n := 0
	for _, ev := range ls.Events() {
		if strings.HasPrefix(ev, "lock-wait ") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d lock calls for one renewal, want 1", n)
	}
	if e.srv.Stats().Refreshes != 1 {
		t.Fatalf("refreshes %d", e.srv.Stats().Refreshes)
	}
}
