package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storetest"
)

const lockName = "zohoauth:token:1"

// TestLockProcesses runs storetest.MultiProcessLock: 4 processes of 16
// goroutines each take one lock 3 times.
func TestLockProcesses(t *testing.T) {
	opts := processOptions()
	opts.LockRounds = 3
	storetest.MultiProcessLock(t, openFile, opts)
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
