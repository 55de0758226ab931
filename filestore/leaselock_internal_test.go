package filestore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/clock"
)

func TestLeaseRecord(t *testing.T) {
	l := lease{owner: [16]byte{1, 2, 3, 0xff}, expires: 1795879420612000000}
	data := l.marshal()
	if len(data) != leaseLen {
		t.Fatalf("record is %d bytes, want %d: %q", len(data), leaseLen, data)
	}
	if got := parseLease(data); got != l {
		t.Fatalf("parseLease(marshal(l)) = %+v, want %+v", got, l)
	}
	short := lease{owner: l.owner, expires: 7}.marshal()
	if len(short) != leaseLen || parseLease(short).expires != 7 {
		t.Fatalf("a small expiry is not padded to the fixed length: %q", short)
	}
	for _, bad := range [][]byte{
		nil,
		[]byte("\n"),
		data[:len(data)-1],             // cut short by a crash
		append(bytes.Clone(data), 'x'), // longer
		bytes.Replace(data, []byte("v1"), []byte("v2"), 1), // another version
		bytes.Replace(data, []byte("0102"), []byte("zz02"), 1),
		bytes.Replace(data, []byte(" 1795"), []byte("x1795"), 1),
		bytes.Replace(data, []byte("1795"), []byte("-795"), 1),
		bytes.Replace(data, []byte("1795879420612000000"), []byte("9999999999999999999"), 1), // overflows int64
	} {
		if got := parseLease(bad); got != (lease{}) {
			t.Errorf("parseLease(%q) = %+v, want a free lock", bad, got)
		}
	}
}

// FuzzParseLease checks that any lease file content parses without a panic
// and that a lease read from a file reads the same once written again.
func FuzzParseLease(f *testing.F) {
	f.Add(lease{owner: [16]byte{9}, expires: 1795879420612000000}.marshal())
	f.Add([]byte(""))
	f.Add([]byte("zohoauth-lease v1 "))
	f.Fuzz(func(t *testing.T, data []byte) {
		l := parseLease(data)
		if l != (lease{}) && (parseLease(l.marshal()) != l || len(data) != leaseLen) {
			t.Fatalf("parseLease(%q) = %+v, which marshals to %q", data, l, l.marshal())
		}
	})
}

