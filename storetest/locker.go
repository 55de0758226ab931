package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// locker returns s as a Locker; Run checked the capability.
func locker(t *testing.T, s zohoauth.Store) zohoauth.Locker {
	t.Helper()
	return s.(zohoauth.Locker)
}

func mustLock(t *testing.T, l zohoauth.Locker, name string, lease time.Duration) zohoauth.Lock {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx(t), 10*time.Second)
	defer cancel()
	lk, err := l.Lock(ctx, name, lease)
	if err != nil {
		t.Fatalf("Lock(%q): %v", name, err)
	}
	return lk
}

// wantHeld checks that name cannot be locked within wait.
func wantHeld(t *testing.T, l zohoauth.Locker, name string, wait time.Duration) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx(t), wait)
	defer cancel()
	lk, err := l.Lock(c, name, time.Second)
	if err == nil {
		_ = lk.Unlock(context.WithoutCancel(c))
		t.Fatalf("Lock(%q) succeeded while another owner holds a live lease", name)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock(%q) on a held lock = %v, want an error wrapping context.DeadlineExceeded", name, err)
	}
}

func testLockExclusive(t *testing.T, s zohoauth.Store) {
	l := locker(t, s)
	a := mustLock(t, l, "a", 10*time.Second)
	wantHeld(t, l, "a", 300*time.Millisecond)
	b := mustLock(t, l, "b", 10*time.Second) // other names are independent
	if err := a.Unlock(ctx(t)); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	a2 := mustLock(t, l, "a", 10*time.Second)
	for _, lk := range []zohoauth.Lock{a2, b} {
		if err := lk.Unlock(ctx(t)); err != nil {
			t.Fatalf("Unlock: %v", err)
		}
	}
}

func testLockLeaseTakeover(t *testing.T, s zohoauth.Store) {
	l := locker(t, s)
	old := mustLock(t, l, "a", 500*time.Millisecond)
	start := time.Now()
	taken := mustLock(t, l, "a", 10*time.Second) // waits for the lease to run out
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("a lock with a live lease of 500ms was taken after %v", d)
	}
	if err := old.Extend(ctx(t), 10*time.Second); !errors.Is(err, zohoauth.ErrLockLost) {
		t.Fatalf("Extend by the owner whose lease ran out = %v, want ErrLockLost", err)
	}
	if err := old.Unlock(ctx(t)); !errors.Is(err, zohoauth.ErrLockLost) {
		t.Fatalf("Unlock by the owner whose lease ran out = %v, want ErrLockLost", err)
	}
	wantHeld(t, l, "a", 300*time.Millisecond) // the stale owner's Unlock released nothing
	if err := taken.Unlock(ctx(t)); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
}

func testLockExtend(t *testing.T, s zohoauth.Store) {
	l := locker(t, s)
	lk := mustLock(t, l, "a", 400*time.Millisecond)
	for i := 0; i < 4; i++ {
		time.Sleep(200 * time.Millisecond)
		if err := lk.Extend(ctx(t), 400*time.Millisecond); err != nil {
			t.Fatalf("Extend %d: %v", i, err)
		}
	}
	// 800ms after the lock was taken with a 400ms lease, it is still held.
	wantHeld(t, l, "a", 200*time.Millisecond)
	if err := lk.Unlock(ctx(t)); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
}

