package sealed

import (
	"context"
	"errors"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// Mode says how a Store treats plain values.
type Mode uint8

const (
	// Strict encrypts every write and refuses to read a plain value
	// (ErrPlainValue): the mode of a store that is fully encrypted.
	Strict Mode = iota
	// Migrate encrypts every write and reads plain values as they are, and
	// look-ups try the plain value after the keys: the mode of a store being
	// encrypted in place (Rekey encrypts what is still plain).
	Migrate
	// Unseal writes plain values and reads both, and look-ups try the plain
	// value first: the mode of a store being decrypted in place (Rekey
	// decrypts what is still encrypted).
	Unseal
	// plainOnly writes and reads plain values and refuses encrypted ones
	// (ErrSealedValue); see RequirePlain.
	plainOnly
)

// Option configures a Store.
type Option func(*Store)

// WithMode sets how the store treats plain values (Strict by default).
func WithMode(m Mode) Option { return func(s *Store) { s.mode = m } }

// Store is a zohoauth.Store that encrypts the secret fields of the tokens it
// saves into an inner store and decrypts them on the way out. New returns it
// inside a value that also has exactly the optional capabilities of the
// inner store; Of finds it again.
type Store struct {
	inner zohoauth.Store
	keys  *Keyring
	mode  Mode
	// der is the inner store as a storekit.Deriver, when it is one: it
	// keeps each token this store opened beside the stored token, under the
	// owner of the ring that opened it, until the stored token changes.
	der storekit.Deriver
}

// New returns a store that keeps the client secret, grant token, refresh
// token and access token of its tokens encrypted in inner, under the
// primary key of keys. The value returned is a zohoauth.Locker,
// CompareAndSwapper, BatchSaver, Pager or LifecycleKeeper exactly when
// inner is one (lifecycle records pass through as they are: they hold no
// secret).
func New(inner zohoauth.Store, keys *Keyring, opts ...Option) zohoauth.Store {
	s := &Store{inner: inner, keys: keys}
	s.der, _ = inner.(storekit.Deriver)
	for _, o := range opts {
		o(s)
	}
	if s.mode == plainOnly {
		s.mode = Strict
	}
	return s.wrap()
}

// RequirePlain returns a store over inner that passes plain values through
// and refuses every encrypted value it meets, on reads and writes, with an
// error matching ErrSealedValue: what a program without a keyset uses so
// that it never hands a ciphertext to Zoho as a token. It has the
// capabilities of inner, as New's value does.
func RequirePlain(inner zohoauth.Store) zohoauth.Store {
	return (&Store{inner: inner, mode: plainOnly}).wrap()
}

// Of returns the *Store inside a value New or RequirePlain returned.
func Of(s zohoauth.Store) (*Store, bool) {
	if b, ok := storekit.Base(s); ok {
		s = b
	}
	w, ok := s.(interface{ sealed() *Store })
	if !ok {
		return nil, false
	}
	return w.sealed(), true
}

func (s *Store) sealed() *Store { return s }

// Inner returns the store that holds the encrypted values.
func (s *Store) Inner() zohoauth.Store { return s.inner }

// Keyring returns the store's keyring (nil for RequirePlain).
func (s *Store) Keyring() *Keyring { return s.keys }

// Mode returns how the store treats plain values.
func (s *Store) Mode() Mode { return s.mode }

func readErr(err error) error  { return storekit.StoreError("sealed: cannot read a stored token", err) }
func writeErr(err error) error { return storekit.StoreError("sealed: cannot write a token", err) }

// writesPlain reports whether the store writes plain values.
func (s *Store) writesPlain() bool { return s.mode == Unseal || s.mode == plainOnly }

// seal returns a copy of t with its secret fields in stored form. *r is
// the ring of the write: nil until seal reads the keyset (forWrite) for
// the first value to encrypt, so that the tokens of one batch share one
// read of the source.
func (s *Store) seal(ctx context.Context, t *zohoauth.Token, r **ring) (*zohoauth.Token, error) {
	out := t.Clone()
	for _, f := range fields {
		p := f.ptr(out)
		if *p == "" {
			continue
		}
		if s.writesPlain() {
			if IsSealed(*p) {
				return nil, &ValueError{Field: f.column(), TokenID: t.ID, Err: ErrSealedValue}
			}
			continue
		}
		if *r == nil {
			w, err := s.keys.forWrite(ctx)
			if err != nil {
				return nil, err
			}
			*r = w
		}
		v, err := (*r).encrypt(f, *p, (*r).primary)
		if err != nil {
			return nil, err
		}
		*p = v
	}
	return out, nil
}

// open turns the secret fields of a stored token into plain values, in
// place. A token the ring opened recently costs one look-up in its cache.
// known, when not nil, holds plain values the caller knows for some fields
// (a find's query value, a save's own values): one is taken without a
// decryption when the stored value is a form of it (knownForm).
//
// It returns the ring whose opening t is, when every value was encrypted
// and opened by that ring (what the ring's cache and a Deriver may
// remember), else nil.
func (s *Store) open(ctx context.Context, t *zohoauth.Token, known *zohoauth.Token) (*ring, error) {
	var r *ring
	if s.mode != plainOnly {
		r = s.keys.forRead()
	}
	var stored tokenFields
	for i, f := range fields {
		stored[i] = *f.ptr(t)
	}
	if r != nil {
		if plain, ok := r.tokens.get(&stored); ok {
			for i, f := range fields {
				*f.ptr(t) = plain[i]
			}
			return r, nil
		}
	}
	// The opening is remembered when every value is encrypted and r opened
	// them all (not a newer ring, after a reload on an unknown key).
	remember := r != nil
	var plain tokenFields
	for i, f := range fields {
		v := stored[i]
		if v == "" {
			continue
		}
		if !IsSealed(v) {
			remember = false
		}
		if known != nil {
			if k := *f.ptr(known); k != "" && s.knownForm(r, f, k, v) {
				plain[i] = k
				continue
			}
		}
		p, by, err := s.openWith(ctx, r, f, t.ID, v)
		if err != nil {
			return nil, err
		}
		if by != r {
			remember = false
		}
		plain[i] = p
	}
	if remember {
		r.tokens.put(&stored, &plain)
	}
	for i, f := range fields {
		*f.ptr(t) = plain[i]
	}
	if !remember {
		return nil, nil
	}
	return r, nil
}

// derive gives the inner store, when it is a Deriver, the opening t of the
// stored token stored (nil: none to give), made by the ring r (nil: an
// opening not to keep).
func (s *Store) derive(r *ring, stored, t *zohoauth.Token) {
	if s.der != nil && stored != nil && r != nil && r.owner != nil {
		s.der.Derive(r.owner, stored, t)
	}
}

// owner returns the owner of the openings the inner store keeps for the
// ring read now, or nil when it keeps none (no Deriver, no cache, or
// RequirePlain).
func (s *Store) owner() *storekit.Owner {
	o, _ := s.ownerOf()
	return o
}

// ownerOf is owner that also reports whether the inner store may be asked
// by a plain value (Deriver.FindByDerived): when the store reads under one
// key only (Strict, and a keyset of one key), every plain value has one
// stored form and every stored form one plain value.
func (s *Store) ownerOf() (o *storekit.Owner, byPlain bool) {
	if s.der == nil || s.mode == plainOnly {
		return nil, false
	}
	r := s.keys.forRead()
	return r.owner, r.owner != nil && s.mode == Strict && len(r.order) == 1
}

// knownForm reports whether the stored value v of field f is a form of the
// plain value k that the store reads as k: k itself where plain values are
// read, or k's encryption under the key v names (which the ring's cache of
// encryptions answers after the find or save that made it).
func (s *Store) knownForm(r *ring, f field, k, v string) bool {
	if !IsSealed(v) {
		return s.mode != Strict && v == k
	}
	if r == nil {
		return false
	}
	id, ok := keyIDOf(v)
	if !ok {
		return false
	}
	c, err := r.encrypt(f, k, id)
	return err == nil && c == v
}

// openValue returns the plain value of the stored value v of field f of
// token id.
func (s *Store) openValue(ctx context.Context, f field, id, v string) (string, error) {
	var r *ring
	if s.mode != plainOnly {
		r = s.keys.forRead()
	}
	p, _, err := s.openWith(ctx, r, f, id, v)
	return p, err
}

// openWith is openValue with the ring r (nil for RequirePlain); it also
// returns the ring that decrypted v, which is another than r when v named a
// key r lacks and the keyring reloaded.
func (s *Store) openWith(ctx context.Context, r *ring, f field, id, v string) (string, *ring, error) {
	if !IsSealed(v) {
		if s.mode == Strict {
			return "", r, &ValueError{Field: f.column(), TokenID: id, Err: ErrPlainValue}
		}
		return v, r, nil
	}
	if s.mode == plainOnly {
		ve := &ValueError{Field: f.column(), TokenID: id, Err: ErrSealedValue}
		if kid, ok := keyOf(v); ok {
			ve.KeyID, ve.HasKey = kid, true
		}
		return "", r, ve
	}
	plain, by, err := s.keys.decryptWith(ctx, r, f, v)
	if err != nil {
		var ve *ValueError
		if errors.As(err, &ve) {
			ve.TokenID = id
		}
		return "", by, err
	}
	return plain, by, nil
}

// candidates returns the stored forms a look-up of value v in field f
// tries, in order: under the primary key, then under the older keys, with
// the plain value last (Migrate) or first (Unseal), or alone (RequirePlain).
func (s *Store) candidates(dst []string, f field, v string) ([]string, error) {
	if s.mode == plainOnly {
		return append(dst, v), nil
	}
	if s.mode == Unseal {
		dst = append(dst, v)
	}
	r := s.keys.forRead()
	for _, id := range r.order {
		c, err := r.encrypt(f, v, id)
		if err != nil {
			return nil, err
		}
		dst = append(dst, c)
	}
	if s.mode == Migrate {
		dst = append(dst, v)
	}
	return dst, nil
}

// hit is what a look-up by a secret key matched: the field and the plain
// value asked for.
type hit struct {
	f     field
	plain string
}

// find returns the stored token (as stored) matching t, and what a secret
// key matched. When a look-up by a secret key finds nothing, the keyring
// re-reads its source, and when the keyset changed (a key promoted
// elsewhere, under which another process wrote the value) the look-up runs
// once more.
//
// The token returned is the inner store's copy of the stored token, or,
// with derived true, the opening of it the inner store kept (see
// storekit.Deriver), to be returned as it is.
func (s *Store) find(ctx context.Context, t *zohoauth.Token) (got *zohoauth.Token, h hit, derived bool, err error) {
	var r *ring
	if s.keys != nil {
		r = s.keys.forRead()
	}
	got, h, derived, secret, err := s.findOnce(ctx, t)
	if err == nil || !secret || !errors.Is(err, zohoauth.ErrNotFound) || s.mode == plainOnly {
		return got, h, derived, err
	}
	if r2, rerr := s.keys.reload(ctx, r); rerr != nil || r2 == r {
		return nil, hit{}, false, err
	}
	got, h, derived, _, err = s.findOnce(ctx, t)
	return got, h, derived, err
}

// findOnce is one look-up of find; secret reports whether a secret key was
// tried.
func (s *Store) findOnce(ctx context.Context, t *zohoauth.Token) (got *zohoauth.Token, h hit, derived, secret bool, err error) {
	var kbuf [2]storekit.Key
	keys := storekit.FindKeys(kbuf[:0], t)
	if len(keys) == 0 {
		got, err := s.inner.FindToken(ctx, &zohoauth.Token{})
		return got, hit{}, false, false, err
	}
	owner, byPlain := s.ownerOf()
	// ask finds the stored token of one key with value v.
	ask := func(k storekit.Key, v string) (*zohoauth.Token, bool, error) {
		if owner != nil {
			k.Value = v
			return s.der.FindDerived(ctx, owner, k)
		}
		got, err := s.inner.FindToken(ctx, query(k, v))
		return got, false, err
	}
	if _, secret := secretOf(keys[0].Field); !secret && len(keys) == 1 {
		// One plain key (user name or id): the inner store computes the
		// same key from t, so t is asked as it is.
		if owner != nil {
			got, derived, err := s.der.FindDerived(ctx, owner, keys[0])
			return got, hit{}, derived, false, err
		}
		got, err := s.inner.FindToken(ctx, t)
		return got, hit{}, false, false, err
	}
	tried := false
	var last error
	var cbuf [4]string
	for _, k := range keys {
		f, secret := secretOf(k.Field)
		if !secret {
			got, derived, err := ask(k, k.Value)
			if err == nil || !errors.Is(err, zohoauth.ErrNotFound) {
				return got, hit{}, derived, tried, err
			}
			last = err
			continue
		}
		if byPlain {
			// The inner store may know the token by the plain value: it
			// then answers as it would for the value's one stored form.
			got, ok, err := s.der.FindByDerived(ctx, owner, k)
			if ok || err != nil {
				return got, hit{}, ok, true, err
			}
		}
		cands, err := s.candidates(cbuf[:0], f, k.Value)
		if err != nil {
			return nil, hit{}, false, tried, readErr(err)
		}
		tried = true
		for _, c := range cands {
			got, derived, err := ask(k, c)
			if err == nil || !errors.Is(err, zohoauth.ErrNotFound) {
				return got, hit{f: f, plain: k.Value}, derived, tried, err
			}
			last = err
		}
	}
	return nil, hit{}, false, tried, last
}

// FindToken returns the stored token that matches t, decrypted. The secret
// look-up keys are tried in their stored forms under the primary key first,
// then under the older keys (see Mode for plain values).
func (s *Store) FindToken(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	got, h, derived, err := s.find(ctx, t)
	if err != nil {
		return nil, err
	}
	if derived {
		return got, nil
	}
	// The field a secret key matched holds a stored form of the caller's
	// value: it is not decrypted again (open checks it is that value's
	// form). RequirePlain checks every value it returns.
	var known *zohoauth.Token
	if h.f != 0 && s.mode != plainOnly {
		known = &zohoauth.Token{}
		*h.f.ptr(known) = h.plain
	}
	return s.openFound(ctx, got, known)
}

// openFound opens the token got a find read from the inner store, and
// gives the opening to the inner store when it is a Deriver.
func (s *Store) openFound(ctx context.Context, got, known *zohoauth.Token) (*zohoauth.Token, error) {
	stored := s.storedCopy(got)
	r, err := s.open(ctx, got, known)
	if err != nil {
		return nil, readErr(err)
	}
	s.derive(r, stored, got)
	return got, nil
}

// storedCopy returns a copy of the stored token t for derive, or nil when
// the inner store keeps no openings (no copy is made then).
func (s *Store) storedCopy(t *zohoauth.Token) *zohoauth.Token {
	if s.owner() == nil {
		return nil
	}
	return t.Clone()
}

// FindTokenByID returns the token with the given id, decrypted.
func (s *Store) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	if owner := s.owner(); owner != nil {
		got, derived, err := s.der.FindDerivedByID(ctx, owner, id)
		if err != nil || derived {
			return got, err
		}
		return s.openFound(ctx, got, nil)
	}
	got, err := s.inner.FindTokenByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.openFound(ctx, got, nil)
}

