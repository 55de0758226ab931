package storekit

import (
	"context"
	"slices"
	"strconv"

	"github.com/zohoauth/zohoauth"
)

// Table is an indexed set of tokens in memory with the matching and saving
// rules of the zohoauth.Store contract: every look-up key (id, user name,
// access, grant and refresh token) and the e-mail of a user name
// email:zgid has a hash index, so a find costs the same at a million tokens
// as at ten. Table is not safe for concurrent use: the memory store wraps
// it with a lock, the file store keeps the file's tokens in one, and the
// SQL store plans a batch of saves on one.
//
// The tokens a Table returns are its own: callers copy them (Token.Clone)
// before handing them out.
type Table struct {
	byID  map[string]*zohoauth.Token
	index [4]index // user name, access, grant, refresh
	email index    // the e-mail of user names email:zgid
	maxID uint64
}

// index maps a value to the tokens that have it. Most values belong to one
// token, which one holds directly (a find reads the map and the token,
// nothing else); the tokens of a value that several share (a user of
// several clients, an e-mail of several zgids) are in one and more.
type index struct {
	one  map[string]*zohoauth.Token   // a token of each value
	more map[string][]*zohoauth.Token // the other tokens of a shared value
}

func newIndex() index {
	return index{one: make(map[string]*zohoauth.Token), more: make(map[string][]*zohoauth.Token)}
}

// all appends to dst the tokens of value v.
func (x *index) all(dst []*zohoauth.Token, v string) []*zohoauth.Token {
	if s := x.one[v]; s != nil {
		dst = append(dst, s)
		if len(x.more) > 0 {
			dst = append(dst, x.more[v]...)
		}
	}
	return dst
}

func (x *index) add(v string, s *zohoauth.Token) {
	if x.one[v] == nil {
		x.one[v] = s
		return
	}
	x.more[v] = append(x.more[v], s)
}

func (x *index) remove(v string, s *zohoauth.Token) {
	more := x.more[v]
	if x.one[v] == s {
		if len(more) == 0 {
			delete(x.one, v)
			return
		}
		x.one[v], more = more[0], more[1:]
	} else {
		more = slices.DeleteFunc(more, func(x *zohoauth.Token) bool { return x == s })
	}
	if len(more) == 0 {
		delete(x.more, v)
	} else {
		x.more[v] = slices.Clip(more)
	}
}

var indexed = [4]Field{FieldUserName, FieldAccessToken, FieldGrantToken, FieldRefreshToken}

// NewTable returns an empty Table.
func NewTable() *Table {
	t := &Table{byID: make(map[string]*zohoauth.Token), email: newIndex()}
	for i := range t.index {
		t.index[i] = newIndex()
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
	x := &t.index[slot(k.Field)]
	var best *zohoauth.Token
	if s := x.one[k.Value]; s != nil && SameClient(k.ClientID, s.ClientID) {
		best = s
	}
	if len(x.more) == 0 {
		return best // the common case: no value is shared
	}
	for _, s := range x.more[k.Value] {
		if SameClient(k.ClientID, s.ClientID) && (best == nil || CompareIDs(s.ID, best.ID) < 0) {
			best = s
		}
	}
	return best
}

// WithUserName returns the tokens of one user name. It implements
// Rows.
func (t *Table) WithUserName(_ context.Context, name string) ([]*zohoauth.Token, error) {
	return t.index[0].all(nil, name), nil
}

// WithEmail returns the tokens whose user name is email:zgid, through the
// e-mail index. It implements Rows.
func (t *Table) WithEmail(_ context.Context, email string) ([]*zohoauth.Token, error) {
	return t.email.all(nil, email), nil
}

// MaxID returns the greatest numeric id the table has held. It implements
// Rows.
func (t *Table) MaxID(context.Context) (uint64, error) { return t.maxID, nil }

// Find returns the table's token that matches tok (Find). The error is
// zohoauth.ErrNotFound or one matching ErrAmbiguous, unwrapped.
func (t *Table) Find(tok *zohoauth.Token) (*zohoauth.Token, error) {
	return Find(context.Background(), t, tok)
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
			t.index[i].add(v, s)
		}
	}
	if e, ok := Email(s.UserName); ok {
		t.email.add(e, s)
	}
}

func (t *Table) remove(s *zohoauth.Token) {
	delete(t.byID, s.ID)
	for i, f := range indexed {
		v := f.Value(s)
		if v == "" {
			continue
		}
		t.index[i].remove(v, s)
	}
	if e, ok := Email(s.UserName); ok {
		t.email.remove(e, s)
	}
}