func testLockContention(t *testing.T, s zohoauth.Store) {
	l := locker(t, s)
	const workers, rounds = 16, 5
	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				c, cancel := context.WithTimeout(ctx(t), 30*time.Second)
				lk, err := l.Lock(c, "contended", 10*time.Second)
				cancel()
				if err != nil {
					errs <- err
					return
				}
				if inside.Add(1) > 1 {
					overlaps.Add(1)
				}
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				if err := lk.Unlock(context.WithoutCancel(ctx(t))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := overlaps.Load(); n > 0 {
		t.Fatalf("%d times two owners held the lock at once", n)
	}
}

func testSwapToken(t *testing.T, s zohoauth.Store) {
	c := s.(zohoauth.CompareAndSwapper) // Run checked the capability
	a := save(t, s, full(1, "A"))
	read := mustByID(t, s, a.ID)
	next := &zohoauth.Token{ID: a.ID, AccessToken: "1000.access.swapped", Expiry: a.Expiry.Add(time.Hour)}
	if err := c.SwapToken(ctx(t), read, next); err != nil {
		t.Fatalf("SwapToken on an unchanged token: %v", err)
	}
	if next.RefreshToken != a.RefreshToken {
		t.Fatalf("SwapToken did not update the token passed to the stored value")
	}
	want := mustByID(t, s, a.ID)
	if want.AccessToken != "1000.access.swapped" || want.RefreshToken != a.RefreshToken {
		t.Fatalf("SwapToken did not merge the new access token over the stored token")
	}
	// read is stale now: a second swap from it must fail and change nothing.
	err := c.SwapToken(ctx(t), read, &zohoauth.Token{ID: a.ID, AccessToken: "1000.access.late"})
	if !errors.Is(err, zohoauth.ErrStale) {
		t.Fatalf("SwapToken from a stale read = %v, want ErrStale", err)
	}
	same(t, "after a refused swap", mustByID(t, s, a.ID), want)
	err = c.SwapToken(ctx(t), &zohoauth.Token{ID: "999", AccessToken: "x"}, &zohoauth.Token{ID: "999", AccessToken: "y"})
	if !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("SwapToken of an unknown id = %v, want ErrNotFound", err)
	}
}

// testSwapOneWinner is SwapOneWinner on the store under test alone.
func testSwapOneWinner(t *testing.T, s zohoauth.Store) { SwapOneWinner(t, s) }

