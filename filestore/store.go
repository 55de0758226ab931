package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/storekit"
)

// DefaultFile is the name of the token file of Zoho's SDKs, which they keep
// in the working directory. New uses it when given an empty path.
const DefaultFile = "sdk_tokens.txt"

// DefaultRecheck is how long, by default, a read trusts its cached tokens
// when no writer using this package has changed the file (see WithRecheck).
const DefaultRecheck = time.Second

const (
	counterSize = 8                      // bytes of the change counter in the lock file
	racyWindow  = 100 * time.Millisecond // modification-time granularity assumed (see isRacy)

	// A read that meets a file another program may be rewriting in place
	// (see load) reads it again after a pause, starting at settlePause and
	// doubling up to settlePauseMax, for settleMax of pauses at most. A file
	// changed longer than settleWindow ago is taken as it is.
	settleMax      = 100 * time.Millisecond
	settlePause    = 250 * time.Microsecond
	settlePauseMax = 10 * time.Millisecond
	settleWindow   = time.Second
)

// errUnsettled reports a file that was still being rewritten in place when
// a change wanted to read it: the change is not made on a torn file.
var errUnsettled = errors.New("filestore: another program kept rewriting the token file while it was read; try again")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrReadOnly reports a change to a read-only store: a token file whose
// mode gives its owner no write permission (chmod u-w), or a file in a
// directory whose mode gives its owner none. Such a store is read and
// never written; the error matches errors.Is(err, ErrReadOnly).
var ErrReadOnly = errors.New("filestore: the token file is read-only")

// Store is a zohoauth.Store over a token file in the format of Zoho's SDKs.
// It is safe for concurrent use by goroutines and by processes (see the
// package documentation for the locking). Call Close when done with it.
type Store struct {
	path     string
	lockPath string
	mode     fs.FileMode
	recheck  time.Duration
	clock    clock.Clock

	mu      sync.RWMutex
	snap    *snapshot      // the parsed file, nil until read
	torn    identity       // the version of the file last found unsettled (see reload)
	stale   atomic.Bool    // the recheck interval has passed since the last check
	timer   clock.Timer    // sets stale; nil until the first check
	counter *atomic.Uint64 // change counter shared through the lock file, or nil
	unmap   func() error
	cleaned bool // temporary files of killed writers removed

	busyMax  time.Duration                            // see withLease
	now      func() time.Time                         // the wall clock file times are compared with (time.Now)
	sleep    func(time.Duration)                      // the pause between reads of a file being rewritten (time.Sleep)
	lockWake storekit.Waker                           // wakes the goroutines waiting in Lock when this Store unlocks
	noWake   bool                                     // WithoutLockWake
	polls    struct{ min, max, listen time.Duration } // of Lock's waiters; zero: the defaults (tests change them)

	cleanedLife atomic.Bool // temporary side files of killed writers removed
	// writeLife writes the side file of lifecycle records (writeFile when
	// nil): a test makes it fail halfway.
	writeLife func(path string, data []byte, perm fs.FileMode, durable bool) error
	// keepOrphans, set by tests only, makes inserts leave the records of
	// their ids: the insert before dropOrphans, the baseline of its
	// benchmark.
	keepOrphans bool

	pager pager // the walk of TokensAfter under way
}

// snapshot is one version of the token file, parsed into an index. Its
// fields change only under Store.mu held exclusively.
type snapshot struct {
	id    identity
	gen   uint64 // the change counter when the file was last checked
	racy  bool   // read so soon after its last change that a change in the same clock tick could be unseen
	sum   uint32 // CRC-32C of the content, to tell a racy file apart
	table *storekit.Table
	eol   string // the line break the file is written back with (crlf or lf)
	err   error  // the *ParseError of a file that could not be read

	rows *rowCache // the lines this store wrote last, reused by the next save; nil until a save
}

// identity tells one version of a file from another (see fileIdentity). The
// zero identity is a missing file.
type identity struct {
	exists   bool
	dev, ino uint64
	size     int64
	mtime    int64 // Unix nanoseconds
}

// An Option configures a Store.
type Option func(*Store)

// WithMode sets the permission bits of the token file the store writes
// (0600 by default): a new file gets this mode, and a rewritten one keeps
// the bits of its mode that this mode allows. A write narrows a wider mode
// and never widens a stricter one.
func WithMode(mode fs.FileMode) Option {
	return func(s *Store) { s.mode = mode.Perm() }
}

