package zohoauth

import (
	"context"
	"time"
)

// Lifecycle is what a store keeps of a token's life beside Zoho's ten
// columns: the facts that policies (session lifetime, idle cleanup,
// failure cleanup) need and that Zoho's SDKs neither write nor read. It
// holds no secret: LastError is a short reason (an error code or a class
// such as "timeout"), never a server's answer or a token.
//
// A zero time means "not known": a token saved by Zoho's SDKs, or before
// its store kept lifecycles, has a zero Lifecycle until the authenticator
// records something.
type Lifecycle struct {
	// ID is the store id of the token the record belongs to.
	ID string
	// LoginAt is when the grant that minted the token's refresh token was
	// exchanged (the user's login).
	LoginAt time.Time
	// LastUsedAt is when the token was last handed out to a caller. It is
	// recorded coarsely (at most once per interval of the recorder), so it
	// is a lower bound of the last use.
	LastUsedAt time.Time
	// LastRefreshAt is the last successful refresh of the access token.
	LastRefreshAt time.Time
	// LastFailureAt is the last failed refresh.
	LastFailureAt time.Time
	// Failures counts the failed refreshes since the last success.
	Failures int
	// FailureDays counts the distinct days (UTC) with a failed refresh
	// since the last success: a transient failure is counted at most once a
	// day.
	FailureDays int
	// LastError is a short reason for the last failure, no secret.
	LastError string
	// ExhaustedAt is when the token was given up after too many days of
	// failed refreshes; zero while it is still retried.
	ExhaustedAt time.Time
}

// IsZero reports whether l records nothing but its ID.
func (l Lifecycle) IsZero() bool {
	return l == Lifecycle{ID: l.ID}
}

// LifecycleKeeper is an optional capability of a Store, discovered with a
// type assertion: it keeps one Lifecycle per stored token beside Zoho's
// layout (a side table, side keys or a side file), so that Zoho's SDKs still
// read and write the same rows and files. A store without it still works;
// a policy that needs it says so when it is set up.
//
// Records are keyed by token id. Deleting a token through the store deletes
// its record; a token deleted by another program (Zoho's SDK) leaves an
// orphan record, which LifecyclesAfter still lists and a sweeper removes
// with DeleteLifecycle. A save that creates a token (an insert, whether the
// store picks the id or the caller gives it) deletes the record of its id
// with the insert, so a new token never inherits an orphan: the file and
// SQL stores give a new token the greatest id plus one, as Zoho's SDKs do,
// which is the id of a deleted top token.
//
// Stores keep the times of a record to the millisecond (truncated), in UTC,
// as Zoho keeps a token's expiry: a time read back Equals the time stored
// truncated to the millisecond. A record that an update leaves zero (IsZero)
// is deleted, so LifecyclesAfter lists only records that hold something.
type LifecycleKeeper interface {
	// Lifecycle returns the record of the token with the given id: a zero
	// Lifecycle (with ID set) when none was kept. An id that is not valid
	// is an error matching ErrInvalidID; the token need not exist.
	Lifecycle(ctx context.Context, id string) (Lifecycle, error)
	// UpdateLifecycle reads the record of id (zero when none), calls fn
	// with it and stores what fn left, atomically with respect to every
	// other UpdateLifecycle of the same id in any process: two concurrent
	// updates never lose one another's change. fn may be called more than
	// once (an optimistic store retries); it must not have side effects.
	// fn's error aborts the update and is returned; fn cannot change the
	// ID. The returned Lifecycle is the one stored.
	UpdateLifecycle(ctx context.Context, id string, fn func(*Lifecycle) error) (Lifecycle, error)
	// DeleteLifecycle deletes the record of id; deleting none is no error.
	DeleteLifecycle(ctx context.Context, id string) error
	// LifecyclesAfter returns at most limit records whose token id is
	// numerically greater than after ("" for the first page), in numeric
	// id order, orphans included. Fewer than limit means the last page.
	// Ids of one value ("7", "007") come in text order, and after is then
	// exclusive of its own text only, so a page may end between them. An
	// after that is neither "" nor a valid id matches ErrInvalidID; a
	// limit below 1 is an error.
	LifecyclesAfter(ctx context.Context, after string, limit int) ([]Lifecycle, error)
}
