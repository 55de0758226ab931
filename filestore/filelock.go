package filestore

import (
	"context"

	"github.com/gofrs/flock"
)

// lockFile takes an exclusive OS lock on the file at path (flock(2) on Unix,
// LockFileEx on Windows), creating the file with mode 0600 if it is missing,
// and returns the function that releases the lock. It waits until the lock
// is free or ctx is done. Each call opens its own descriptor, so goroutines
// of one process exclude each other just as processes do. The lock goes
// with the process: a process that dies, even by SIGKILL, holds no lock.
//
// The store locks "<file>.lock" around every read-modify-write. (Lease
// files of Lock take their OS lock without waiting, see withLease.)
func lockFile(ctx context.Context, path string) (release func() error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fl := flock.New(path, flock.SetPermissions(0o600))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, err
	}
	if ok {
		return fl.Unlock, nil
	}
	// Busy: wait in a goroutine, so that ctx can end the wait. A lock taken
	// after the caller gave up is released at once.
	done := make(chan error, 1)
	go func() { done <- fl.Lock() }()
	select {
	case err := <-done:
		if err != nil {
			return nil, err
		}
		return fl.Unlock, nil
	case <-ctx.Done():
		go func() {
			if <-done == nil {
				_ = fl.Unlock()
			}
		}()
		return nil, ctx.Err()
	}
}
