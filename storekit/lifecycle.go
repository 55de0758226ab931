package storekit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/zohoauth/zohoauth"
)

// LifecycleTime returns t as stores keep the times of a zohoauth.Lifecycle:
// whole milliseconds (truncated), in UTC, without a monotonic reading. The
// zero time stays zero.
func LifecycleTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// LifecycleMillis returns t as epoch milliseconds, the form in which stores
// write the times of a lifecycle, and false for the zero time (which stores
// write as NULL or an empty field, never as 0, so that the epoch itself stays
// a time).
func LifecycleMillis(t time.Time) (int64, bool) {
	if t.IsZero() {
		return 0, false
	}
	return t.UnixMilli(), true
}

// NormalLifecycle returns l with its times as stores keep them
// (LifecycleTime).
func NormalLifecycle(l zohoauth.Lifecycle) zohoauth.Lifecycle {
	l.LoginAt = LifecycleTime(l.LoginAt)
	l.LastUsedAt = LifecycleTime(l.LastUsedAt)
	l.LastRefreshAt = LifecycleTime(l.LastRefreshAt)
	l.LastFailureAt = LifecycleTime(l.LastFailureAt)
	l.ExhaustedAt = LifecycleTime(l.ExhaustedAt)
	return l
}

// ApplyLifecycle is the step of a zohoauth.LifecycleKeeper's UpdateLifecycle
// that is the same in every store: it calls fn with a copy of cur (the stored
// record of id, zero when none) and returns what fn left, its ID put back to
// id (fn cannot change it) and its times normalised (NormalLifecycle). fn's
// error is returned as it is, and the store then writes nothing; so is an
// error matching ErrInvalidLifecycle for a LastError no store keeps. A result
// that IsZero means the store deletes the record of id.
func ApplyLifecycle(id string, cur zohoauth.Lifecycle, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, error) {
	l := cur
	l.ID = id
	if err := fn(&l); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	l.ID = id
	if len(l.LastError) > MaxLastError || !utf8.ValidString(l.LastError) || strings.ContainsRune(l.LastError, 0) {
		return zohoauth.Lifecycle{}, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: "lifecycle record not stored",
			Detail: fmt.Sprintf("LastError of %d bytes: want at most %d bytes of UTF-8 without NUL", len(l.LastError), MaxLastError), Err: ErrInvalidLifecycle}
	}
	return NormalLifecycle(l), nil
}

// MaxLastError is the longest Lifecycle.LastError a store keeps, in bytes.
const MaxLastError = 1024

// ErrInvalidLifecycle reports a lifecycle record that no store keeps as it
// is: a LastError longer than MaxLastError bytes, not UTF-8, or holding a
// NUL byte (text columns of SQL engines refuse those). ApplyLifecycle
// returns it, wrapped, and nothing is written.
var ErrInvalidLifecycle = errors.New("lifecycle record cannot be stored")

// Lifecycles is the lifecycle records of an in-memory store, keyed by token
// id: what memory, list and the file store keep beside their tokens. It is
// not safe for concurrent use: its store guards it with the lock that guards
// its tokens. The zero value is empty and ready to use.
//
// Beside the map, the ids are kept in the order of CompareLifecycleIDs, so
// that a page of After costs a binary search and the page, not a sort of
// every record: a 100k-record sweep by pages is linear. A deleted id stays
// in the order as a tombstone (the map no longer has it) until tombstones
// outnumber the records, when the order is compacted; so a delete costs a
// map delete, amortised.
type Lifecycles struct {
	m     map[string]zohoauth.Lifecycle
	order []string // ids of m and tombstones, by CompareLifecycleIDs
}

// Get returns the record of id, zero (with ID set) when none is kept.
func (t *Lifecycles) Get(id string) zohoauth.Lifecycle {
	if l, ok := t.m[id]; ok {
		return l
	}
	return zohoauth.Lifecycle{ID: id}
}

// Update applies fn to the record of id (ApplyLifecycle) and keeps the
// result, or deletes the record when the result is zero. On fn's error
// nothing changes.
func (t *Lifecycles) Update(id string, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, error) {
	l, err := ApplyLifecycle(id, t.Get(id), fn)
	if err != nil {
		return zohoauth.Lifecycle{}, err
	}
	t.Put(l)
	return l, nil
}

// Put keeps l as the record of l.ID as it is, or deletes that record when l
// is zero.
func (t *Lifecycles) Put(l zohoauth.Lifecycle) {
	if l.IsZero() {
		t.Delete(l.ID)
		return
	}
	if t.m == nil {
		t.m = make(map[string]zohoauth.Lifecycle)
	}
	if _, ok := t.m[l.ID]; !ok {
		t.place(l.ID)
	}
	t.m[l.ID] = l
}

// place puts id in the order, unless it is there as a tombstone: at the end
// when it is the greatest (ids come in increasing order, mostly), otherwise
// where it belongs.
func (t *Lifecycles) place(id string) {
	n := len(t.order)
	if n == 0 || CompareLifecycleIDs(t.order[n-1], id) < 0 {
		t.order = append(t.order, id)
		return
	}
	i, found := slices.BinarySearchFunc(t.order, id, CompareLifecycleIDs)
	if !found {
		t.order = slices.Insert(t.order, i, id)
	}
}

