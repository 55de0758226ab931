package storetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// The environment of a child process of MultiProcess and MultiProcessLock.
const (
	envChild   = "ZOHOAUTH_STORETEST_CHILD"   // kind + " " + the test's name
	envProc    = "ZOHOAUTH_STORETEST_PROC"    // the child's number
	envShared  = "ZOHOAUTH_STORETEST_SHARED"  // what Setup returned
	envCounter = "ZOHOAUTH_STORETEST_COUNTER" // the lock counter file
)

// MaxProcs is the most child processes MultiProcess runs: each owns a
// field of the users' tokens (refresh token, client secret, redirect URL,
// API domain).
const MaxProcs = 4

// OpenShared opens a store on the state that every process of
// MultiProcess or MultiProcessLock shares (a file, a table, a key prefix),
// named by shared, the value ProcessOptions.Setup returned in the parent.
// It closes the store through t.Cleanup but must not delete the shared
// state: Setup's cleanup does, in the parent only.
type OpenShared func(t *testing.T, shared string) zohoauth.Store

// ProcessOptions configures MultiProcess and MultiProcessLock. Zero fields
// take the defaults noted.
type ProcessOptions struct {
	// Setup runs in the parent process only: it makes the shared state of
	// one run (a new table, a file in t.TempDir(), a key prefix), registers
	// its removal with t.Cleanup and returns what names it; every process
	// hands it to open. Nil means "".
	Setup func(t *testing.T) string
	// Procs is the number of child processes: 4 (at most MaxProcs).
	Procs int
	// Goroutines is the number of goroutines of each child: 16.
	Goroutines int
	// Users is the number of users MultiProcess saves: 1000.
	Users int
	// Rounds is how many times each child saves each user: 1.
	Rounds int
	// LockRounds is how many times each goroutine of MultiProcessLock
	// takes the lock: 5.
	LockRounds int
	// Claims are the capabilities the store promises: MultiProcessLock
	// fails, instead of skipping, on a store that claims Locker and is not
	// one.
	Claims []Capability
	// Check, when set, runs in the parent after the kit's own checks of
	// MultiProcess passed, with the parent's store: the place for a
	// store's checks of its storage (rows of a table, lines of a file).
	Check func(t *testing.T, s zohoauth.Store, shared string)
}

func (o ProcessOptions) withDefaults(t *testing.T) ProcessOptions {
	t.Helper()
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Procs, 4)
	def(&o.Goroutines, 16)
	def(&o.Users, 1000)
	def(&o.Rounds, 1)
	def(&o.LockRounds, 5)
	if o.Procs < 1 || o.Procs > MaxProcs || o.Goroutines < 1 || o.Users < 1 || o.Rounds < 1 || o.LockRounds < 1 {
		t.Fatalf("storetest: bad ProcessOptions %+v (1 to %d processes, positive counts)", o, MaxProcs)
	}
	return o
}

