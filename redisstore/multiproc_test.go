package redisstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth"
)

// The multi-process test: procs processes of workers goroutines each save
// and find the same users under one prefix, every process setting a field
// of its own, so that a lost update or a duplicate row cannot go unnoticed;
// then every goroutine increments a counter under one lock, with a read and
// a write that only mutual exclusion keeps from losing increments.
const (
	procs       = 4
	workers     = 16
	users       = 1000
	rounds      = 3
	lockedIncrs = 5 // per goroutine
)

// Environment of a helper process.
const (
	envHelper = "ZOHOAUTH_REDISSTORE_HELPER"
	envPrefix = "ZOHOAUTH_REDISSTORE_PREFIX"
	envProc   = "ZOHOAUTH_REDISSTORE_PROC"
)

func userName(u int) string { return fmt.Sprintf("user%04d@example.com:6000%04d", u, u) }

// procField returns the field that process p owns.
func procField(t *zohoauth.Token, p int) *string {
	return [...]*string{&t.RefreshToken, &t.ClientSecret, &t.RedirectURL, &t.APIDomain}[p]
}

func procValue(p, r int) string { return fmt.Sprintf("p%d-r%d", p, r) }

// TestHelperProcess is one process of TestMultiProcess; it does nothing in
// a normal run.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("a helper process of TestMultiProcess")
	}
	p, err := strconv.Atoi(os.Getenv(envProc))
	if err != nil || p < 0 || p >= procs {
		t.Fatalf("bad %s", envProc)
	}
	ctx := t.Context()
	s, err := Open(ctx, "redis://"+testAddr(t)+"/0", WithPrefix(os.Getenv(envPrefix)))
	if err != nil {
		t.Fatalf("process %d: open: %v", p, err)
	}
	defer s.Close()
	var failures atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fail := func(format string, args ...any) {
				if failures.Add(1) <= 10 {
					t.Errorf("process %d worker %d: "+format, append([]any{p, w}, args...)...)
				}
			}
			for r := 0; r < rounds; r++ {
				for u := w; u < users; u += workers {
					tok := &zohoauth.Token{
						UserName:    userName(u),
						ClientID:    "1000.CLIENT",
						AccessToken: fmt.Sprintf("1000.access.p%d.r%d.u%d", p, r, u),
						Expiry:      time.UnixMilli(1795879420612 + int64(r)),
					}
					*procField(tok, p) = procValue(p, r)
					if err := s.SaveToken(ctx, tok); err != nil {
						fail("save user %d: %v", u, err)
						continue
					}
					got, err := s.FindToken(ctx, &zohoauth.Token{UserName: userName(u), ClientID: "1000.CLIENT"})
					if err != nil {
						fail("find user %d: %v", u, err)
						continue
					}
					if *procField(got, p) != procValue(p, r) || got.ID != tok.ID {
						fail("user %d: read back id %s field %q after saving id %s field %q", u, got.ID, *procField(got, p), tok.ID, procValue(p, r))
					}
				}
			}
			counter := s.Prefix() + "test:locked-counter"
			for i := 0; i < lockedIncrs; i++ {
				lk, err := s.Lock(ctx, "counter", 10*time.Second)
				if err != nil {
					fail("lock: %v", err)
					return
				}
				n, err := s.Client().Get(ctx, counter).Int()
				if err != nil && !errors.Is(err, redis.Nil) {
					fail("get: %v", err)
				}
				if err := s.Client().Set(ctx, counter, n+1, 0).Err(); err != nil {
					fail("set: %v", err)
				}
				if err := lk.Unlock(context.WithoutCancel(ctx)); err != nil {
					fail("unlock: %v", err)
				}
			}
		}()
	}
	wg.Wait()
}

// TestMultiProcess runs procs processes of workers goroutines against one
// prefix and checks: no error, no duplicate row, no lost update, unique
// numeric ids, consistent indexes, no increment lost under the lock.
func TestMultiProcess(t *testing.T) {
	if os.Getenv(envHelper) == "1" {
		t.Skip("in a helper process")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	s := newTestStore(t)
	start := time.Now()
	var wg sync.WaitGroup
	out := make([][]byte, procs)
	errs := make([]error, procs)
	for p := 0; p < procs; p++ {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), envHelper+"=1", envPrefix+"="+s.Prefix(), envProc+"="+strconv.Itoa(p))
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[p], errs[p] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for p := range procs {
		if errs[p] != nil {
			t.Errorf("process %d: %v\n%s", p, errs[p], out[p])
		}
	}
	if t.Failed() {
		return
	}
	t.Logf("%d processes × %d goroutines, %d saves and as many finds, %d locked increments: %v",
		procs, workers, procs*users*rounds, procs*workers*lockedIncrs, time.Since(start).Round(time.Millisecond))
	list, err := s.Tokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != users {
		t.Errorf("%d tokens for %d users", len(list), users)
	}
	ids := map[string]bool{}
	seen := map[string]bool{}
	for _, tok := range list {
		if !zohoauth.ValidID(tok.ID) || ids[tok.ID] {
			t.Errorf("id %q not numeric or given twice", tok.ID)
		}
		ids[tok.ID] = true
		if seen[tok.UserName] {
			t.Errorf("user %s has two tokens", tok.UserName)
		}
		seen[tok.UserName] = true
		for p := 0; p < procs; p++ {
			if got := *procField(tok, p); got != procValue(p, rounds-1) {
				t.Errorf("user %s: process %d's field is %q, want %q (a lost update)", tok.UserName, p, got, procValue(p, rounds-1))
			}
		}
	}
	n, err := s.Client().Get(t.Context(), s.Prefix()+"test:locked-counter").Int()
	if err != nil {
		t.Fatal(err)
	}
	if want := procs * workers * lockedIncrs; n != want {
		t.Errorf("the counter incremented under the lock is %d, want %d (two holders at once)", n, want)
	}
	if err := s.Client().Del(t.Context(), s.Prefix()+"test:locked-counter").Err(); err != nil {
		t.Fatal(err)
	}
}
