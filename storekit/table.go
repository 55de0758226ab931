package storekit

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"strings"

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
//
// The table keeps its tokens in id order as they change, each id parsed
// once, so that All and After cost a copy, not a sort. Its read methods
// (Lookup, Find, ByID, All, After, Len, MaxID, WithUserName, LookupDerived,
// ByIDDerived) change nothing: callers may run them concurrently under a
// read lock. Beside each token it keeps what a wrapper derived from it
// (Derive, see Deriver), dropped when the token changes.
type Table struct {
	byID  map[string]*row
	index [4]index // user name, access, grant, refresh
	email index    // the e-mail of user names email:zgid
	order []entry  // every token, by (key, id text)
	maxID uint64
	// byDerived indexes derived rows by their derived access, grant and
	// refresh token (see LookupByDerived), one entry per value: a later
	// Derive of the same value takes it over, and unlink removes a row's
	// own. nil until a Derive.
	byDerived *[3]map[string]*row
}

// row is a token as the table holds it: the token, never changed once
// stored (a save puts a new row), and the secret values of the token a
// wrapper derived from it, if any (see Deriver): 256 bytes, four cache
// lines read side by side, so that a find of a derived token waits for no
// other memory than a find of the stored one.
type row struct {
	tok     zohoauth.Token
	owner   *Owner    // of derived; nil when nothing is derived
	derived [4]string // the secret values of the derived token (secretFields)
}

// newRow returns a row holding a copy of t.
func newRow(t *zohoauth.Token) *row { return &row{tok: *t} }

// entry is a token of Table.order with its id parsed.
type entry struct {
	key uint64 // the numeric value of the id; invalidKey when it is not numeric
	r   *row
}

// invalidKey is the key of an id that is not numeric: such ids sort after
// every numeric one (a valid id has at most 10 digits), among themselves by
// their text, as CompareIDs orders them.
const invalidKey = math.MaxUint64

// idKey returns the order key of id.
func idKey(id string) uint64 {
	if !ValidID(id) {
		return invalidKey
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return invalidKey // unreachable: a valid id has at most 10 digits
	}
	return n
}

// compareEntry orders entries as CompareIDs orders their ids, ties of equal
// value ("7" and "007") by the id text.
func compareEntry(a entry, key uint64, id string) int {
	if c := cmp.Compare(a.key, key); c != 0 {
		return c
	}
	return strings.Compare(a.r.tok.ID, id)
}

// search returns the position in t.order of the id with the given key, or
// where it would go, and whether it is there.
func (t *Table) search(key uint64, id string) (int, bool) {
	return slices.BinarySearchFunc(t.order, id, func(e entry, id string) int { return compareEntry(e, key, id) })
}

// index maps a value to the tokens that have it. Most values belong to one
// token, which one holds directly (a find reads the map and the token,
// nothing else); the tokens of a value that several share (a user of
// several clients, an e-mail of several zgids) are in one and more.
type index struct {
	one  map[string]*row   // a token of each value
	more map[string][]*row // the other tokens of a shared value
}

func newIndex(size int) index {
	return index{one: make(map[string]*row, size), more: make(map[string][]*row)}
}

// all appends to dst the tokens of value v.
func (x *index) all(dst []*zohoauth.Token, v string) []*zohoauth.Token {
	if s := x.one[v]; s != nil {
		dst = append(dst, &s.tok)
		if len(x.more) > 0 {
			for _, m := range x.more[v] {
				dst = append(dst, &m.tok)
			}
		}
	}
	return dst
}

func (x *index) add(v string, s *row) {
	if x.one[v] == nil {
		x.one[v] = s
		return
	}
	x.more[v] = append(x.more[v], s)
}

func (x *index) remove(v string, s *row) {
	more := x.more[v]
	if x.one[v] == s {
		if len(more) == 0 {
			delete(x.one, v)
			return
		}
		x.one[v], more = more[0], more[1:]
	} else {
		more = slices.DeleteFunc(more, func(x *row) bool { return x == s })
	}
	if len(more) == 0 {
		delete(x.more, v)
	} else {
		x.more[v] = slices.Clip(more)
	}
}

var indexed = [4]Field{FieldUserName, FieldAccessToken, FieldGrantToken, FieldRefreshToken}

// NewTable returns an empty Table.
func NewTable() *Table { return NewTableSize(0) }

