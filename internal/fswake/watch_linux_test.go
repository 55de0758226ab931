package fswake

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// recv waits for ch at most a minute (a guard against a hang, not a timing).
func recv(t *testing.T, ch <-chan struct{}) (ok bool) {
	t.Helper()
	select {
	case _, ok = <-ch:
		return ok
	case <-time.After(time.Minute):
		t.Fatal("no wake-up and no end within a minute")
		return false
	}
}

func TestWatchWakesOnWrite(t *testing.T) {
	dir := t.TempDir()
	lease := filepath.Join(dir, "lease")
	if err := os.WriteFile(lease, []byte("held"), 0o600); err != nil {
		t.Fatal(err)
	}
	ch, stop, err := Watch(dir, func(name string) bool { return name == "lease" })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// A write to another file does not wake; the truncation of the lease
	// (a release) does.
	if err := os.WriteFile(filepath.Join(dir, "other"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(lease, 0); err != nil {
		t.Fatal(err)
	}
	if !recv(t, ch) {
		t.Fatal("watch ended instead of waking")
	}
	stop()
	for range ch { // drained, then closed by stop
	}
}

func TestWatchEndsWhenTheDirectoryGoes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	ch, stop, err := Watch(dir, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if recv(t, ch) {
		t.Fatal("woken, not ended, by the removal of the directory")
	}
}

func TestWatchMissingDirectory(t *testing.T) {
	if _, _, err := Watch(filepath.Join(t.TempDir(), "none"), nil); err == nil {
		t.Fatal("watch of a missing directory: no error")
	}
}

// Opening a file read-write and closing it, as a waiter reading a lease
// does, is no change: the waiters must not wake each other in turn.
func TestWatchIgnoresOpenClose(t *testing.T) {
	dir := t.TempDir()
	lease := filepath.Join(dir, "lease")
	if err := os.WriteFile(lease, []byte("held"), 0o600); err != nil {
		t.Fatal(err)
	}
	ch, stop, err := Watch(dir, func(name string) bool { return name == "lease" })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for range 10 {
		f, err := os.OpenFile(lease, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		_ = f.Close()
	}
	// The events of the opens, had they made any, would be read by now
	// (a negative check: it can pass by luck, never fail by it).
	time.Sleep(50 * time.Millisecond)
	select {
	case <-ch:
		t.Fatal("woken by a mere open and close")
	default:
	}
}