// WithRecheck sets how long a read trusts its cached tokens when no writer
// using this package has changed the file since: a program that does not
// take the lock (Zoho's SDKs, an editor) changes the file unannounced, and
// the store notices within d. Writes through this package, in any process,
// are seen by the next read at once. With d <= 0 every read checks the file
// (a stat(2), a few microseconds). The default is DefaultRecheck.
func WithRecheck(d time.Duration) Option {
	return func(s *Store) { s.recheck = d }
}

// WithClock sets the clock whose timer measures the recheck interval and
// whose time ends lock leases (clock.System by default). Every process that
// shares the file's locks must use the same time: a fake clock is for tests
// within one process.
func WithClock(c clock.Clock) Option {
	return func(s *Store) { s.clock = c }
}

var (
	_ zohoauth.Store      = (*Store)(nil)
	_ zohoauth.BatchSaver = (*Store)(nil)
)

// New returns a Store of the token file at path (DefaultFile when path is
// empty; when path is a symbolic link, the file it points to). The file need
// not exist: a missing or empty file is an empty store, and the first save
// creates it. New creates the lock file "<path>.lock" beside it (mode 0600),
// which must stay in place while the store is used, and maps its change
// counter into memory (see the package documentation). In a read-only
// directory New creates nothing, and the store reads the file without the
// counter (see ErrReadOnly). New does not read the token file; the first
// call does.
func New(path string, opts ...Option) (*Store, error) {
	if path == "" {
		path = DefaultFile
	}
	// A symbolic link stays one: the store replaces the file it points to.
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: "cannot resolve the token file's link", Detail: "file " + path, Err: err}
		}
		path = target
	}
	s := &Store{
		path:     path,
		lockPath: path + ".lock",
		mode:     0o600,
		recheck:  DefaultRecheck,
		clock:    clock.System(),
		busyMax:  busyMax,
		now:      time.Now,
		sleep:    time.Sleep,
	}
	for _, o := range opts {
		o(s)
	}
	f, err := s.openLock()
	if err != nil {
		return nil, s.fail("cannot open the lock file", err)
	}
	if f == nil {
		return s, nil // a read-only store: every read checks the file
	}
	defer f.Close()
	// Without the shared counter (an unusual file system, or a system
	// without mmap) every read checks the file instead.
	if counter, unmap, err := mapCounter(f); err == nil {
		s.counter, s.unmap = counter, unmap
	}
	return s, nil
}

// openLock opens the lock file, creating it when missing. In a read-only
// directory (see writable) it creates nothing; when the lock file is missing
// there, or the system refuses to open or create it for writing, it returns
// a nil file and no error: the store is read without the shared counter, and
// its writes fail.
func (s *Store) openLock() (*os.File, error) {
	flag := os.O_RDWR | os.O_CREATE
	roDir := dirReadOnly(filepath.Dir(s.path)) != nil
	if roDir {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(s.lockPath, flag, 0o600)
	switch {
	case err == nil:
		return f, nil
	case roDir && errors.Is(err, fs.ErrNotExist), refused(err):
		return nil, nil
	}
	return nil, err
}

// writable returns an error matching ErrReadOnly when the store must not
// write: the token file's mode, or its directory's (where the file is
// replaced), gives the owner no write permission, or the system would not
// let this process write the file. It goes by the mode bits first, so that
// a file a user made read-only stays so for root too, whom the system lets
// write anything.
func (s *Store) writable() error {
	if err := dirReadOnly(filepath.Dir(s.path)); err != nil {
		return err
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return nil // a missing file is created; other errors show at the write
	}
	if m := fi.Mode().Perm(); m&0o200 == 0 {
		return fmt.Errorf("%w: its mode %v gives its owner no write permission (chmod u+w to allow saves)", ErrReadOnly, m)
	}
	if writeRefused(s.path) {
		// The store replaces the file rather than write into it, which
		// only the directory's permission governs.
		return fmt.Errorf("%w: this user may not write it", ErrReadOnly)
	}
	return nil
}

// dirReadOnly returns an error matching ErrReadOnly when the mode of the
// directory dir gives its owner no write permission.
func dirReadOnly(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return nil
	}
	if m := fi.Mode().Perm(); m&0o200 == 0 {
		return fmt.Errorf("%w: its directory's mode %v gives the owner no write permission", ErrReadOnly, m)
	}
	return nil
}