// MultiProcess checks a store that several processes share: it re-runs the
// test binary as opts.Procs child processes, each running the same test
// function (a child is told by an environment variable), opening the store
// with open and running opts.Goroutines goroutines that save and find the
// same opts.Users users opts.Rounds times, each process setting a field of
// its own. A child fails on any error and on a find that does not return
// what its save stored. The parent then checks its store: one token per
// user, unique numeric ids, and every process's last value in its field (no
// lost update); then opts.Check. Skipped under -short.
//
// A custom store's whole test is one call:
//
//	func TestMultiProcess(t *testing.T) {
//		storetest.MultiProcess(t, func(t *testing.T, path string) zohoauth.Store {
//			s := mystore.Open(path)
//			t.Cleanup(func() { s.Close() })
//			return s
//		}, storetest.ProcessOptions{
//			Setup: func(t *testing.T) string { return filepath.Join(t.TempDir(), "tokens") },
//		})
//	}
//
// The test must not call MultiProcess twice with the same name (use
// subtests), and must reach the call in the child as in the parent.
func MultiProcess(t *testing.T, open OpenShared, opts ProcessOptions) {
	t.Helper()
	opts = opts.withDefaults(t)
	if p, shared, ok := child(t, "save"); ok {
		saveChild(t, open(t, shared), p, opts)
		return
	}
	if testing.Short() {
		t.Skip("-short: spawns processes")
	}
	shared := setup(t, opts)
	start := time.Now()
	runChildren(t, "save", shared, "", opts.Procs)
	if t.Failed() {
		return
	}
	t.Logf("%d processes × %d goroutines, %d saves and as many finds: %v",
		opts.Procs, opts.Goroutines, opts.Procs*opts.Users*opts.Rounds, time.Since(start).Round(time.Millisecond))
	s := open(t, shared)
	list, err := s.Tokens(t.Context())
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	if len(list) != opts.Users {
		t.Errorf("%d tokens for %d users", len(list), opts.Users)
	}
	ids := map[string]bool{}
	seen := map[string]bool{}
	for _, tok := range list {
		if !storekit.ValidID(tok.ID) || ids[tok.ID] {
			t.Errorf("id %q not numeric or given twice", tok.ID)
		}
		ids[tok.ID] = true
		if seen[tok.UserName] {
			t.Errorf("user %s has two tokens", tok.UserName)
		}
		seen[tok.UserName] = true
		for p := 0; p < opts.Procs; p++ {
			if got, want := *procField(tok, p), procValue(p, opts.Rounds-1); got != want {
				t.Errorf("user %s: process %d's field is %q, want %q (a lost update)", tok.UserName, p, got, want)
			}
		}
	}
	for u := 0; u < opts.Users; u++ {
		if !seen[procUser(u)] {
			t.Errorf("user %s lost", procUser(u))
		}
	}
	if opts.Check != nil && !t.Failed() {
		opts.Check(t, s, shared)
	}
}

// MultiProcessLock checks that a zohoauth.Locker excludes holders across
// processes: opts.Procs child processes (run as in MultiProcess) of
// opts.Goroutines goroutines each take one lock opts.LockRounds times and,
// holding it, increment a counter in a file with a read and a write that
// nothing else guards; the parent checks that the counter ends at the
// number of acquisitions (a lost increment is two holders at once). It is
// skipped under -short, and when the store is not a Locker unless
// opts.Claims has Locker (then it fails).
//
//	func TestMultiProcessLock(t *testing.T) {
//		storetest.MultiProcessLock(t, openMyStore, storetest.ProcessOptions{Setup: newFile})
//	}
func MultiProcessLock(t *testing.T, open OpenShared, opts ProcessOptions) {
	t.Helper()
	opts = opts.withDefaults(t)
	if p, shared, ok := child(t, "lock"); ok {
		lockChild(t, open(t, shared), p, os.Getenv(envCounter), opts)
		return
	}
	if testing.Short() {
		t.Skip("-short: spawns processes")
	}
	shared := setup(t, opts)
	requireCapability(t, open(t, shared), Locker, opts.Claims)
	counter := filepath.Join(t.TempDir(), "counter")
	start := time.Now()
	runChildren(t, "lock", shared, counter, opts.Procs)
	if t.Failed() {
		return
	}
	want := opts.Procs * opts.Goroutines * opts.LockRounds
	b, err := os.ReadFile(counter)
	if err != nil {
		t.Fatalf("counter: %v", err)
	}
	if got := string(b); got != strconv.Itoa(want) {
		t.Fatalf("counter = %s after %d acquisitions: two holders at once", got, want)
	}
	t.Logf("%d processes × %d goroutines, %d acquisitions: %v", opts.Procs, opts.Goroutines, want, time.Since(start).Round(time.Millisecond))
}

// lifecycleIDs are the records MultiProcessLifecycle increments.
var lifecycleIDs = []string{"1", "2", "3", "4000000000"}

