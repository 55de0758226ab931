package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// MsgLifecycle is the Message of the errors of the lifecycle methods.
const MsgLifecycle = "Exception in lifecycle - FileStore"

// LifecycleSuffix is appended to the token file's path to name its side
// file of lifecycle records.
const LifecycleSuffix = ".lifecycle"

// lifecycleHeader is the first line of the side file. The columns are the
// fields of zohoauth.Lifecycle: times in epoch milliseconds (empty for the
// zero time), counts in decimal, last_error last, as a Go quoted string
// (strconv.Quote), so that a line holds no line break and any byte of the
// reason round-trips.
const lifecycleHeader = "id,login_at,last_used_at,last_refresh_at,last_failure_at,exhausted_at,failures,failure_days,last_error"

const lifecycleColumns = 9

// LifecyclePath returns the path of the side file that keeps the lifecycle
// records of the tokens: the token file's path with LifecycleSuffix.
func (s *Store) LifecyclePath() string { return s.path + LifecycleSuffix }

// Lifecycle returns the lifecycle record of the token with the given id,
// zero when none is kept. It implements zohoauth.LifecycleKeeper: the
// records live in the side file LifecyclePath, which Zoho's SDKs never read,
// so the token file stays theirs byte for byte. Times are kept to the
// millisecond. A read takes no lock: the side file is replaced whole.
func (s *Store) Lifecycle(ctx context.Context, id string) (zohoauth.Lifecycle, error) {
	if err := storekit.CheckLifecycleID(ctx, MsgLifecycle, id); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	t, err := s.readLifecycles()
	if err != nil {
		return zohoauth.Lifecycle{}, s.lifeFail(err)
	}
	return t.Get(id), nil
}

// LifecyclesAfter returns at most limit records whose id is numerically
// greater than after, in numeric id order, orphans included.
func (s *Store) LifecyclesAfter(ctx context.Context, after string, limit int) ([]zohoauth.Lifecycle, error) {
	if err := storekit.CheckLifecyclePage(ctx, MsgLifecycle, after, limit); err != nil {
		return nil, err
	}
	t, err := s.readLifecycles()
	if err != nil {
		return nil, s.lifeFail(err)
	}
	return t.After(after, limit), nil
}

// UpdateLifecycle applies fn to the record of id under the token file's
// lock (the one every change of the store takes, in any process) and
// rewrites the side file atomically as the token file is (a temporary file,
// fsync, rename, fsync of the directory), with the token file's mode. An
// update that leaves the record as it was writes nothing. A read-only store
// (see ErrReadOnly), or a side file whose mode gives its owner no write
// permission, is an error matching ErrReadOnly; a side file that cannot be
// parsed is an error wrapping a *ParseError and is never rewritten.
func (s *Store) UpdateLifecycle(ctx context.Context, id string, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, error) {
	if err := storekit.CheckLifecycleID(ctx, MsgLifecycle, id); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	var out zohoauth.Lifecycle
	err := s.changeLifecycles(ctx, func(t *storekit.Lifecycles) (bool, error) {
		old := t.Get(id)
		l, err := t.Update(id, fn)
		if err != nil {
			return false, err
		}
		out = l
		return l != old, nil
	})
	if err != nil {
		return zohoauth.Lifecycle{}, err
	}
	return out, nil
}

// DeleteLifecycle deletes the record of id, under the lock as
// UpdateLifecycle writes.
func (s *Store) DeleteLifecycle(ctx context.Context, id string) error {
	if err := storekit.CheckLifecycleID(ctx, MsgLifecycle, id); err != nil {
		return err
	}
	return s.changeLifecycles(ctx, func(t *storekit.Lifecycles) (bool, error) { return t.Delete(id), nil })
}

func (s *Store) lifeFail(err error) *zohoauth.Error {
	return &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: MsgLifecycle, Detail: "file " + s.LifecyclePath(), Err: err}
}

// changeLifecycles runs change on the records under the file lock and,
// when it reports a change, rewrites the side file. change's error is
// returned as it is (fn's error of UpdateLifecycle).
func (s *Store) changeLifecycles(ctx context.Context, change func(*storekit.Lifecycles) (bool, error)) error {
	if err := s.lifecycleWritable(); err != nil {
		return s.lifeFail(err)
	}
	release, err := lockFile(ctx, s.lockPath)
	if err != nil {
		return s.lifeFail(readOnlyErr(err))
	}
	defer func() { _ = release() }()
	t, err := s.readLifecycles()
	if err != nil {
		return s.lifeFail(err)
	}
	changed, err := change(t)
	if err != nil || !changed {
		return err
	}
	if err := s.writeLifecycles(t, true); err != nil {
		return s.lifeFail(readOnlyErr(err))
	}
	return nil
}