// readOnlyErr marks err with ErrReadOnly when the system refused a write
// for want of permission or on a read-only file system.
func readOnlyErr(err error) error {
	if refused(err) {
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	return err
}

// Path returns the path of the token file.
func (s *Store) Path() string { return s.path }

// Close releases the counter the store shares with other processes. A
// closed Store still works, checking the file on every read.
func (s *Store) Close() error {
	s.closeWalk()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.unmap == nil {
		return nil
	}
	err := s.unmap()
	s.counter, s.unmap = nil, nil
	if err != nil {
		return s.fail("cannot unmap the lock file", err)
	}
	return nil
}

// FindToken returns a copy of the stored token that matches t (see
// zohoauth.Store).
func (s *Store) FindToken(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	var found *zohoauth.Token
	var ferr error
	if err := s.view(ctx, storekit.MsgGetTokenFile, func(tb *storekit.Table) {
		found, ferr = tb.Find(t)
		found = found.Clone()
	}); err != nil {
		return nil, err
	}
	if ferr != nil {
		return nil, storekit.StoreError(storekit.MsgGetTokenFile, ferr)
	}
	return found, nil
}

// FindTokenByID returns a copy of the token with the given id.
func (s *Store) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	var found *zohoauth.Token
	if err := s.view(ctx, storekit.MsgGetTokenByIDFile, func(tb *storekit.Table) { found = tb.ByID(id).Clone() }); err != nil {
		return nil, err
	}
	if found == nil {
		return nil, storekit.StoreError(storekit.MsgGetTokenByIDFile, zohoauth.ErrNotFound)
	}
	return found, nil
}

// Tokens returns copies of all stored tokens, ordered by numeric id.
func (s *Store) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	var all []*zohoauth.Token
	if err := s.view(ctx, storekit.MsgGetTokensFile, func(tb *storekit.Table) {
		all = tb.All()
		for i, t := range all {
			all[i] = t.Clone()
		}
	}); err != nil {
		return nil, err
	}
	return all, nil
}

// SaveToken inserts or updates t (see zohoauth.Store) and rewrites the file.
// On success t holds the stored value, its id included; on failure t and the
// file are unchanged.
func (s *Store) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	return s.save(ctx, t, nil)
}

// SwapToken saves t as SaveToken does (t's id is old.ID), but only if the
// stored token with old.ID still has old's access token and expiry; it
// implements zohoauth.CompareAndSwapper. The comparison and the save run
// under the file lock, on the file read again if it changed, so no writer
// of any process comes between them. A changed token is an error matching
// zohoauth.ErrStale, an unknown id one matching zohoauth.ErrNotFound;
// either saves nothing.
func (s *Store) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	if old == nil || t == nil {
		return storekit.StoreError(storekit.MsgDetailsNotFoundFile, zohoauth.ErrNothingToSave)
	}
	c := t.Clone()
	c.ID = old.ID
	if err := s.save(ctx, c, func(tb *storekit.Table) error {
		cur := tb.ByID(old.ID)
		if cur == nil {
			return storekit.StoreError(storekit.MsgTokenIDNotFoundFile, zohoauth.ErrNotFound)
		}
		if cur.AccessToken != old.AccessToken || !cur.Expiry.Equal(old.Expiry) {
			return storekit.StoreError(storekit.MsgSaveTokenFile, zohoauth.ErrStale)
		}
		return nil
	}); err != nil {
		return err
	}
	*t = *c
	return nil
}

// save saves t through the file's read-modify-write. check, when not nil,
// runs first on the current tokens, under the file lock; its error saves
// nothing. On success t holds the stored value. A token the save creates
// starts with no lifecycle record (see dropOrphans).
func (s *Store) save(ctx context.Context, t *zohoauth.Token, check func(*storekit.Table) error) error {
	c := t.Clone()
	var created []string
	if err := s.updateThen(ctx, storekit.MsgSaveTokenFile, func(tb *storekit.Table) error {
		if check != nil {
			if err := check(tb); err != nil {
				return err
			}
		}
		isNew, err := tb.SaveCreated(c, storekit.MsgDetailsNotFoundFile)
		if isNew {
			created = []string{c.ID}
		}
		return err
	}, s.dropper(&created), nil); err != nil {
		return err
	}
	*t = *c
	return nil
}