// MultiProcessLifecycle checks that a zohoauth.LifecycleKeeper's
// UpdateLifecycle loses no update across processes: opts.Procs child
// processes (run as in MultiProcess) of opts.Goroutines goroutines each
// increment the Failures of a few records opts.LockRounds times; the parent
// checks that every record counts every increment. It is skipped under
// -short, and when the store is not a LifecycleKeeper unless opts.Claims
// has LifecycleKeeper (then it fails).
func MultiProcessLifecycle(t *testing.T, open OpenShared, opts ProcessOptions) {
	t.Helper()
	opts = opts.withDefaults(t)
	if p, shared, ok := child(t, "lifecycle"); ok {
		lifecycleChild(t, open(t, shared), p, opts)
		return
	}
	if testing.Short() {
		t.Skip("-short: spawns processes")
	}
	shared := setup(t, opts)
	s := open(t, shared)
	requireCapability(t, s, LifecycleKeeper, opts.Claims)
	start := time.Now()
	runChildren(t, "lifecycle", shared, "", opts.Procs)
	if t.Failed() {
		return
	}
	want := opts.Procs * opts.Goroutines * opts.LockRounds
	for _, id := range lifecycleIDs {
		l, err := s.(zohoauth.LifecycleKeeper).Lifecycle(t.Context(), id)
		if err != nil {
			t.Fatalf("Lifecycle(%s): %v", id, err)
		}
		if l.Failures != want {
			t.Errorf("record %s: Failures = %d after %d increments: a lost update", id, l.Failures, want)
		}
	}
	t.Logf("%d processes × %d goroutines, %d updates: %v", opts.Procs, opts.Goroutines, want*len(lifecycleIDs), time.Since(start).Round(time.Millisecond))
}

