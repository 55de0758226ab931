package storekit

import (
	"context"

	"github.com/zohoauth/zohoauth"
)

// Deriver is an optional capability of a store that keeps its tokens in the
// process (the memory store): it keeps, beside each stored token, the secret
// values (client secret, refresh, access and grant token) of a token that a
// wrapper derived from it, and hands that token to the wrapper on the
// wrapper's next finds, until the stored token changes. The sealed store
// derives the decrypted token, so that a find through it costs the inner
// store's find, with no decryption and no look-up of its own.
//
// A wrapper discovers the capability with a type assertion on the store it
// wraps, as database/sql discovers the optional interfaces of a
// database/sql/driver driver. A wrapper that embeds a Deriver and changes
// what the store's finds return must implement Deriver itself (or hide it),
// or its callers reach the embedded store's tokens around its changes.
//
// A store keeps at most one derived token per stored token, with the Owner
// that derived it, and serves it only to that owner: a derived token is
// dropped with the stored token it came from when that token is saved again,
// swapped or deleted, and it is never served for a stored token that is not
// exactly the one it was derived from.
type Deriver interface {
	// FindDerived finds the stored token that the single key k finds (as
	// FindToken does with a token whose only find key is k, e-mails
	// included) and returns a copy of the token owner derived from it, with
	// derived true; when owner derived none from the token as stored now, it
	// returns a copy of the stored token, with derived false. Its errors are
	// FindToken's.
	FindDerived(ctx context.Context, owner *Owner, k Key) (tok *zohoauth.Token, derived bool, err error)
	// FindDerivedByID is FindDerived for the token with the given id; its
	// errors are FindTokenByID's.
	FindDerivedByID(ctx context.Context, owner *Owner, id string) (tok *zohoauth.Token, derived bool, err error)
	// FindByDerived finds by a derived value: k's field is the access,
	// grant or refresh token, and k.Value a value of that field in a token
	// owner derived. It returns a copy of that derived token, with ok true,
	// when its stored token has k's client (SameClient) and is the only
	// stored token with its stored value of that field; otherwise ok is
	// false and the caller finds by the stored value. Its errors are
	// FindToken's (a cancelled ctx).
	//
	// When every stored value has a single derived value and the reverse
	// (the sealed store under one key: deterministic encryption), the token
	// it gives is the one FindDerived gives for the stored value of k.Value:
	// a wrapper that asks it only then gets the answers of FindDerived.
	FindByDerived(ctx context.Context, owner *Owner, k Key) (tok *zohoauth.Token, ok bool, err error)
	// Derive keeps d as the token owner derived from stored (a copy of a
	// stored token that FindDerived, FindDerivedByID or a save returned), in
	// place of any token derived from it before, when the store still holds
	// exactly stored under its id and d differs from stored in its secret
	// values only; it reports whether it did.
	Derive(owner *Owner, stored, d *zohoauth.Token) bool
}

// An Owner tells apart the tokens different wrappers derive from one stored
// token (see Deriver): a store serves a derived token only to the Owner that
// derived it. A wrapper takes a new Owner whenever what it derives from a
// stored token would change (the sealed store: for each keyset it loads),
// so that nothing derived before is served after.
type Owner struct{ _ byte } // not empty: every Owner has its own address

// NewOwner returns a new Owner, unlike every other.
func NewOwner() *Owner { return new(Owner) }

// secretValues returns the pointers to t's secret values, in the order of
// a row's derived values.
func secretValues(t *zohoauth.Token) [4]*string {
	return [4]*string{&t.ClientSecret, &t.RefreshToken, &t.AccessToken, &t.GrantToken}
}