// Delete deletes the record of id and reports whether there was one.
func (t *Lifecycles) Delete(id string) bool {
	_, ok := t.m[id]
	if !ok {
		return false
	}
	delete(t.m, id)
	if tomb := len(t.order) - len(t.m); tomb > 64 && tomb > len(t.m) {
		t.order = slices.DeleteFunc(t.order, func(id string) bool { _, ok := t.m[id]; return !ok })
	}
	return true
}

// Reset deletes every record.
func (t *Lifecycles) Reset() { t.m, t.order = nil, nil }

// Len returns the number of records kept.
func (t *Lifecycles) Len() int { return len(t.m) }

// After returns at most limit records whose id comes after after ("" for
// the first page) in the order of CompareLifecycleIDs. A limit below 1 gives
// none.
func (t *Lifecycles) After(after string, limit int) []zohoauth.Lifecycle {
	if limit < 1 || len(t.m) == 0 {
		return nil
	}
	start := 0
	if after != "" {
		i, found := slices.BinarySearchFunc(t.order, after, CompareLifecycleIDs)
		if found {
			i++
		}
		start = i
	}
	out := make([]zohoauth.Lifecycle, 0, min(limit, len(t.m)))
	for _, id := range t.order[start:] {
		if len(out) == limit {
			break
		}
		if l, ok := t.m[id]; ok {
			out = append(out, l)
		}
	}
	return out
}

// All returns every record in numeric id order.
func (t *Lifecycles) All() []zohoauth.Lifecycle { return t.After("", len(t.m)+1) }

// CheckLifecycleID returns the error of a lifecycle call on id: ctx done
// (an error wrapping ctx.Err()), or id not a valid id (matching
// zohoauth.ErrInvalidID); nil otherwise. msg is the store's Message.
func CheckLifecycleID(ctx context.Context, msg, id string) error {
	if err := ctx.Err(); err != nil {
		return StoreError(msg, err)
	}
	if !ValidID(id) {
		return &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: msg, Detail: "lifecycle of an invalid token id", Err: zohoauth.ErrInvalidID}
	}
	return nil
}

// CheckLifecyclePage returns the error of a LifecyclesAfter call: ctx done
// (an error wrapping ctx.Err()), after neither "" nor a valid id (matching
// zohoauth.ErrInvalidID), or limit below 1; nil otherwise.
func CheckLifecyclePage(ctx context.Context, msg, after string, limit int) error {
	if err := ctx.Err(); err != nil {
		return StoreError(msg, err)
	}
	if limit < 1 {
		return &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: msg, Detail: "page size " + strconv.Itoa(limit) + ", want at least 1"}
	}
	if after != "" {
		return CheckLifecycleID(ctx, msg, after)
	}
	return nil
}

// CompareLifecycleIDs is the order of LifecyclesAfter: numeric value
// (CompareIDs), then text for the ids of one value ("007" before "7"), so
// that every id has one place and a page ends between any two records.
func CompareLifecycleIDs(a, b string) int {
	if c := CompareIDs(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// LockedLifecycles is the LifecycleKeeper of an in-memory store written
// once: its Lifecycles guarded by the store's lock, each call checked
// (context, id, page) and its errors reported with the store's message.
// A store's methods call these, with the same lock that guards its
// tokens, so that a token and its record change together.
type LockedLifecycles struct {
	Mu   *sync.RWMutex
	Life *Lifecycles
	Msg  string // the Message of the errors, e.g. "Exception in lifecycle - MemoryStore"
}

// Lifecycle returns the record of id under the read lock.
func (k LockedLifecycles) Lifecycle(ctx context.Context, id string) (zohoauth.Lifecycle, error) {
	if err := k.check(ctx, id); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	k.Mu.RLock()
	defer k.Mu.RUnlock()
	return k.Life.Get(id), nil
}

// UpdateLifecycle applies fn to the record of id under the write lock.
func (k LockedLifecycles) UpdateLifecycle(ctx context.Context, id string, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, error) {
	if err := k.check(ctx, id); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	k.Mu.Lock()
	defer k.Mu.Unlock()
	return k.Life.Update(id, fn)
}

// DeleteLifecycle deletes the record of id under the write lock.
func (k LockedLifecycles) DeleteLifecycle(ctx context.Context, id string) error {
	if err := k.check(ctx, id); err != nil {
		return err
	}
	k.Mu.Lock()
	defer k.Mu.Unlock()
	k.Life.Delete(id)
	return nil
}

// LifecyclesAfter returns a page of records under the read lock.
func (k LockedLifecycles) LifecyclesAfter(ctx context.Context, after string, limit int) ([]zohoauth.Lifecycle, error) {
	if err := CheckLifecyclePage(ctx, k.Msg, after, limit); err != nil {
		return nil, err
	}
	k.Mu.RLock()
	defer k.Mu.RUnlock()
	return k.Life.After(after, limit), nil
}

func (k LockedLifecycles) check(ctx context.Context, id string) error {
	return CheckLifecycleID(ctx, k.Msg, id)
}