// lifecycleWritable is writable for the side file too: a store that may
// not write its token file writes no record either, and a side file whose
// owner made it read-only stays so.
func (s *Store) lifecycleWritable() error {
	if err := s.writable(); err != nil {
		return err
	}
	fi, err := os.Stat(s.LifecyclePath())
	if err != nil {
		return nil // a missing file is created; other errors show at the write
	}
	if m := fi.Mode().Perm(); m&0o200 == 0 {
		return fmt.Errorf("%w: the lifecycle file's mode %v gives its owner no write permission", ErrReadOnly, m)
	}
	return nil
}

// readLifecycles reads and parses the side file; a missing file holds no
// record.
func (s *Store) readLifecycles() (*storekit.Lifecycles, error) {
	data, err := os.ReadFile(s.LifecyclePath())
	if errors.Is(err, fs.ErrNotExist) {
		return &storekit.Lifecycles{}, nil
	}
	if err != nil {
		return nil, err
	}
	ls, err := parseLifecycles(data)
	if err != nil {
		return nil, err
	}
	t := &storekit.Lifecycles{}
	for _, l := range ls {
		t.Put(l)
	}
	return t, nil
}

// writeLifecycles replaces the side file with the records of t (through
// s.writeLife, writeAtomic unless a test changed it). Without durable the
// directory is not synced after the rename: a crash may then bring the old
// file back whole, which the cascade of DeleteToken accepts (an orphan
// record, which a sweeper removes). The caller holds the file lock.
func (s *Store) writeLifecycles(t *storekit.Lifecycles, durable bool) error {
	if !s.cleanedLife.Swap(true) {
		_ = cleanTemps(s.LifecyclePath()) // best effort, as for the token file
	}
	write := s.writeLife
	if write == nil {
		write = func(path string, data []byte, perm fs.FileMode, durable bool) error {
			_, err := writeFile(path, data, perm, durable)
			return err
		}
	}
	return write(s.LifecyclePath(), appendLifecycles(nil, t.All()), s.mode, durable)
}

// dropOrphans deletes from the side file the records of ids, the tokens a
// save is about to create: records that a program unaware of them (Zoho's
// SDK, an editor) left when it deleted the token that last had the id, and
// that the new token, which takes the greatest id plus one as Zoho's SDKs
// give it, must not inherit. It runs under the file lock, before the token
// file is written, so no reader sees the new token with the old record, and
// a crash between the two writes leaves the old token file and no orphan.
//
// The side file is rewritten only when it holds a record of one of ids, so
// an insert without orphans costs a read of the side file (none when it is
// missing) and a search of its bytes. A side file that cannot be read, or
// that holds one of the ids but cannot be parsed or was made read-only by
// its owner, refuses the save (an error wrapping the read's error, a
// *ParseError, or matching ErrReadOnly): nothing is written.
func (s *Store) dropOrphans(ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	data, err := os.ReadFile(s.LifecyclePath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return s.lifeFail(err)
	}
	if !holdsRecordOf(data, ids) {
		return nil
	}
	if err := s.lifecycleWritable(); err != nil {
		return s.lifeFail(err)
	}
	ls, err := parseLifecycles(data)
	if err != nil {
		return s.lifeFail(err)
	}
	t := &storekit.Lifecycles{}
	for _, l := range ls {
		t.Put(l)
	}
	for _, id := range ids {
		t.Delete(id)
	}
	if err := s.writeLifecycles(t, true); err != nil {
		return s.lifeFail(readOnlyErr(err))
	}
	return nil
}

// dropper returns the step of updateThen that drops the orphan records of
// the ids *created holds once change has run (nil for the test baseline,
// keepOrphans).
func (s *Store) dropper(created *[]string) func() error {
	if s.keepOrphans {
		return nil
	}
	return func() error { return s.dropOrphans(*created) }
}

// holdsRecordOf reports whether the side file data has a line that starts
// with one of ids and a comma. Only a record's line can: a line break ends
// every line (last_error is quoted, so it holds none) and the header starts
// with a letter.
func holdsRecordOf(data []byte, ids []string) bool {
	if len(ids) == 1 {
		var buf [12]byte
		needle := append(append(append(buf[:0], '\n'), ids[0]...), ',')
		return bytes.Contains(data, needle)
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if i := bytes.IndexByte(line, ','); i > 0 && want[string(line[:i])] {
			return true
		}
	}
	return false
}

