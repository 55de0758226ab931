package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/filestore"
)

const (
	lockProcs      = 4
	lockGoroutines = 16
	lockRounds     = 3
	lockName       = "zohoauth:token:1"
)

// counterFile is the side file that holders of lockName increment.
func counterFile(file string) string { return filepath.Join(filepath.Dir(file), "counter") }

// childLocker runs 16 goroutines that each take lockName 3 times and,
// inside the lock, read the counter file, add one and write it back (a
// read-modify-write that loses counts if two holders overlap). It reports
// "done N" with the number of acquisitions.
func childLocker() int {
	s, err := filestore.New(os.Getenv(envFile))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	counter := counterFile(os.Getenv(envFile))
	var wg sync.WaitGroup
	errs := make(chan error, lockGoroutines)
	var mu sync.Mutex
	n := 0
	for range lockGoroutines {
		wg.Go(func() {
			for range lockRounds {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				lk, err := s.Lock(ctx, lockName, 10*time.Second)
				cancel()
				if err != nil {
					errs <- err
					return
				}
				err = increment(counter)
				if uerr := lk.Unlock(context.Background()); err == nil {
					err = uerr
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				n++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("done", n)
	return 0
}

// increment adds one to the number in the file at path (missing = 0).
func increment(path string) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	n := 0
	if len(data) > 0 {
		if n, err = strconv.Atoi(string(data)); err != nil {
			return err
		}
	}
	time.Sleep(100 * time.Microsecond) // widen the window an overlap would hit
	return os.WriteFile(path, []byte(strconv.Itoa(n+1)), 0o600)
}

// TestLockProcesses runs 4 processes of 16 goroutines that contend for one
// lock, each holder incrementing a counter in a side file: the count must
// equal the number of acquisitions, so no two holders overlapped.
func TestLockProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	file := filepath.Join(t.TempDir(), filestore.DefaultFile)
	start := time.Now()
	var cmds []*exec.Cmd
	var outs []interface {
		Scan() bool
		Text() string
	}
	for p := range lockProcs {
		cmd, out := startChild(t, "locker", file, p)
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	total := 0
	for p, cmd := range cmds {
		var n int
		if !outs[p].Scan() {
			t.Errorf("process %d failed", p)
		} else if _, err := fmt.Sscanf(outs[p].Text(), "done %d", &n); err != nil {
			t.Errorf("process %d wrote %q", p, outs[p].Text())
		}
		total += n
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v", p, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	data, err := os.ReadFile(counterFile(file))
	if err != nil {
		t.Fatal(err)
	}
	if want := lockProcs * lockGoroutines * lockRounds; total != want {
		t.Fatalf("%d acquisitions reported, want %d", total, want)
	}
	if got := string(data); got != strconv.Itoa(total) {
		t.Fatalf("counter is %s after %d acquisitions: holders overlapped", got, total)
	}
	t.Logf("%d acquisitions by %d processes in %v", total, lockProcs, time.Since(start))
}

// childHolder takes lockName with a 500 ms lease, writes "locked" and
// sleeps until it is killed, never renewing.
func childHolder() int {
	s, err := filestore.New(os.Getenv(envFile))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := s.Lock(context.Background(), lockName, 500*time.Millisecond); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	time.Sleep(time.Hour)
	return 0
}

// TestLockHolderKilled kills (SIGKILL) a process that holds a lock with a
// 500 ms lease: the lock stays held until the lease runs out, then the
// parent takes it over within the lease plus a poll.
func TestLockHolderKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	file := filepath.Join(t.TempDir(), filestore.DefaultFile)
	s, err := filestore.New(file)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cmd, out := startChild(t, "holder", file, 0)
	if !out.Scan() || out.Text() != "locked" {
		t.Fatalf("child did not take the lock: %q %v", out.Text(), out.Err())
	}
	locked := time.Now() // the lease started a little before
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// A dead holder's lease still holds: the lock is a lease, not the
	// process's OS lock. (A machine too loaded to try within 300 ms of the
	// holder's report cannot tell.)
	if d := time.Since(locked); d < 300*time.Millisecond {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		_, err = s.Lock(ctx, lockName, time.Second)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock %v after the holder took the lock and died = %v, want DeadlineExceeded", d, err)
		}
	} else {
		t.Logf("machine too slow (%v) to check that the dead holder's lease holds", d)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	lk, err := s.Lock(ctx, lockName, time.Second)
	if err != nil {
		t.Fatalf("Lock after the dead holder's lease: %v", err)
	}
	took := time.Since(locked)
	if err := lk.Unlock(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The lease (500 ms) plus a poll (at most 50 ms) plus slack for a
	// loaded machine under -race.
	if took > 500*time.Millisecond+time.Second {
		t.Fatalf("took the lock over %v after the holder reported it", took)
	}
	t.Logf("lock of a killed holder (lease 500ms) taken over %v after the holder reported it", took)
}