// Tokens returns every stored token, decrypted.
func (s *Store) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	all, err := s.inner.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	return s.openAll(ctx, all)
}

func (s *Store) openAll(ctx context.Context, list []*zohoauth.Token) ([]*zohoauth.Token, error) {
	for _, t := range list {
		if _, err := s.open(ctx, t, nil); err != nil {
			return nil, readErr(err)
		}
	}
	return list, nil
}

// prepare returns the stored form of t for a save. When t has no id and is
// found by a secret key whose stored form is not the one a write uses now
// (a value under an older key, or plain), the stored token's id is set on
// the copy, so that the save updates that token rather than insert another.
// r is the ring of the write, as for seal.
func (s *Store) prepare(ctx context.Context, t *zohoauth.Token, r **ring) (*zohoauth.Token, error) {
	enc, err := s.seal(ctx, t, r)
	if err != nil {
		return nil, err
	}
	if t.ID != "" || s.mode == plainOnly || t.UserName != "" {
		return enc, nil
	}
	var kbuf [2]storekit.Key
	keys := storekit.SaveKeys(kbuf[:0], t)
	if len(keys) == 0 {
		return enc, nil
	}
	if _, secret := secretOf(keys[0].Field); !secret {
		return enc, nil
	}
	if r := s.keys.forRead(); len(r.order) == 1 && s.mode == Strict {
		return enc, nil // one stored form only: the inner store's own look-up is exact
	}
	got, _, _, err := s.find(ctx, t)
	switch {
	case errors.Is(err, zohoauth.ErrNotFound):
		return enc, nil
	case err != nil:
		return nil, err
	}
	enc.ID = got.ID
	return enc, nil
}