// SaveTokens saves tokens in order as SaveToken does, with one rewrite of
// the file, all or nothing. It implements zohoauth.BatchSaver: an import of
// many tokens costs one write, not one per token. The tokens it creates
// start with no lifecycle record (see dropOrphans).
func (s *Store) SaveTokens(ctx context.Context, tokens []*zohoauth.Token) error {
	cs := make([]*zohoauth.Token, len(tokens))
	for i, t := range tokens {
		cs[i] = t.Clone()
	}
	var created []string
	if err := s.updateThen(ctx, storekit.MsgSaveTokenFile, func(tb *storekit.Table) (err error) {
		created, err = tb.SaveAllCreated(cs, storekit.MsgDetailsNotFoundFile)
		return err
	}, s.dropper(&created), nil); err != nil {
		return err
	}
	for i, t := range tokens {
		*t = *cs[i]
	}
	return nil
}

// DeleteToken deletes the token with the given id, and its lifecycle
// record: under the same file lock, the side file is read before the token
// file is written (a side file that cannot be parsed deletes nothing) and
// rewritten after it, when it held a record of id. A crash between the two
// writes leaves an orphan record, which LifecyclesAfter lists and
// DeleteLifecycle removes; the side file's rename is not synced to disk for
// the same reason (a crash may bring the record back as an orphan).
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	var life *storekit.Lifecycles
	return s.updateThen(ctx, storekit.MsgDeleteTokenFile, func(tb *storekit.Table) error {
		if tb.ByID(id) == nil {
			return storekit.StoreError(storekit.MsgTokenIDNotFoundFile, zohoauth.ErrNotFound)
		}
		// Read before the token leaves the index: a failed change must
		// leave the index as it was.
		t, err := s.readLifecycles()
		if err != nil {
			return s.lifeFail(err)
		}
		tb.Delete(id)
		if t.Delete(id) {
			life = t
		}
		return nil
	}, nil, func() error {
		if life == nil {
			return nil
		}
		return s.writeLifecycles(life, false)
	})
}

// DeleteTokens deletes every token, leaving the file with its header only,
// as Zoho's SDKs do, and then removes the side file of lifecycle records.
// The token file is checked as a walk checks it (checkStream), when the
// store has not loaded it, rather than loaded whole (see unread).
func (s *Store) DeleteTokens(ctx context.Context) error {
	return s.updateFrom(ctx, storekit.MsgDeleteTokensFile, s.unread, func(tb *storekit.Table) error {
		tb.Reset()
		return nil
	}, nil, s.removeLifecycles)
}

// fail wraps an I/O or parse error with Zoho's message and the file's path.
func (s *Store) fail(msg string, err error) *zohoauth.Error {
	return &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: msg, Detail: "file " + s.path, Err: err}
}

// view calls read with the current tokens, under the read lock. The tokens
// are the cached ones while fresh; otherwise the file is checked first.
func (s *Store) view(ctx context.Context, msg string, read func(*storekit.Table)) error {
	if err := ctx.Err(); err != nil {
		return storekit.StoreError(msg, err)
	}
	s.mu.RLock()
	if sn := s.snap; sn != nil && sn.err == nil && s.fresh(sn) {
		read(sn.table)
		s.mu.RUnlock()
		return nil
	}
	s.mu.RUnlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	sn, err := s.reload(false)
	if err != nil && !errors.Is(err, errUnsettled) {
		return s.fail(msg, err)
	}
	// A file still being rewritten is read through the last whole version,
	// when there is one.
	if sn.err != nil {
		return s.fail(msg, sn.err)
	}
	read(sn.table)
	return nil
}

// fresh reports whether sn may be used without checking the file: no writer
// of this package has changed it since (the shared counter has not moved)
// and the recheck interval has not passed (a timer marks that, so that a
// read does not pay for the clock). s.mu is held.
func (s *Store) fresh(sn *snapshot) bool {
	return s.counter != nil && s.recheck > 0 && !s.stale.Load() && s.counter.Load() == sn.gen
}

// updateThen runs change on the current tokens under the file lock and,
// when it succeeds, writes the file. A file that cannot be parsed is never
// rewritten: updateThen returns its error. When before is not nil,
// updateThen calls it once change has succeeded and before the token file
// is written, and, when then is not nil, calls then after the token file is
// written, both still under the file lock: the side file of lifecycle
// records is cleaned of orphans before a save creates their ids (before),
// and loses the record of a deleted token after the delete (then). before's
// error is returned as it is and writes no token; then's error is returned
// wrapped with msg, the token file being written by then.
func (s *Store) updateThen(ctx context.Context, msg string, change func(*storekit.Table) error, before, then func() error) error {
	return s.updateFrom(ctx, msg, nil, change, before, then)
}