// NewTableSize returns an empty Table with room for about n tokens, so
// that a table filled with a known number of tokens (a batch of saves, a
// file of a known size) does not grow its indexes step by step.
func NewTableSize(n int) *Table {
	n = max(n, 0)
	t := &Table{byID: make(map[string]*row, n), email: newIndex(n), order: make([]entry, 0, n)}
	for i := range t.index {
		t.index[i] = newIndex(n)
	}
	return t
}

// Len returns the number of tokens.
func (t *Table) Len() int { return len(t.byID) }

// Lookup returns the token with the lowest id that matches k, or nil.
// It implements Rows.
func (t *Table) Lookup(_ context.Context, k Key) (*zohoauth.Token, error) {
	if r := t.lookup(k); r != nil {
		return &r.tok, nil
	}
	return nil, nil
}

func (t *Table) lookup(k Key) *row {
	if k.Field == FieldID {
		return t.byID[k.Value]
	}
	x := &t.index[slot(k.Field)]
	var best *row
	if s := x.one[k.Value]; s != nil && SameClient(k.ClientID, s.tok.ClientID) {
		best = s
	}
	if len(x.more) == 0 {
		return best // the common case: no value is shared
	}
	for _, s := range x.more[k.Value] {
		if SameClient(k.ClientID, s.tok.ClientID) && (best == nil || CompareIDs(s.tok.ID, best.tok.ID) < 0) {
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
func (t *Table) ByID(id string) *zohoauth.Token {
	if r := t.byID[id]; r != nil {
		return &r.tok
	}
	return nil
}

// Save applies PlanSave to tok and stores the result. On success
// tok is updated to the stored value; on failure nothing changes.
// detailsNotFoundMsg is the Zoho text of the calling store's errors.
func (t *Table) Save(tok *zohoauth.Token, detailsNotFoundMsg string) error {
	_, err := t.SaveCreated(tok, detailsNotFoundMsg)
	return err
}

// SaveCreated is Save that also reports whether the save created the token:
// an insert, whose id (picked by the table or given by the caller) no token
// of the table had. A store that keeps lifecycle records deletes the record
// of a created id with the save, so that a new token never inherits the
// orphan record of a token that a program unaware of records deleted.
func (t *Table) SaveCreated(tok *zohoauth.Token, detailsNotFoundMsg string) (created bool, err error) {
	plan, err := PlanSave(context.Background(), t, tok, detailsNotFoundMsg)
	if err != nil {
		return false, err
	}
	t.put(t.rowOf(plan.Old), newRow(plan.Token))
	*tok = *plan.Token
	return plan.Old == nil, nil
}

// rowOf returns the row of a token the table holds (nil for nil).
func (t *Table) rowOf(tok *zohoauth.Token) *row {
	if tok == nil {
		return nil
	}
	if r := t.byID[tok.ID]; r != nil && &r.tok == tok {
		return r
	}
	panic("storekit: a token the table does not hold") // unreachable: plans are made on this table
}

// SaveAll saves tokens in order as Save does, all or nothing: on an error
// the table is as it was and no token is changed.
func (t *Table) SaveAll(tokens []*zohoauth.Token, detailsNotFoundMsg string) error {
	_, err := t.SaveAllCreated(tokens, detailsNotFoundMsg)
	return err
}

// SaveAllCreated is SaveAll that also returns the ids of the tokens the
// batch created (see SaveCreated), in the order of their saves; nil on an
// error.
func (t *Table) SaveAllCreated(tokens []*zohoauth.Token, detailsNotFoundMsg string) (created []string, err error) {
	type step struct{ old, r *row }
	steps := make([]step, 0, len(tokens))
	for _, tok := range tokens {
		plan, err := PlanSave(context.Background(), t, tok, detailsNotFoundMsg)
		if err != nil {
			for i := len(steps) - 1; i >= 0; i-- {
				if old := steps[i].old; old != nil && old.tok.ID == steps[i].r.tok.ID {
					t.put(steps[i].r, old)
					continue
				}
				t.remove(steps[i].r)
				if steps[i].old != nil {
					t.add(steps[i].old)
				}
			}
			return nil, err
		}
		st := step{t.rowOf(plan.Old), newRow(plan.Token)}
		t.put(st.old, st.r)
		steps = append(steps, st)
		if st.old == nil {
			created = append(created, plan.Token.ID)
		}
	}
	for i, tok := range tokens {
		*tok = steps[i].r.tok
	}
	return created, nil
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
	t.add(newRow(tok))
	return nil
}

// InsertAll inserts tokens as Insert does, all or nothing: on an error the
// table is as it was. Loading n tokens costs one sort at most, whatever
// their order.
func (t *Table) InsertAll(tokens []*zohoauth.Token) error {
	seen := make(map[string]struct{}, len(tokens))
	for _, tok := range tokens {
		if !ValidID(tok.ID) {
			return zohoauth.ErrInvalidID
		}
		_, dup := t.byID[tok.ID]
		if _, again := seen[tok.ID]; dup || again {
			return zohoauth.ErrConflict
		}
		seen[tok.ID] = struct{}{}
	}
	sorted := true
	for _, tok := range tokens {
		r := newRow(tok)
		t.link(r)
		e := entry{idKey(r.tok.ID), r}
		if n := len(t.order); n > 0 && compareEntry(t.order[n-1], e.key, r.tok.ID) > 0 {
			sorted = false
		}
		t.order = append(t.order, e)
	}
	if !sorted {
		slices.SortFunc(t.order, func(a, b entry) int { return compareEntry(a, b.key, b.r.tok.ID) })
	}
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

// All returns the table's tokens ordered by numeric id (as CompareIDs
// orders them; ties such as "7" and "007" by the id text).
func (t *Table) All() []*zohoauth.Token {
	out := make([]*zohoauth.Token, len(t.order))
	for i, e := range t.order {
		out[i] = &e.r.tok
	}
	return out
}

// After returns at most limit of the table's tokens whose numeric id is
// greater than after ("" for the first), in the order of All: a page of
// zohoauth.Pager. Ties of equal value come after after when their id text
// does. Tokens whose id is not numeric are never returned; invalid
// reports whether the table holds any.
func (t *Table) After(after string, limit int) (page []*zohoauth.Token, invalid bool) {
	start := 0
	if after != "" {
		i, found := t.search(idKey(after), after)
		if found {
			i++
		}
		start = i
	}
	for _, e := range t.order[start:] {
		if len(page) == limit || e.key == invalidKey {
			break
		}
		page = append(page, &e.r.tok)
	}
	n := len(t.order)
	return page, n > 0 && t.order[n-1].key == invalidKey
}

func slot(f Field) int {
	for i, g := range indexed {
		if g == f {
			return i
		}
	}
	panic("storekit: field " + strconv.Itoa(int(f)) + " has no index")
}

// put stores s in place of old (nil for a new token).
func (t *Table) put(old, s *row) {
	if old != nil && old.tok.ID == s.tok.ID {
		if i, ok := t.search(idKey(old.tok.ID), old.tok.ID); ok && t.order[i].r == old {
			t.unlink(old)
			t.link(s)
			t.order[i].r = s
			return
		}
	}
	if old != nil {
		t.remove(old)
	}
	t.add(s)
}

// add indexes s and puts it in order: at the end when its id is the
// greatest (a new token's id, a sorted file's next line), otherwise where
// it belongs.
func (t *Table) add(s *row) {
	t.link(s)
	e := entry{idKey(s.tok.ID), s}
	if n := len(t.order); n == 0 || compareEntry(t.order[n-1], e.key, s.tok.ID) < 0 {
		t.order = append(t.order, e)
		return
	}
	i, _ := t.search(e.key, s.tok.ID)
	t.order = slices.Insert(t.order, i, e)
}

// remove removes s from the indexes and the order.
func (t *Table) remove(s *row) {
	t.unlink(s)
	if i, ok := t.search(idKey(s.tok.ID), s.tok.ID); ok && t.order[i].r == s {
		t.order = slices.Delete(t.order, i, i+1)
	}
}

// link adds s to the look-up indexes.
func (t *Table) link(s *row) {
	t.byID[s.tok.ID] = s
	if n, err := strconv.ParseUint(s.tok.ID, 10, 64); err == nil && n > t.maxID {
		t.maxID = n
	}
	for i, f := range indexed {
		if v := f.Value(&s.tok); v != "" {
			t.index[i].add(v, s)
		}
	}
	if e, ok := Email(s.tok.UserName); ok {
		t.email.add(e, s)
	}
}

// unlink removes s from the look-up indexes.
func (t *Table) unlink(s *row) {
	t.undix(s)
	delete(t.byID, s.tok.ID)
	for i, f := range indexed {
		v := f.Value(&s.tok)
		if v == "" {
			continue
		}
		t.index[i].remove(v, s)
	}
	if e, ok := Email(s.tok.UserName); ok {
		t.email.remove(e, s)
	}
}
