package redisstore

import (
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storetest"
)

// openPrefix opens a store of the test Redis under the prefix that the
// processes of storetest's multi-process checks share.
func openPrefix(t *testing.T, prefix string) zohoauth.Store {
	s, err := Open(t.Context(), "redis://"+testAddr(t)+"/0", WithPrefix(prefix))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// processOptions shares the prefix of a new test store, whose keys are
// checked for consistency and deleted when the test ends.
func processOptions() storetest.ProcessOptions {
	return storetest.ProcessOptions{
		Setup:  func(t *testing.T) string { return newTestStore(t).Prefix() },
		Rounds: 3,
	}
}

// TestMultiProcess runs storetest.MultiProcess: 4 processes of 16
// goroutines save and find 1000 users 3 times under one prefix; the indexes
// must be consistent at the end.
func TestMultiProcess(t *testing.T) {
	storetest.MultiProcess(t, openPrefix, processOptions())
}

// TestLockMultiProcess runs storetest.MultiProcessLock: 4 processes of 16
// goroutines each take one lock 5 times.
func TestLockMultiProcess(t *testing.T) {
	storetest.MultiProcessLock(t, openPrefix, processOptions())
}

// TestLifecycleMultiProcess runs storetest.MultiProcessLifecycle: 4
// processes of 16 goroutines increment the same records 5 times each
// through WATCH/MULTI, and none is lost.
func TestLifecycleMultiProcess(t *testing.T) {
	opts := processOptions()
	opts.Claims = []storetest.Capability{storetest.LifecycleKeeper}
	storetest.MultiProcessLifecycle(t, openPrefix, opts)
}