// updateFrom is updateThen with a way to skip the read of the file: skip,
// when not nil, runs under the locks and returns the snapshot change is to
// run on instead of the file's, or nil to read the file.
func (s *Store) updateFrom(ctx context.Context, msg string, skip func() *snapshot, change func(*storekit.Table) error, before, then func() error) error {
	if err := s.writable(); err != nil {
		return s.fail(msg, err)
	}
	release, err := lockFile(ctx, s.lockPath)
	if err != nil {
		return s.fail(msg, readOnlyErr(err))
	}
	defer func() { _ = release() }()

	s.mu.Lock()
	defer s.mu.Unlock()
	var sn *snapshot
	if skip != nil {
		sn = skip()
	}
	if sn == nil {
		if sn, err = s.reload(true); err != nil {
			return s.fail(msg, err)
		}
	}
	if sn.err != nil {
		return s.fail(msg, sn.err)
	}
	if err := change(sn.table); err != nil {
		return err
	}
	// From here on the index holds the change; if the write fails, drop it
	// so that the next call reads the file again.
	s.snap = nil
	if before != nil {
		if err := before(); err != nil {
			return err
		}
	}
	if !s.cleaned {
		// Best effort: a leftover that cannot be removed only takes space.
		_ = cleanTemps(s.path)
		s.cleaned = true
	}
	if sn.rows == nil {
		sn.rows = &rowCache{}
	}
	data := sn.rows.file(sn.table.All(), sn.eol)
	id, err := writeAtomic(s.path, data, s.mode)
	if err != nil {
		return s.fail(msg, readOnlyErr(err))
	}
	var gen uint64
	if s.counter != nil {
		gen = s.counter.Add(1)
	}
	s.checked()
	next := &snapshot{id: id, gen: gen, racy: isRacy(id), table: sn.table, eol: sn.eol, rows: sn.rows}
	if next.racy { // the sum is compared only for a racy version (see reload)
		next.sum = crc32.Checksum(data, castagnoli)
	}
	s.snap = next
	if then != nil {
		if err := then(); err != nil {
			return &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: msg,
				Detail: "the token file is written; the lifecycle file " + s.LifecyclePath() + " is not (an orphan record is left)", Err: readOnlyErr(err)}
		}
	}
	return nil
}

// reload makes s.snap the current content of the file, reading it again
// only when it changed, and returns it. s.mu is held exclusively. It
// returns I/O errors; a parse error is kept in the snapshot. forWrite tells
// that the caller will write the file back (see load).
//
// A file that another program is still rewriting in place after load's
// retries is not cached: reload returns errUnsettled with the last whole
// version (s.snap, kept), or with what it read when there is none (then
// s.snap is nil), and the next read checks the file again. A read of a
// version already found unsettled serves the last whole version without
// waiting again.
func (s *Store) reload(forWrite bool) (*snapshot, error) {
	var gen uint64
	if s.counter != nil {
		gen = s.counter.Load() // before the stat: a later change moves it
	}
	id, err := stat(s.path)
	if err != nil {
		return nil, err
	}
	old := s.snap
	if old != nil && old.id == id && !old.racy {
		old.gen = gen
		s.checked()
		return old, nil
	}
	whole := old != nil && old.err == nil
	if !forWrite && whole && id == s.torn && s.recent(id) {
		s.stale.Store(true)
		return old, errUnsettled
	}
	sn, settled, err := s.load(old, gen, forWrite)
	if err != nil {
		return nil, err
	}
	if !settled {
		s.torn = sn.id
		s.stale.Store(true)
		if whole {
			return old, errUnsettled
		}
		s.snap = nil
		return sn, errUnsettled
	}
	s.checked()
	s.snap = sn
	return sn, nil
}

