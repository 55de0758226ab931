package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storekit"
)

// TestLockTryDoesNotSleepOnABusyDatabase is the waiter of another process
// that meets the database busy: the holder of the lock is writing (saving
// the renewed token, then releasing the lock). Its attempt must fail at once
// and let its check (LockUnless's done) read the store again, not sleep in
// SQLite's busy handler until the writes are over and then take a lock it
// no longer needs. Here the write never ends while the waiter waits: an
// attempt that waits for it takes no lock and reports the context's end.
func TestLockTryDoesNotSleepOnABusyDatabase(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "z.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Prepare the lock table and statements: an uncontended lock.
	lk, err := s.Lock(ctx, "warm", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := lk.Unlock(ctx); err != nil {
		t.Fatal(err)
	}

	// Another process writes: a transaction that holds SQLite's write lock.
	other, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "CREATE TABLE busy (x)"); err != nil {
		t.Fatal(err)
	}

	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var checks atomic.Int32
	start := time.Now()
	got, err := s.LockUnless(wctx, "1", time.Minute, func(context.Context) (bool, error) {
		checks.Add(1)
		return true, nil // the holder's save is visible
	})
	if got != nil {
		t.Fatalf("LockUnless took the lock through another connection's write (after %v)", time.Since(start))
	}
	if !errors.Is(err, storekit.ErrLockUnneeded) {
		t.Fatalf("LockUnless = %v after %v and %d checks, want ErrLockUnneeded: the attempt waited for the busy database instead of checking again", err, time.Since(start), checks.Load())
	}
	if checks.Load() != 1 {
		t.Errorf("done called %d times, want 1", checks.Load())
	}
}

// TestLockTriesPoolClosed checks that Close closes the pool of the lock
// tries too: a Store opened and closed many times leaks no connections.
func TestLockTriesPoolClosed(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "z.db")
	for range 3 {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		lk, err := s.Lock(ctx, "n", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if err := lk.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// With every connection closed, the WAL is checkpointed and removed
	// by the last one to close: a leaked connection would keep it.
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the WAL is still there after Close (%v): a connection was left open", err)
	}
}