// SwapOneWinner races swaps of one token from one read, on goroutines
// spread over stores, each a zohoauth.CompareAndSwapper on the same data
// (two stores opened on one database or file: two processes, as far as
// the data can tell): refreshes (a new access token and expiry) and swaps
// that change one more field, alternated. In each round exactly one may
// win; the others must find the token stale. A swap whose compare and save
// are two steps lets several win, and so does one whose kinds of swap
// guard against each other in one process only. Run calls it with the
// store under test alone.
func SwapOneWinner(t *testing.T, stores ...zohoauth.Store) {
	t.Helper()
	cas := make([]zohoauth.CompareAndSwapper, len(stores))
	for i, s := range stores {
		c, ok := s.(zohoauth.CompareAndSwapper)
		if !ok {
			t.Fatalf("store %d (%T) is not a zohoauth.CompareAndSwapper", i, s)
		}
		cas[i] = c
	}
	a := save(t, stores[0], full(1, "A"))
	const racers, rounds = 8, 40
	for round := range rounds {
		read := mustByID(t, stores[0], a.ID)
		start := make(chan struct{})
		errs := make(chan error, racers)
		for g := range racers {
			go func() {
				in := read.Clone()
				in.AccessToken = fmt.Sprintf("1000.access.race.%d.%d", round, g)
				in.Expiry = read.Expiry.Add(time.Duration(g+1) * time.Second)
				if g%2 == 1 {
					in.RedirectURL = fmt.Sprintf("https://example.com/race/%d/%d", round, g)
				}
				<-start
				errs <- cas[(g/2)%len(cas)].SwapToken(ctx(t), read, in)
			}()
		}
		close(start)
		won := 0
		for range racers {
			switch err := <-errs; {
			case err == nil:
				won++
			case !errors.Is(err, zohoauth.ErrStale):
				t.Fatalf("round %d: SwapToken = %v, want nil or ErrStale", round, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d swaps from the same read succeeded, want 1", round, won)
		}
	}
}

// testSwapHalfStale checks that SwapToken compares both the access token and
// the expiry: a stored token that changed in only one of them is stale too.
func testSwapHalfStale(t *testing.T, s zohoauth.Store) {
	c := s.(zohoauth.CompareAndSwapper) // Run checked the capability
	for _, tc := range []struct {
		name   string
		change func(stored *zohoauth.Token) *zohoauth.Token
	}{
		{"same access token, another expiry", func(stored *zohoauth.Token) *zohoauth.Token {
			return &zohoauth.Token{ID: stored.ID, AccessToken: stored.AccessToken, Expiry: stored.Expiry.Add(time.Hour)}
		}},
		{"same expiry, another access token", func(stored *zohoauth.Token) *zohoauth.Token {
			return &zohoauth.Token{ID: stored.ID, AccessToken: stored.AccessToken + ".new", Expiry: stored.Expiry}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.DeleteTokens(ctx(t)); err != nil {
				t.Fatal(err)
			}
			a := save(t, s, full(1, "A"))
			read := mustByID(t, s, a.ID)
			save(t, s, tc.change(read)) // another writer's save
			want := mustByID(t, s, a.ID)
			if diff := diff(want, read); len(diff) != 1 {
				t.Fatalf("the other writer's save changed %v, want one field", diff)
			}
			err := c.SwapToken(ctx(t), read, &zohoauth.Token{ID: a.ID, AccessToken: "1000.access.late", Expiry: read.Expiry.Add(2 * time.Hour)})
			if !errors.Is(err, zohoauth.ErrStale) {
				t.Fatalf("SwapToken from a read whose token changed in one field = %v, want ErrStale", err)
			}
			same(t, "after a refused swap", mustByID(t, s, a.ID), want)
		})
	}
}

// testLockUnless checks storekit.LockChecker: a free lock is taken without
// a check; a waiter whose check finds the work done leaves without the
// lock while the holder keeps it; a check's error ends the wait; a check
// that finds the lock still needed keeps the waiter waiting until the
// release. A check runs after a wait ends: while the holder keeps the
// lock, the kit wakes the waiters (a release of another lock, an
// extension of the held one) or lets them poll.
func testLockUnless(t *testing.T, s zohoauth.Store) {
	l := s.(storekit.LockChecker)
	never := func(context.Context) (bool, error) {
		t.Error("done called before the first try")
		return false, nil
	}
	free, err := l.LockUnless(ctx(t), "free", 10*time.Second, never)
	if err != nil {
		t.Fatalf("LockUnless on a free lock: %v", err)
	}
	if err := free.Unlock(ctx(t)); err != nil {
		t.Fatalf("Unlock: %v", err)
	}

	held := mustLock(t, l, "held", time.Minute)
	stop := pokeWaiters(t, l, held)
	var checks atomic.Int32
	c, cancel := context.WithTimeout(ctx(t), 20*time.Second)
	defer cancel()
	lk, err := l.LockUnless(c, "held", time.Minute, func(context.Context) (bool, error) {
		return checks.Add(1) >= 2, nil // done at the second check
	})
	if lk != nil || !errors.Is(err, storekit.ErrLockUnneeded) {
		t.Fatalf("LockUnless with a check reporting done = (%v, %v), want (nil, an error matching ErrLockUnneeded)", lk, err)
	}
	if n := checks.Load(); n != 2 {
		t.Errorf("done called %d times, want 2 (it reported done at the second)", n)
	}
	boom := errors.New("check failed")
	_, err = l.LockUnless(c, "held", time.Minute, func(context.Context) (bool, error) { return false, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("LockUnless with a failing check = %v, want an error wrapping the check's", err)
	}
	stop()
	if err := held.Extend(ctx(t), time.Minute); err != nil {
		t.Fatalf("the holder lost its lock to a waiter that left: %v", err)
	}

	got := make(chan error, 1)
	go func() {
		lk, err := l.LockUnless(c, "held", time.Minute, func(context.Context) (bool, error) { return false, nil })
		if err == nil {
			err = lk.Unlock(context.WithoutCancel(c))
		}
		got <- err
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("LockUnless returned (%v) while the lock is held and its check says not done", err)
	default:
	}
	if err := held.Unlock(ctx(t)); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if err := <-got; err != nil {
		t.Fatalf("LockUnless after the release: %v", err)
	}
}

// pokeWaiters wakes the waiters for held's lock every 20 ms, without
// releasing it, until the function it returns is called: it extends held
// and takes and releases another lock of l.
func pokeWaiters(t *testing.T, l zohoauth.Locker, held zohoauth.Lock) (stop func()) {
	t.Helper()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if err := held.Extend(ctx(t), time.Minute); err != nil {
				t.Errorf("Extend: %v", err)
				return
			}
			lk, err := l.Lock(ctx(t), "poke", time.Second)
			if err != nil {
				t.Errorf("Lock(poke): %v", err)
				return
			}
			if err := lk.Unlock(ctx(t)); err != nil {
				t.Errorf("Unlock(poke): %v", err)
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
