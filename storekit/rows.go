package storekit

import (
	"context"
	"slices"
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
	// WithEmail returns every stored token whose user name is Zoho's
	// email:zgid for the given e-mail (OfEmail), through an index (in SQL,
	// the range EmailRange of the user_name index). It may return more
	// tokens than those; Find keeps only the ones OfEmail accepts.
	WithEmail(ctx context.Context, email string) ([]*zohoauth.Token, error)
	// MaxID returns a number at least as great as every numeric id in use,
	// 0 when there is none.
	MaxID(ctx context.Context) (uint64, error)
}

// Find returns the stored token that matches t, trying t's keys in order
// (FindKeys). A user name without ':' that no stored token has exactly is
// an e-mail: it finds the token of the stored user email:zgid (FindEmail).
// Find returns zohoauth.ErrNotFound, unwrapped, when nothing matches, and
// an error matching ErrAmbiguous when the e-mail names several users; the
// store wraps either with its Zoho message. The token returned is the one
// Rows returned: the store copies it before handing it out.
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
		if k.Field == FieldUserName && IsEmail(k.Value) {
			list, err := rows.WithEmail(ctx, k.Value)
			if err != nil {
				return nil, err
			}
			return FindEmail(list, k.Value, k.ClientID)
		}
	}
	return nil, zohoauth.ErrNotFound
}

// FindEmail returns, among the tokens list, the one with the lowest id
// whose user name is email:zgid (OfEmail) and whose client does not
// contradict clientID (SameClient). It returns zohoauth.ErrNotFound,
// unwrapped, when none is, and an error matching ErrAmbiguous when the
// tokens that are belong to more than one user name (several zgids share
// the e-mail).
func FindEmail(list []*zohoauth.Token, email, clientID string) (*zohoauth.Token, error) {
	var best *zohoauth.Token
	var names []string // the user names of the e-mail, two at most
	for _, s := range list {
		if !OfEmail(s.UserName, email) || !SameClient(clientID, s.ClientID) {
			continue
		}
		if len(names) < 2 && !slices.Contains(names, s.UserName) {
			names = append(names, s.UserName)
		}
		if best == nil || CompareIDs(s.ID, best.ID) < 0 {
			best = s
		}
	}
	switch {
	case best == nil:
		return nil, zohoauth.ErrNotFound
	case len(names) > 1:
		return nil, &AmbiguousError{Email: email, UserNames: names}
	}
	return best, nil
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