// SaveToken encrypts t's secret fields and saves it into the inner store.
// On success t is updated to the stored value, decrypted.
func (s *Store) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	var r *ring
	enc, err := s.prepare(ctx, t, &r)
	if err != nil {
		return writeErr(err)
	}
	if err := s.inner.SaveToken(ctx, enc); err != nil {
		return err
	}
	return s.finish(ctx, t, enc)
}

// finish updates t to the stored value enc, decrypted (settle).
func (s *Store) finish(ctx context.Context, t, enc *zohoauth.Token) error {
	if err := s.settle(ctx, t, enc); err != nil {
		return err
	}
	*t = *enc
	return nil
}

// settle decrypts enc, the stored value of the save of t, in place (t's
// plain values spare the decryption of the fields the save wrote). When
// the inner store is a Deriver, it keeps the opening for the next finds.
func (s *Store) settle(ctx context.Context, t, enc *zohoauth.Token) error {
	stored := s.storedCopy(enc)
	r, err := s.open(ctx, enc, t)
	if err != nil {
		return storekit.StoreError("sealed: token saved, but a stored field it kept does not decrypt", err)
	}
	s.derive(r, stored, enc)
	return nil
}

// DeleteToken deletes the token with the given id.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	return s.inner.DeleteToken(ctx, id)
}