// LookupDerived returns a copy of the table's token that the single key k
// finds, as Find does with a token whose only find key is k, or of the
// token owner derived from it (derived true) when there is one. The error
// is zohoauth.ErrNotFound or one matching ErrAmbiguous, unwrapped.
func (t *Table) LookupDerived(owner *Owner, k Key) (tok *zohoauth.Token, derived bool, err error) {
	r := t.lookup(k)
	if r == nil {
		if k.Field != FieldUserName || !IsEmail(k.Value) {
			return nil, false, zohoauth.ErrNotFound
		}
		found, err := FindEmail(t.email.all(nil, k.Value), k.Value, k.ClientID)
		if err != nil {
			return nil, false, err
		}
		r = t.byID[found.ID]
	}
	tok, derived = r.copyFor(owner)
	return tok, derived, nil
}

// ByIDDerived returns a copy of the table's token with the given id, or of
// the token owner derived from it (derived true) when there is one; nil
// when there is no such token.
func (t *Table) ByIDDerived(owner *Owner, id string) (tok *zohoauth.Token, derived bool) {
	r := t.byID[id]
	if r == nil {
		return nil, false
	}
	return r.copyFor(owner)
}

// copyFor returns a copy of the token owner derived from r, or of r's
// token when owner derived none.
func (r *row) copyFor(owner *Owner) (*zohoauth.Token, bool) {
	c := r.tok
	if owner == nil || r.owner != owner {
		return &c, false
	}
	c.ClientSecret, c.RefreshToken, c.AccessToken, c.GrantToken = r.derived[0], r.derived[1], r.derived[2], r.derived[3]
	return &c, true
}

// Derive keeps d as the token owner derived from the table's token of
// stored's id, when that token is exactly stored (every field equal, the
// expiry to the bit) and d differs from it in its secret values only; it
// reports whether it did. It changes what is derived from a token, not the
// token: readers are kept out as for a save.
func (t *Table) Derive(owner *Owner, stored, d *zohoauth.Token) bool {
	r := t.byID[stored.ID]
	if owner == nil || r == nil || r.tok != *stored {
		return false
	}
	same := *d
	v := secretValues(&same)
	for i, p := range secretValues(stored) {
		*v[i] = *p
	}
	if same != *stored {
		return false // d differs in a value that is not secret
	}
	t.undix(r)
	for i, p := range secretValues(d) {
		r.derived[i] = *p
	}
	r.owner = owner
	if t.byDerived == nil {
		t.byDerived = new([3]map[string]*row)
	}
	for i, f := range dixFields {
		if v := r.derived[dixValue[i]]; v != "" && f.Value(&r.tok) != "" {
			if t.byDerived[i] == nil {
				t.byDerived[i] = make(map[string]*row)
			}
			t.byDerived[i][v] = r
		}
	}
	return true
}

// dixFields are the fields of Table.byDerived; dixValue their places in a
// row's derived values.
var (
	dixFields = [3]Field{FieldAccessToken, FieldGrantToken, FieldRefreshToken}
	dixValue  = [3]int{2, 3, 1}
)

// undix removes r's derived values from byDerived.
func (t *Table) undix(r *row) {
	if r.owner == nil || t.byDerived == nil {
		return
	}
	for i := range dixFields {
		v := r.derived[dixValue[i]]
		if m := t.byDerived[i]; v != "" && m[v] == r {
			delete(m, v)
		}
	}
}

// LookupByDerived returns a copy of the token owner derived whose value of
// k's field (access, grant or refresh token) is k.Value, when its stored
// token has k's client (SameClient) and no other token of the table has
// its stored value of that field; ok is false otherwise (see
// Deriver.FindByDerived).
func (t *Table) LookupByDerived(owner *Owner, k Key) (tok *zohoauth.Token, ok bool) {
	i := 0
	for i < len(dixFields) && dixFields[i] != k.Field {
		i++
	}
	if i == len(dixFields) || t.byDerived == nil || owner == nil {
		return nil, false
	}
	r := t.byDerived[i][k.Value]
	if r == nil || r.owner != owner || !SameClient(k.ClientID, r.tok.ClientID) {
		return nil, false
	}
	if x := &t.index[slot(k.Field)]; len(x.more) > 0 && len(x.more[k.Field.Value(&r.tok)]) > 0 {
		return nil, false // the stored value is shared: FindDerived picks among its tokens
	}
	return r.copyFor(owner)
}