// removeLifecycles removes the side file (DeleteTokens). The caller holds
// the file lock.
func (s *Store) removeLifecycles() error {
	err := os.Remove(s.LifecyclePath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// appendLifecycles appends the side file of the records ls to dst.
func appendLifecycles(dst []byte, ls []zohoauth.Lifecycle) []byte {
	dst = append(dst, lifecycleHeader...)
	dst = append(dst, '\n')
	millis := func(t time.Time) {
		if ms, ok := storekit.LifecycleMillis(t); ok {
			dst = strconv.AppendInt(dst, ms, 10)
		}
		dst = append(dst, ',')
	}
	for _, l := range ls {
		dst = append(dst, l.ID...)
		dst = append(dst, ',')
		millis(l.LoginAt)
		millis(l.LastUsedAt)
		millis(l.LastRefreshAt)
		millis(l.LastFailureAt)
		millis(l.ExhaustedAt)
		dst = strconv.AppendInt(dst, int64(l.Failures), 10)
		dst = append(dst, ',')
		dst = strconv.AppendInt(dst, int64(l.FailureDays), 10)
		dst = append(dst, ',')
		dst = strconv.AppendQuote(dst, l.LastError)
		dst = append(dst, '\n')
	}
	return dst
}

// parseLifecycles parses a side file written by appendLifecycles: the
// header line, then one line per record, each ending in LF. An empty file
// holds no record. Anything else (another header, a wrong number of fields,
// an invalid or repeated id, a time that is not epoch milliseconds, a count
// that is not a decimal int, a last_error that is not one Go quoted string,
// a last line without its LF, which a torn write would leave) is a
// *ParseError naming the line, never its content.
func parseLifecycles(data []byte) ([]zohoauth.Lifecycle, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var out []zohoauth.Lifecycle
	seen := map[string]int{}
	for n := 1; len(data) > 0; n++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return nil, lifeParseError(n, "", "the last line has no line break (a torn write)")
		}
		line := string(data[:i])
		data = data[i+1:]
		if n == 1 {
			if line != lifecycleHeader {
				return nil, lifeParseError(n, "", "not the header of a lifecycle file")
			}
			continue
		}
		l, err := parseLifecycleLine(line, n)
		if err != nil {
			return nil, err
		}
		if first, dup := seen[l.ID]; dup {
			return nil, lifeParseError(n, "id", "id already used on line "+strconv.Itoa(first))
		}
		seen[l.ID] = n
		out = append(out, l)
	}
	return out, nil
}

func parseLifecycleLine(line string, n int) (zohoauth.Lifecycle, error) {
	f := strings.SplitN(line, ",", lifecycleColumns)
	if len(f) != lifecycleColumns {
		return zohoauth.Lifecycle{}, lifeParseError(n, "", fmt.Sprintf("%d fields, want %d", len(f), lifecycleColumns))
	}
	if !storekit.ValidID(f[0]) {
		return zohoauth.Lifecycle{}, lifeParseError(n, "id", "not a number of 1 to 10 digits")
	}
	l := zohoauth.Lifecycle{ID: f[0]}
	names := strings.Split(lifecycleHeader, ",")
	for i, p := range []*time.Time{&l.LoginAt, &l.LastUsedAt, &l.LastRefreshAt, &l.LastFailureAt, &l.ExhaustedAt} {
		if f[1+i] == "" {
			continue
		}
		ms, err := strconv.ParseInt(f[1+i], 10, 64)
		if err != nil {
			return zohoauth.Lifecycle{}, lifeParseError(n, names[1+i], "not epoch milliseconds")
		}
		*p = storekit.LifecycleTime(time.UnixMilli(ms))
	}
	for i, p := range []*int{&l.Failures, &l.FailureDays} {
		v, err := strconv.Atoi(f[6+i])
		if err != nil {
			return zohoauth.Lifecycle{}, lifeParseError(n, names[6+i], "not a decimal number")
		}
		*p = v
	}
	e, err := strconv.Unquote(f[8])
	if err != nil || f[8] == "" || f[8][0] != '"' {
		return zohoauth.Lifecycle{}, lifeParseError(n, "last_error", "not a quoted string")
	}
	l.LastError = e
	return l, nil
}

func lifeParseError(line int, column, reason string) *ParseError {
	return &ParseError{Line: line, Column: column, Reason: reason, file: "lifecycle file"}
}