// DeleteTokens deletes every stored token.
func (s *Store) DeleteTokens(ctx context.Context) error { return s.inner.DeleteTokens(ctx) }

func (s *Store) lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	return s.inner.(zohoauth.Locker).Lock(ctx, name, lease)
}

func (s *Store) swap(ctx context.Context, old, t *zohoauth.Token) error {
	cas := s.inner.(zohoauth.CompareAndSwapper)
	var r *ring
	enc, err := s.seal(ctx, t, &r)
	if err != nil {
		return writeErr(err)
	}
	// The stored access token may be under any key (or plain): the guard
	// is tried with each stored form, each attempt exact and atomic.
	var cbuf [4]string
	olds := append(cbuf[:0], "")
	if old.AccessToken != "" {
		if olds, err = s.candidates(cbuf[:0], fieldAccessToken, old.AccessToken); err != nil {
			return writeErr(err)
		}
	}
	// A refresh changes the access token and expiry alone. Its guard then
	// carries the stored forms of the other secret fields too, those of
	// enc: the forms the row holds when it was written under the primary
	// key. A store that can swap a refresh in one statement when the row
	// is the guard in every column (sqlstore) then does; a row in other
	// forms fails that comparison and goes the usual way. Stores compare
	// only the guard's access token and expiry otherwise.
	refresh := sameBesidesAccess(old, t)
	for attempt := 0; ; attempt++ {
		for _, c := range olds {
			o := old.Clone()
			if refresh {
				for _, f := range fields {
					*f.ptr(o) = *f.ptr(enc)
				}
			}
			o.AccessToken = c
			out := enc.Clone()
			err = cas.SwapToken(ctx, o, out)
			if err == nil {
				return s.finish(ctx, t, out)
			}
			if !errors.Is(err, zohoauth.ErrStale) {
				return err
			}
		}
		// Every form was stale when tried, but the token may only have been
		// re-encrypted (Rekey in another process) between two attempts:
		// when its stored access token still opens to old's, the guard is
		// tried again with that exact stored form.
		if attempt+1 == maxAttempts {
			return err
		}
		cur, rerr := s.inner.FindTokenByID(ctx, old.ID)
		if rerr != nil || cur.AccessToken == "" {
			return err
		}
		if len(olds) == 1 && olds[0] == cur.AccessToken {
			return err // that exact form was stale: the expiry changed
		}
		if plain, oerr := s.openValue(ctx, fieldAccessToken, cur.ID, cur.AccessToken); oerr != nil || plain != old.AccessToken {
			return err
		}
		olds = append(cbuf[:0], cur.AccessToken)
	}
}

