package filestore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/internal/fswake"
	"github.com/zohoauth/zohoauth/storekit"
)

const (
	// LockDirSuffix names the directory of lease files beside the token
	// file: "<file>.locks".
	LockDirSuffix = ".locks"

	pollMin = 10 * time.Millisecond // a waiter's shortest poll of a held lease
	pollMax = 50 * time.Millisecond // and its longest
	// listenPoll is the longest poll of a waiter that watches the lease
	// file: it only catches a lost event.
	listenPoll = 250 * time.Millisecond
	spinMin    = 100 * time.Microsecond
	spinMax    = time.Millisecond // waits for another process's read-modify-write of a lease file
	// busyMax bounds that wait: a lease file's OS lock held this long
	// belongs to a process stopped inside its read-modify-write (SIGSTOP, a
	// debugger), and Extend and Unlock give up rather than hang.
	busyMax  = 2 * time.Second
	leaseTag = "zohoauth-lease v1 "
	// leaseLen is the length of a lease record: the tag, 32 hex digits of
	// the owner, a space, 19 digits of the end in Unix nanoseconds, "\n".
	leaseLen = len(leaseTag) + 32 + 1 + 19 + 1
)

// errLeaseBusy reports a lease file whose OS lock stayed taken for busyMax.
var errLeaseBusy = errors.New("lease file busy: another process stopped while writing it")

var (
	_ zohoauth.Locker            = (*Store)(nil)
	_ zohoauth.CompareAndSwapper = (*Store)(nil)
)

// lease is the content of a lease file: who holds the lock and until when.
// The zero lease is a free lock.
type lease struct {
	owner   [16]byte
	expires int64 // Unix nanoseconds
}

// free reports whether the lock may be taken at now: no owner, or a lease
// that ran out.
func (l lease) free(now int64) bool { return l.owner == [16]byte{} || l.expires <= now }

// marshal returns the lease file's content: one fixed-length line.
func (l lease) marshal() []byte {
	b := make([]byte, 0, leaseLen)
	b = append(b, leaseTag...)
	b = hex.AppendEncode(b, l.owner[:])
	b = append(b, ' ')
	exp := strconv.AppendInt(nil, max(l.expires, 0), 10)
	b = append(b, bytes.Repeat([]byte{'0'}, 19-len(exp))...)
	b = append(b, exp...)
	return append(b, '\n')
}

// parseLease reads a lease file's content. Anything but a well-formed
// record (an empty file, one a crash cut short, garbage) is a free lock:
// the process that wrote it is gone or never held the lock, since a live
// holder's writes are whole under the lease file's OS lock.
func parseLease(data []byte) lease {
	if len(data) != leaseLen || !bytes.HasPrefix(data, []byte(leaseTag)) || data[leaseLen-1] != '\n' {
		return lease{}
	}
	rest := data[len(leaseTag) : leaseLen-1]
	var l lease
	if n, err := hex.Decode(l.owner[:], rest[:32]); err != nil || n != 16 || rest[32] != ' ' {
		return lease{}
	}
	digits := rest[33:]
	for _, c := range digits {
		if c < '0' || c > '9' {
			return lease{}
		}
	}
	exp, err := strconv.ParseInt(string(digits), 10, 64)
	if err != nil {
		return lease{}
	}
	l.expires = exp
	return l
}

// leasePath returns the lease file of the lock named name: the first 128
// bits of the name's SHA-256 in hexadecimal, in the lock directory.
func (s *Store) leasePath(name string) string {
	sum := sha256.Sum256([]byte(name))
	return filepath.Join(s.path+LockDirSuffix, hex.EncodeToString(sum[:16]))
}

