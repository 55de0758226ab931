package storekit

import (
	"context"
	"slices"
	"strconv"

	"github.com/zohoauth/zohoauth"
)

// Table is an indexed set of tokens in memory with the matching and saving
// rules of the zohoauth.Store contract: every look-up key (id, user name,
// access, grant and refresh token) has a hash index, so a find costs the
// same at a million tokens as at ten. Table is not safe for concurrent use:
// the memory store wraps it with a lock, the file store keeps the file's
// tokens in one, and the SQL store plans a batch of saves on one.
//
// The tokens a Table returns are its own: callers copy them (Token.Clone)
// before handing them out.
type Table struct {
	byID  map[string]*zohoauth.Token
	index [4]map[string][]*zohoauth.Token // user name, access, grant, refresh
	maxID uint64
}

var indexed = [4]Field{FieldUserName, FieldAccessToken, FieldGrantToken, FieldRefreshToken}

// NewTable returns an empty Table.
func NewTable() *Table {
	t := &Table{byID: make(map[string]*zohoauth.Token)}
	for i := range t.index {
		t.index[i] = make(map[string][]*zohoauth.Token)
	}
	return t
}

// Len returns the number of tokens.
func (t *Table) Len() int { return len(t.byID) }

// Lookup returns the token with the lowest id that matches k, or nil.
// It implements Rows.
func (t *Table) Lookup(_ context.Context, k Key) (*zohoauth.Token, error) {
	return t.lookup(k), nil
}

func (t *Table) lookup(k Key) *zohoauth.Token {
	if k.Field == FieldID {
		return t.byID[k.Value]
	}
	var best *zohoauth.Token
	for _, s := range t.index[slot(k.Field)][k.Value] {
		if k.Matches(s) && (best == nil || CompareIDs(s.ID, best.ID) < 0) {
			best = s
		}
	}
	return best
}

// WithUserName returns the tokens of one user name. It implements
// Rows.
func (t *Table) WithUserName(_ context.Context, name string) ([]*zohoauth.Token, error) {
	return t.index[0][name], nil
}

// MaxID returns the greatest numeric id the table has held. It implements
// Rows.
func (t *Table) MaxID(context.Context) (uint64, error) { return t.maxID, nil }

// Find returns the table's token that matches tok (Find), or nil.
func (t *Table) Find(tok *zohoauth.Token) *zohoauth.Token {
	s, _ := Find(context.Background(), t, tok)
	return s
}

// ByID returns the table's token with the given id, or nil.
func (t *Table) ByID(id string) *zohoauth.Token { return t.byID[id] }

// Save applies PlanSave to tok and stores the result. On success
// tok is updated to the stored value; on failure nothing changes.
// detailsNotFoundMsg is the Zoho text of the calling store's errors.
func (t *Table) Save(tok *zohoauth.Token, detailsNotFoundMsg string) error {
	plan, err := PlanSave(context.Background(), t, tok, detailsNotFoundMsg)
	if err != nil {
		return err
	}
	if plan.Old != nil {
		t.remove(plan.Old)
	}
	t.add(plan.Token)
	*tok = *plan.Token
	return nil
}

// SaveAll saves tokens in order as Save does, all or nothing: on an error
// the table is as it was and no token is changed.
func (t *Table) SaveAll(tokens []*zohoauth.Token, detailsNotFoundMsg string) error {
	plans := make([]SavePlan, 0, len(tokens))
	for _, tok := range tokens {
		plan, err := PlanSave(context.Background(), t, tok, detailsNotFoundMsg)
		if err != nil {
			for i := len(plans) - 1; i >= 0; i-- {
				t.remove(plans[i].Token)
				if plans[i].Old != nil {
					t.add(plans[i].Old)
				}
			}
			return err
		}
		if plan.Old != nil {
			t.remove(plan.Old)
		}
		t.add(plan.Token)
		plans = append(plans, plan)
	}
	for i, tok := range tokens {
		*tok = *plans[i].Token
	}
	return nil
}

// Insert adds tok as it is, without the saving rules: the way a store loads
// tokens it has read. The id must be valid and not in use.
func (t *Table) Insert(tok *zohoauth.Token) error {
	if !ValidID(tok.ID) {
		return zohoauth.ErrInvalidID
	}
	if _, dup := t.byID[tok.ID]; dup {
		return zohoauth.ErrConflict
	}
	t.add(tok.Clone())
	return nil
}

// Delete removes the token with the given id and reports whether there was one.
func (t *Table) Delete(id string) bool {
	s, ok := t.byID[id]
	if ok {
		t.remove(s)
	}
	return ok
}

// Reset removes every token. Ids start again at 1.
func (t *Table) Reset() { *t = *NewTable() }

// All returns the table's tokens ordered by numeric id.
func (t *Table) All() []*zohoauth.Token {
	out := make([]*zohoauth.Token, 0, len(t.byID))
	for _, s := range t.byID {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *zohoauth.Token) int { return CompareIDs(a.ID, b.ID) })
	return out
}

func slot(f Field) int {
	for i, g := range indexed {
		if g == f {
			return i
		}
	}
	panic("storekit: field " + strconv.Itoa(int(f)) + " has no index")
}

func (t *Table) add(s *zohoauth.Token) {
	t.byID[s.ID] = s
	if n, err := strconv.ParseUint(s.ID, 10, 64); err == nil && n > t.maxID {
		t.maxID = n
	}
	for i, f := range indexed {
		if v := f.Value(s); v != "" {
			t.index[i][v] = append(t.index[i][v], s)
		}
	}
}

func (t *Table) remove(s *zohoauth.Token) {
	delete(t.byID, s.ID)
	for i, f := range indexed {
		v := f.Value(s)
		if v == "" {
			continue
		}
		rest := slices.DeleteFunc(t.index[i][v], func(x *zohoauth.Token) bool { return x == s })
		if len(rest) == 0 {
			delete(t.index[i], v)
		} else {
			t.index[i][v] = rest
		}
	}
}
