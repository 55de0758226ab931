package storekit

import (
	"context"
	"strconv"

	"github.com/zohoauth/zohoauth"
)

// Rows is the read view of a store's tokens that Find and PlanSave work on.
// A store implements it over its own medium (an index, a slice, SQL queries
// inside a transaction) and gets the matching and saving rules of the
// zohoauth.Store contract from Find and PlanSave, so that every store
// applies them alike. The tokens Rows returns may be the store's own; Find
// and PlanSave never modify them.
type Rows interface {
	// Lookup returns the stored token with the lowest numeric id that
	// matches k (Key.Matches), or nil when none does.
	Lookup(ctx context.Context, k Key) (*zohoauth.Token, error)
	// WithUserName returns every stored token whose user name is name.
	WithUserName(ctx context.Context, name string) ([]*zohoauth.Token, error)
	// MaxID returns a number at least as great as every numeric id in use,
	// 0 when there is none.
	MaxID(ctx context.Context) (uint64, error)
}

// Find returns the stored token that matches t, trying t's keys in order
// (FindKeys). It returns zohoauth.ErrNotFound, unwrapped, when nothing
// matches; the store wraps it with its Zoho message. The token returned is
// the one Rows returned: the store copies it before handing it out.
func Find(ctx context.Context, rows Rows, t *zohoauth.Token) (*zohoauth.Token, error) {
	var buf [2]Key
	for _, k := range FindKeys(buf[:0], t) {
		s, err := rows.Lookup(ctx, k)
		if err != nil {
			return nil, err
		}
		if s != nil {
			return s, nil
		}
	}
	return nil, zohoauth.ErrNotFound
}

// A SavePlan is what a save must write: Token replaces Old, or is inserted
// when Old is nil. Token has its id.
type SavePlan struct {
	Token *zohoauth.Token // the merged token to store, a new value owned by the caller
	Old   *zohoauth.Token // the stored token it replaces, or nil for an insert
}

// PlanSave applies the saving rules of the zohoauth.Store contract to t
// against rows: it finds the stored token t updates (SaveKeys), merges t
// over it, checks the result (CheckSave with detailsNotFoundMsg, and
// zohoauth.ErrConflict when a user name would have two tokens for one
// client) and gives a new token a new id. It changes neither t nor rows; on
// success the store writes the plan and copies plan.Token into t.
func PlanSave(ctx context.Context, rows Rows, t *zohoauth.Token, detailsNotFoundMsg string) (SavePlan, error) {
	if t.ID != "" && !ValidID(t.ID) {
		return SavePlan{}, StoreError("invalid token id", zohoauth.ErrInvalidID)
	}
	var old *zohoauth.Token
	var buf [2]Key
	for _, k := range SaveKeys(buf[:0], t) {
		s, err := rows.Lookup(ctx, k)
		if err != nil {
			return SavePlan{}, err
		}
		if s != nil {
			old = s
			break
		}
	}
	merged := t.Clone()
	merged.Merge(old)
	if err := CheckSave(merged, detailsNotFoundMsg); err != nil {
		return SavePlan{}, err
	}
	if merged.ID == "" {
		max, err := rows.MaxID(ctx)
		if err != nil {
			return SavePlan{}, err
		}
		merged.ID = NextID(max)
	}
	if merged.UserName != "" {
		same, err := rows.WithUserName(ctx, merged.UserName)
		if err != nil {
			return SavePlan{}, err
		}
		for _, s := range same {
			if Conflicts(merged, s) {
				return SavePlan{}, StoreError("user "+strconv.Quote(merged.UserName)+" already has a token of this client under id "+s.ID, zohoauth.ErrConflict)
			}
		}
	}
	return SavePlan{Token: merged, Old: old}, nil
}