// withLease runs change on the lease in the file at path under an exclusive
// OS lock on that file, held only for this read-modify-write, and writes
// the lease change returns when it returns one (an empty file for the zero
// lease). The file and its directory are created when missing; lease files
// are never removed, so the OS lock is always on the file that the path
// names. While another process holds the OS lock (for microseconds) it
// retries, until ctx is done or for s.busyMax at most (then errLeaseBusy);
// a free OS lock is taken even when ctx is done, so that Unlock works with
// a cancelled context.
func (s *Store) withLease(ctx context.Context, path string, change func(cur lease, now int64) (*lease, error)) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(path), 0o700); err == nil {
			f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		}
	}
	if err != nil {
		return err
	}
	defer f.Close() // closing releases the OS lock
	var busySince time.Time
	for {
		ok, err := tryLockFile(f)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if busySince.IsZero() {
			busySince = time.Now()
		} else if time.Since(busySince) > s.busyMax {
			return errLeaseBusy
		}
		time.Sleep(spinMin + mrand.N(spinMax-spinMin))
	}
	var buf [leaseLen + 1]byte // one byte more, to tell a longer file apart
	n, err := f.ReadAt(buf[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	next, err := change(parseLease(buf[:n]), s.clock.Now().UnixNano())
	if err != nil || next == nil {
		return err
	}
	if *next == (lease{}) {
		return f.Truncate(0)
	}
	if _, err := f.WriteAt(next.marshal(), 0); err != nil {
		return err
	}
	if n > leaseLen {
		return f.Truncate(int64(leaseLen))
	}
	return nil
}

// Lock acquires the lock named name with the given lease, waiting while
// another owner holds a live lease; it implements zohoauth.Locker for the
// processes of one machine (or of machines whose file system honours
// flock(2) across them, with synchronised clocks).
//
// The lock is a lease file in the directory "<file>.locks" holding the
// owner (128 random bits, one per call) and the end of the lease in Unix
// nanoseconds of the store's clock (WithClock; the system's wall clock by
// default, which every process must share). Each attempt, extension and
// release is a read-modify-write of that file under an OS lock held only
// for it, so a holder that crashes or hangs loses the lock when its lease
// runs out. A waiter polls every 10 to 50 ms (jittered); the goroutines of
// one Store are woken at once when the Store releases a lock. A waiter that
// met a held lease also watches the lease file (inotify, on Linux) and
// tries again at once when a release (or an extension) writes it; it then
// polls every 250 ms at most, and at the lease's end, which catches a
// holder killed before it released and a lost event: a change of the file
// is a hint to try again, never the lock (see WithoutLockWake). Waiting
// ends with ctx, with an error wrapping ctx.Err(). A lease shorter than a
// millisecond is taken as one millisecond.
func (s *Store) Lock(ctx context.Context, name string, d time.Duration) (zohoauth.Lock, error) {
	return s.LockUnless(ctx, name, d, nil)
}

// LockUnless is Lock, but after each wait it calls done, and returns an
// error matching storekit.ErrLockUnneeded when done reports true
// (storekit.LockChecker).
func (s *Store) LockUnless(ctx context.Context, name string, d time.Duration, done func(context.Context) (bool, error)) (zohoauth.Lock, error) {
	k := &fileLock{s: s, name: name, path: s.leasePath(name)}
	if err := s.writable(); err != nil {
		// The renewal the lock is for could not be saved.
		return nil, k.fail("cannot lock", err)
	}
	_, _ = rand.Read(k.owner[:]) // never fails (crypto/rand)
	d = max(d, time.Millisecond)
	wait := s.lockWait(k.path)
	wait.Done = done
	err := wait.Wait(ctx, func(ctx context.Context) (bool, time.Duration, error) {
		taken := false
		var left time.Duration // of the lease met
		err := s.withLease(ctx, k.path, func(cur lease, now int64) (*lease, error) {
			if !cur.free(now) {
				left = time.Duration(cur.expires - now)
				return nil, nil
			}
			taken = true
			return &lease{owner: k.owner, expires: now + int64(d)}, nil
		})
		if errors.Is(err, errLeaseBusy) {
			return false, 0, nil
		}
		// A failed write may have left a torn record: a free lock, never
		// one held by this owner, who is not told it holds it.
		return taken, left, err
	})
	if err != nil {
		return nil, k.fail("cannot lock", err)
	}
	return k, nil
}

// lockWait is how Lock waits for the lease file path: polls every 10 to 50
// ms (jittered), and the goroutines of s are woken at once when s
// releases a lock; a waiter that met a held lease also watches the lease
// file (fswake: inotify, on Linux) and then polls every 250 ms at most,
// and no later than the lease's end.
func (s *Store) lockWait(path string) storekit.LockWait {
	w := storekit.LockWait{MinPoll: pollMin, MaxPoll: pollMax, Waker: &s.lockWake}
	if !s.noWake {
		dir, base := filepath.Split(path)
		w.ListenPoll = listenPoll
		w.Listen = func(context.Context) (<-chan struct{}, func(), error) {
			return fswake.Watch(dir, func(name string) bool { return name == base })
		}
	}
	if s.polls.max > 0 {
		w.MinPoll, w.MaxPoll, w.ListenPoll = s.polls.min, s.polls.max, s.polls.listen
	}
	return w
}

// fileLock is a lock held through Store.Lock.
type fileLock struct {
	s     *Store
	name  string
	path  string
	owner [16]byte
}

func (k *fileLock) fail(msg string, err error) *zohoauth.Error {
	return k.s.fail(msg, fmt.Errorf("lock %.80q: %w", k.name, err))
}

// Extend extends the lease to d from now. It fails with an error matching
// zohoauth.ErrLockLost when another owner took the lock or the lease ran
// out, even if no one took the lock over. An I/O error while writing the
// lease is returned as it is, and may have freed the lock.
func (k *fileLock) Extend(ctx context.Context, d time.Duration) error {
	d = max(d, time.Millisecond)
	err := k.s.withLease(ctx, k.path, func(cur lease, now int64) (*lease, error) {
		if cur.owner != k.owner || cur.expires <= now {
			return nil, zohoauth.ErrLockLost
		}
		return &lease{owner: k.owner, expires: now + int64(d)}, nil
	})
	if err != nil {
		return k.fail("cannot extend lock", err)
	}
	return nil
}

// Unlock releases the lock if this owner still holds it (even with a lease
// that ran out, as long as no one took it over), leaving the lease file
// empty; otherwise it returns an error matching zohoauth.ErrLockLost and
// releases nothing. It works with a cancelled ctx unless another process
// is inside the lease file at that moment.
func (k *fileLock) Unlock(ctx context.Context) error {
	err := k.s.withLease(ctx, k.path, func(cur lease, _ int64) (*lease, error) {
		if cur.owner != k.owner {
			return nil, zohoauth.ErrLockLost
		}
		return &lease{}, nil
	})
	if err != nil {
		return k.fail("cannot unlock", err)
	}
	k.s.lockWake.Wake()
	return nil
}

// WithoutLockWake makes the waiters of Store.Lock poll (every 10 to 50 ms)
// instead of watching the lease file for the releases of other processes
// (on a network file system, say, whose changes made on other machines
// inotify does not see).
func WithoutLockWake() Option { return func(s *Store) { s.noWake = true } }