func newTestStore(t *testing.T, path string, opts ...Option) *Store {
	t.Helper()
	s, err := New(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestLockDamagedLeaseFile checks that an empty, cut or garbled lease file is
// a free lock (CertMagic's "decoding lockfile contents: EOF"), and that
// taking it writes a well-formed record over the damage.
func TestLockDamagedLeaseFile(t *testing.T) {
	s := newTestStore(t, filepath.Join(t.TempDir(), DefaultFile))
	live := lease{owner: [16]byte{7}, expires: time.Now().Add(time.Hour).UnixNano()}.marshal()
	for _, content := range [][]byte{
		{},
		live[:40],
		append(bytes.Clone(live), "and more garbage after it"...),
		[]byte("{\"created\":1}"),
	} {
		path := s.leasePath("damaged")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		lk, err := s.Lock(ctx, "damaged", time.Minute)
		cancel()
		if err != nil {
			t.Fatalf("Lock over the lease file %q: %v", content, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if l := parseLease(data); l.owner != lk.(*fileLock).owner {
			t.Fatalf("after Lock over %q the lease file holds %q", content, data)
		}
		if err := lk.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(path); len(data) != 0 {
			t.Fatalf("Unlock left %q in the lease file, want it empty", data)
		}
	}
	// A live record written by another owner holds the lock.
	if err := os.WriteFile(s.leasePath("damaged"), live, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(ctx, "damaged", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock over another owner's live lease = %v, want DeadlineExceeded", err)
	}
}

// TestLockFakeClock drives lease expiry with the store's clock: two stores
// of one file (as two processes would be) share the lease files.
func TestLockFakeClock(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	path := filepath.Join(t.TempDir(), DefaultFile)
	a := newTestStore(t, path, WithClock(fake))
	b := newTestStore(t, path, WithClock(fake))
	held, err := a.Lock(t.Context(), "x", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tryLock := func() (zohoauth.Lock, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 80*time.Millisecond)
		defer cancel()
		return b.Lock(ctx, "x", time.Minute)
	}
	fake.Advance(59 * time.Second)
	if _, err := tryLock(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock before the lease ran out = %v, want DeadlineExceeded", err)
	}
	if err := held.Extend(t.Context(), time.Minute); err != nil { // now ends at 1m59s
		t.Fatalf("Extend: %v", err)
	}
	fake.Advance(59 * time.Second)
	if _, err := tryLock(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock before the extended lease ran out = %v, want DeadlineExceeded", err)
	}
	fake.Advance(time.Minute)
	// Ran out, not taken over: Extend fails, Unlock still releases.
	if err := held.Extend(t.Context(), time.Minute); !errors.Is(err, zohoauth.ErrLockLost) {
		t.Fatalf("Extend after the lease ran out = %v, want ErrLockLost", err)
	}
	taken, err := tryLock()
	if err != nil {
		t.Fatalf("Lock after the lease ran out: %v", err)
	}
	if err := held.Unlock(t.Context()); !errors.Is(err, zohoauth.ErrLockLost) {
		t.Fatalf("Unlock by the owner taken over = %v, want ErrLockLost", err)
	}
	if err := taken.Unlock(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestUnlockCancelledContext checks that a lock is released even with a
// cancelled context (CertMagic #247), and that Lock does not start with one.
func TestUnlockCancelledContext(t *testing.T) {
	s := newTestStore(t, filepath.Join(t.TempDir(), DefaultFile))
	lk, err := s.Lock(t.Context(), "c", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(t.Context())
	cancel()
	if err := lk.Unlock(done); err != nil {
		t.Fatalf("Unlock with a cancelled context: %v", err)
	}
	if _, err := s.Lock(done, "c", time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with a cancelled context = %v, want context.Canceled", err)
	}
	lk, err = s.Lock(t.Context(), "c", time.Hour) // it was released
	if err != nil {
		t.Fatal(err)
	}
	if err := lk.Unlock(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestLockNames checks that names are independent, whatever their bytes,
// and that lease files stay in the lock directory with mode 0600.
func TestLockNames(t *testing.T) {
	s := newTestStore(t, filepath.Join(t.TempDir(), DefaultFile))
	names := []string{"", "a", "A", "../../etc/passwd", "zohoauth:token:1", string(bytes.Repeat([]byte{0xff}, 300))}
	var held []zohoauth.Lock
	for _, n := range names {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		lk, err := s.Lock(ctx, n, time.Minute)
		cancel()
		if err != nil {
			t.Fatalf("Lock(%q) while other names are held: %v", n, err)
		}
		held = append(held, lk)
	}
	entries, err := os.ReadDir(s.path + LockDirSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(names) {
		t.Fatalf("lock directory holds %d files, want %d", len(entries), len(names))
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("lease file %s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(s.path + LockDirSuffix); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("lock directory: %v, %v; want mode 0700", fi.Mode().Perm(), err)
	}
	for _, lk := range held {
		if err := lk.Unlock(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLockLeaseFileStuck holds a lease file's OS lock, as a process stopped
// inside its read-modify-write would: Unlock gives up with an error after
// busyMax instead of hanging, Lock keeps waiting until its context ends,
// and both work once the OS lock is free.
func TestLockLeaseFileStuck(t *testing.T) {
	s := newTestStore(t, filepath.Join(t.TempDir(), DefaultFile))
	s.busyMax = 100 * time.Millisecond
	lk, err := s.Lock(t.Context(), "stuck", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(s.leasePath("stuck"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := tryLockFile(f); !ok || err != nil {
		t.Fatalf("tryLockFile = %v, %v", ok, err)
	}
	start := time.Now()
	if err := lk.Unlock(context.Background()); !errors.Is(err, errLeaseBusy) {
		t.Fatalf("Unlock while the lease file is stuck = %v, want errLeaseBusy", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Unlock gave up after %v", d)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(ctx, "stuck", time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock while the lease file is stuck = %v, want DeadlineExceeded", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := lk.Unlock(t.Context()); err != nil {
		t.Fatalf("Unlock once the lease file is free: %v", err)
	}
}
