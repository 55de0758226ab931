package storekit

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
type Lifecycles struct {
	m map[string]zohoauth.Lifecycle
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
		delete(t.m, l.ID)
		return
	}
	if t.m == nil {
		t.m = make(map[string]zohoauth.Lifecycle)
	}
	t.m[l.ID] = l
}

// Delete deletes the record of id and reports whether there was one.
func (t *Lifecycles) Delete(id string) bool {
	_, ok := t.m[id]
	delete(t.m, id)
	return ok
}

// Reset deletes every record.
func (t *Lifecycles) Reset() { t.m = nil }

// Len returns the number of records kept.
func (t *Lifecycles) Len() int { return len(t.m) }

// After returns at most limit records whose id comes after after ("" for
// the first page) in the order of CompareLifecycleIDs. A limit below 1 gives
// none.
func (t *Lifecycles) After(after string, limit int) []zohoauth.Lifecycle {
	if limit < 1 {
		return nil
	}
	var out []zohoauth.Lifecycle
	for id, l := range t.m {
		if after == "" || CompareLifecycleIDs(id, after) > 0 {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b zohoauth.Lifecycle) int { return CompareLifecycleIDs(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// All returns every record in numeric id order.
func (t *Lifecycles) All() []zohoauth.Lifecycle { return t.After("", len(t.m)+1) }

// CheckLifecycleID returns an error matching zohoauth.ErrInvalidID, with the
// store's message msg, when id is not a valid token id (ValidID); nil
// otherwise. The methods of a zohoauth.LifecycleKeeper check their id with it
// before they touch their medium, so a hostile id ("../x", "1; DROP TABLE")
// writes nothing.
func CheckLifecycleID(msg, id string) error {
	if !ValidID(id) {
		return &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: msg, Detail: "lifecycle of an invalid token id", Err: zohoauth.ErrInvalidID}
	}
	return nil
}

// CheckLifecyclePage returns the error of a LifecyclesAfter call whose after
// is neither "" nor a valid id (matching zohoauth.ErrInvalidID) or whose
// limit is below 1; nil otherwise.
func CheckLifecyclePage(msg, after string, limit int) error {
	if limit < 1 {
		return &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: msg, Detail: "page size " + strconv.Itoa(limit) + ", want at least 1"}
	}
	if after != "" {
		return CheckLifecycleID(msg, after)
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