// lifecycleChild is child p of MultiProcessLifecycle.
func lifecycleChild(t *testing.T, s zohoauth.Store, p int, opts ProcessOptions) {
	k, ok := s.(zohoauth.LifecycleKeeper)
	if !ok {
		t.Fatal("the store is not a zohoauth.LifecycleKeeper")
	}
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := 0; w < opts.Goroutines; w++ {
		wg.Go(func() {
			for r := 0; r < opts.LockRounds; r++ {
				for _, id := range lifecycleIDs {
					if _, err := k.UpdateLifecycle(ctx, id, func(l *zohoauth.Lifecycle) error {
						l.Failures++
						l.LastError = fmt.Sprintf("p%d-w%d-r%d", p, w, r)
						return nil
					}); err != nil {
						t.Errorf("process %d goroutine %d: update %s: %v", p, w, id, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// IsChild reports whether this process is a child process of MultiProcess
// or MultiProcessLock, for a test that does work of its own around the call
// that only the parent should do.
func IsChild() bool {
	_, ok := os.LookupEnv(envChild)
	return ok
}

func setup(t *testing.T, opts ProcessOptions) string {
	if opts.Setup == nil {
		return ""
	}
	shared := opts.Setup(t)
	if strings.ContainsRune(shared, 0) {
		t.Fatalf("storetest: Setup returned a value with a NUL byte, which no environment variable holds")
	}
	return shared
}

// child reports whether this process is a child of kind for the test t,
// with its number and the shared state. A child of another test or kind
// skips t.
func child(t *testing.T, kind string) (p int, shared string, ok bool) {
	t.Helper()
	v, set := os.LookupEnv(envChild)
	if !set {
		return 0, "", false
	}
	if v != kind+" "+t.Name() {
		t.Skipf("a child process of %s", v)
	}
	p, err := strconv.Atoi(os.Getenv(envProc))
	if err != nil || p < 0 || p >= MaxProcs {
		t.Fatalf("bad %s=%q", envProc, os.Getenv(envProc))
	}
	return p, os.Getenv(envShared), true
}

// runChildren runs n child processes of kind running the test t and fails t
// with the output of every child that fails.
func runChildren(t *testing.T, kind, shared, counter string, n int) {
	t.Helper()
	parts := strings.Split(t.Name(), "/")
	for i, s := range parts {
		parts[i] = "^" + regexp.QuoteMeta(s) + "$"
	}
	run := strings.Join(parts, "/")
	var wg sync.WaitGroup
	out := make([][]byte, n)
	errs := make([]error, n)
	for p := 0; p < n; p++ {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run="+run, "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), envChild+"="+kind+" "+t.Name(), envProc+"="+strconv.Itoa(p),
			envShared+"="+shared, envCounter+"="+counter)
		wg.Go(func() { out[p], errs[p] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for p := range n {
		if errs[p] == nil && !strings.Contains(string(out[p]), "--- PASS: "+t.Name()) {
			errs[p] = errors.New("the child did not run the test")
		}
		if errs[p] != nil {
			t.Errorf("process %d: %v\n%s", p, errs[p], out[p])
		}
	}
}

func procUser(u int) string { return fmt.Sprintf("user%04d@example.com:6000%04d", u, u) }

// procField returns the field of a token that process p owns.
func procField(t *zohoauth.Token, p int) *string {
	return [MaxProcs]*string{&t.RefreshToken, &t.ClientSecret, &t.RedirectURL, &t.APIDomain}[p]
}

func procValue(p, r int) string { return fmt.Sprintf("p%d-r%d", p, r) }

// saveChild is child p of MultiProcess.
func saveChild(t *testing.T, s zohoauth.Store, p int, opts ProcessOptions) {
	ctx := t.Context()
	var failures atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < opts.Goroutines; w++ {
		wg.Go(func() {
			fail := func(format string, args ...any) {
				if failures.Add(1) <= 10 {
					t.Errorf("process %d goroutine %d: "+format, append([]any{p, w}, args...)...)
				}
			}
			for r := 0; r < opts.Rounds; r++ {
				for u := w; u < opts.Users; u += opts.Goroutines {
					tok := &zohoauth.Token{
						UserName:    procUser(u),
						ClientID:    "1000.CLIENT",
						AccessToken: fmt.Sprintf("1000.access.p%d.r%d.u%d", p, r, u),
						Expiry:      time.UnixMilli(1795879420612 + int64(r)),
					}
					*procField(tok, p) = procValue(p, r)
					if err := s.SaveToken(ctx, tok); err != nil {
						fail("save user %d: %v", u, err)
						continue
					}
					got, err := s.FindToken(ctx, &zohoauth.Token{UserName: procUser(u), ClientID: "1000.CLIENT"})
					if err != nil {
						fail("find user %d: %v", u, err)
						continue
					}
					if *procField(got, p) != procValue(p, r) || got.ID != tok.ID {
						fail("user %d: read back id %s field %q after saving id %s field %q", u, got.ID, *procField(got, p), tok.ID, procValue(p, r))
					}
				}
			}
		})
	}
	wg.Wait()
}

// lockChild is child p of MultiProcessLock.
func lockChild(t *testing.T, s zohoauth.Store, p int, counter string, opts ProcessOptions) {
	l, ok := s.(zohoauth.Locker)
	if !ok {
		t.Fatal("the store is not a zohoauth.Locker")
	}
	ctx := t.Context()
	var wg sync.WaitGroup
	for w := 0; w < opts.Goroutines; w++ {
		wg.Go(func() {
			for r := 0; r < opts.LockRounds; r++ {
				c, cancel := context.WithTimeout(ctx, time.Minute)
				lk, err := l.Lock(c, "storetest-counter", 30*time.Second)
				cancel()
				if err != nil {
					t.Errorf("process %d goroutine %d: lock: %v", p, w, err)
					return
				}
				err = increment(counter)
				if uerr := lk.Unlock(context.WithoutCancel(ctx)); err == nil {
					err = uerr
				}
				if err != nil {
					t.Errorf("process %d goroutine %d: %v", p, w, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// increment adds one to the number in the file at path (missing = 0), with
// a pause between the read and the write that an overlap would hit.
func increment(path string) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("counter: %w", err)
	}
	n := 0
	if len(data) > 0 {
		if n, err = strconv.Atoi(string(data)); err != nil {
			return fmt.Errorf("counter: %w", err)
		}
	}
	time.Sleep(100 * time.Microsecond)
	if err := os.WriteFile(path, []byte(strconv.Itoa(n+1)), 0o600); err != nil {
		return fmt.Errorf("counter: %w", err)
	}
	return nil
}