// load reads and parses the file. Zoho's SDKs rewrite the file in place,
// truncating it and then writing it, so a read can meet it empty or half
// written. load reads again, after a pause, a file that changed while it was
// read, and a file changed within settleWindow of now (still being written,
// perhaps) that is empty, does not end with a line break or cannot be
// parsed. A file that stays so for longer than settleWindow is what it is
// (an empty file is an empty store).
//
// A read (forWrite false) also waits for a file shorter than old on the
// same inode (a rewrite in place seen between two writes that end at a
// line break), and gives up after settleMax of pauses: the caller then
// serves old. A read for a write, which must not write back a torn file
// and has no old version to fall back on, waits up to settleWindow, when
// such a file is taken as it is; a shrink is then no sign, since a write
// made from a file that another program is still writing loses that
// program's write in any case.
//
// old, when not nil, is the version read before; when the file has old's
// identity and content, load returns old, updated.
func (s *Store) load(old *snapshot, gen uint64, forWrite bool) (sn *snapshot, settled bool, err error) {
	budget := settleMax
	if forWrite {
		budget = settleWindow + settleMax
	}
	var slept time.Duration
	for pause := settlePause; ; pause = min(2*pause, settlePauseMax) {
		data, id, whole, err := readFile(s.path)
		if err != nil {
			return nil, false, err
		}
		sn = parseSnapshot(old, data, id, gen)
		torn := unfinished(data) || sn.err != nil || (!forWrite && old.shrunk(id))
		if whole && !(torn && s.recent(id)) {
			return sn, true, nil
		}
		if slept+pause > budget {
			return sn, false, nil
		}
		s.sleep(pause)
		slept += pause
	}
}

// parseSnapshot returns the snapshot of the file content data, whose
// version is id: old, updated, when it holds the same content.
func parseSnapshot(old *snapshot, data []byte, id identity, gen uint64) *snapshot {
	sum := crc32.Checksum(data, castagnoli)
	if old != nil && old.id == id && old.sum == sum {
		old.gen, old.racy = gen, isRacy(id)
		return old
	}
	sn := &snapshot{id: id, gen: gen, racy: isRacy(id), sum: sum}
	tokens, eol, err := parse(data)
	if err != nil {
		sn.err = err
		return sn
	}
	sn.eol = eol
	sn.table = storekit.NewTable()
	if err := sn.table.InsertAll(tokens); err != nil {
		sn.err = err // Parse admits only valid, distinct ids
	}
	return sn
}

// recent reports whether the file version id was changed within
// settleWindow of now (either way, for clocks that disagree a little): a
// writer may be in the middle of it.
func (s *Store) recent(id identity) bool {
	d := s.now().UnixNano() - id.mtime
	return id.exists && d > -int64(settleWindow) && d < int64(settleWindow)
}

// unfinished reports whether data cannot be a whole token file as the SDKs
// write one: empty, or without a line break at its end.
func unfinished(data []byte) bool {
	return len(data) == 0 || (data[len(data)-1] != '\n' && data[len(data)-1] != '\r')
}

// shrunk reports whether the file version id is the file of sn, rewritten
// in place (the same inode; a writer of this package renames a new one over
// it) and shorter.
func (sn *snapshot) shrunk(id identity) bool {
	return sn != nil && sn.id.exists && id.dev == sn.id.dev && id.ino == sn.id.ino && id.size < sn.id.size
}

// checked records that the file was just checked: reads trust the cache
// again until the recheck interval has passed. s.mu is held exclusively.
func (s *Store) checked() {
	if s.recheck <= 0 || s.counter == nil { // then fresh is always false
		return
	}
	s.stale.Store(false)
	if s.timer == nil {
		s.timer = s.clock.AfterFunc(s.recheck, func() { s.stale.Store(true) })
	} else {
		s.timer.Reset(s.recheck)
	}
}

// isRacy reports whether a file read now was changed so recently that
// another change within the same tick of the file system's clock would leave
// its identity as it is; such a file is read again at the next check.
// Linux file systems stamp times from a clock that ticks every 1 to 10 ms,
// well inside racyWindow; FAT (2 s) and HFS+ (1 s) are coarser.
func isRacy(id identity) bool {
	return id.exists && time.Now().UnixNano()-id.mtime < int64(racyWindow)
}

func stat(path string) (identity, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return identity{}, nil
	}
	if err != nil {
		return identity{}, err
	}
	return fileIdentity(fi), nil
}

// readFile returns the content of the file at path and the identity of the
// version it read; a missing file is empty. whole is false when the file
// changed while it was read: its size or modification time moved, or fewer
// bytes were read than it holds.
func readFile(path string) (data []byte, id identity, whole bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, identity{}, true, nil
	}
	if err != nil {
		return nil, identity{}, false, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, identity{}, false, err
	}
	var buf bytes.Buffer
	buf.Grow(int(before.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, identity{}, false, err
	}
	after, err := f.Stat()
	if err != nil {
		return nil, identity{}, false, err
	}
	data, id = buf.Bytes(), fileIdentity(after)
	return data, id, fileIdentity(before) == id && int64(len(data)) == id.size, nil
}