func (s *Store) saveTokens(ctx context.Context, tokens []*zohoauth.Token) error {
	// One write: the keyset is read once for the batch.
	var r *ring
	encs := make([]*zohoauth.Token, len(tokens))
	for i, t := range tokens {
		enc, err := s.prepare(ctx, t, &r)
		if err != nil {
			return writeErr(err)
		}
		encs[i] = enc
	}
	if err := s.inner.(zohoauth.BatchSaver).SaveTokens(ctx, encs); err != nil {
		return err
	}
	// The tokens change only once every one has settled.
	for i, t := range tokens {
		if err := s.settle(ctx, t, encs[i]); err != nil {
			return err
		}
	}
	for i, t := range tokens {
		*t = *encs[i]
	}
	return nil
}

func (s *Store) tokensAfter(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	page, err := s.inner.(zohoauth.Pager).TokensAfter(ctx, after, limit)
	if err != nil && len(page) == 0 {
		return nil, err
	}
	if _, oerr := s.openAll(ctx, page); oerr != nil {
		return nil, oerr
	}
	return page, err
}

// sameBesidesAccess reports whether t, a save over old, changes nothing of
// old but its access token and expiry (a refresh).
func sameBesidesAccess(old, t *zohoauth.Token) bool {
	a, b := *old, *t
	a.AccessToken, b.AccessToken = "", ""
	a.Expiry, b.Expiry = time.Time{}, time.Time{}
	if b.ID == "" {
		b.ID = a.ID
	}
	return a == b
}
