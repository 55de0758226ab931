package sealed

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tink-crypto/tink-go/v2/tink"
	"github.com/zohoauth/zohoauth/storekit"
)

// DefaultCacheSize is the number of encryptions, and of openings of
// tokens, a Keyring remembers by default.
const DefaultCacheSize = 16384

// A Keyring is the live keyset of a process: it encrypts under the primary
// key and decrypts under any key of the keyset it last read from its
// Source. It re-reads the source before each write and when a value names
// a key it does not hold, so a fleet follows a rotation without restarts.
// It is safe for concurrent use.
//
// A Keyring remembers a bounded number of recent encryptions of look-up
// values and openings of whole tokens (AES-SIV is deterministic, so a
// value's ciphertext under a key never changes): a find of a recently seen
// token then costs no cryptography. What it remembers is dropped whole when
// the keyset changes (see WithCacheSize for the memory it holds).
type Keyring struct {
	src       Source
	cacheSize int
	mu        sync.Mutex // serializes reloads
	cur       atomic.Pointer[ring]
}

// ring is one loaded keyset, immutable but for its cache.
type ring struct {
	raw     []byte
	primary KeyID
	order   []KeyID // the primary first, then the others newest first
	prims   map[KeyID]tink.DeterministicAEAD
	enc     encCache // look-up values' stored forms
	tokens  tokCache // tokens' plain values
	// owner owns the openings of this ring that an inner store keeps
	// (storekit.Deriver); nil when the keyring remembers nothing.
	owner *storekit.Owner
}

// KeyringOption configures a Keyring.
type KeyringOption func(*Keyring)

// WithCacheSize sets how many encryptions, and how many openings of
// tokens, the keyring remembers (DefaultCacheSize by default, rounded up to
// a power of two; 0 remembers none). An opening holds the plain secrets of
// one token (and, over a SQL or Redis store, the stored values read): the
// cache keeps the secrets of up to n tokens in the process's memory, in
// clear, as long as its keyset does not change, and up to 2n when the
// tokens change or the store hands out new copies (each opening is found
// by two hashes, in two tables of n), at most 4 KiB each (a token with
// longer values is not remembered). Over the memory
// store the plain values are the caller's anyway; over any other store
// they are what the cache adds to the process's memory. Over a
// storekit.Deriver (the memory store), the openings the store keeps beside
// its tokens (one per stored token at most; see the package doc) are kept
// only when n is not 0. A process that must not keep secrets beyond a call
// sets 0, and every find then runs AES-SIV once per secret field.
func WithCacheSize(n int) KeyringOption { return func(k *Keyring) { k.cacheSize = max(n, 0) } }

// NewKeyring reads the keyset of src and returns its keyring. A missing,
// unreadable or foreign keyset is an error matching ErrKeyset.
func NewKeyring(ctx context.Context, src Source, opts ...KeyringOption) (*Keyring, error) {
	k := &Keyring{src: src, cacheSize: DefaultCacheSize}
	for _, o := range opts {
		o(k)
	}
	if _, err := k.reload(ctx, nil); err != nil {
		return nil, err
	}
	return k, nil
}

// Source returns the keyring's source.
func (k *Keyring) Source() Source { return k.src }

// Primary returns the id of the primary key of the keyset last read.
func (k *Keyring) Primary() KeyID { return k.cur.Load().primary }

// Keys returns the ids of the keyset last read, the primary first.
func (k *Keyring) Keys() []KeyID { return slices.Clone(k.cur.Load().order) }

// Reload re-reads the keyset from the source now.
func (k *Keyring) Reload(ctx context.Context) error {
	_, err := k.reload(ctx, nil)
	return err
}

// reload reads the source and installs its keyset when it changed. When
// seen is not nil and another goroutine installed a newer ring since seen
// was loaded, that ring is returned without reading again.
func (k *Keyring) reload(ctx context.Context, seen *ring) (*ring, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	cur := k.cur.Load()
	if seen != nil && cur != seen {
		return cur, nil
	}
	data, err := k.src.ReadKeyset(ctx)
	if err != nil {
		var ke *KeysetError
		if errors.As(err, &ke) {
			return nil, err
		}
		return nil, &KeysetError{Reason: "cannot read the " + k.src.String(), Err: err}
	}
	if cur != nil && bytes.Equal(cur.raw, data) {
		return cur, nil
	}
	ks, err := ParseKeyset(data)
	if err != nil {
		return nil, err
	}
	r, err := newRing(ks, data, k.cacheSize)
	if err != nil {
		return nil, err
	}
	k.cur.Store(r)
	return r, nil
}

func newRing(ks *Keyset, raw []byte, cacheSize int) (*ring, error) {
	prims, err := ks.primitives()
	if err != nil {
		return nil, err
	}
	r := &ring{raw: slices.Clone(raw), primary: ks.Primary(), prims: prims,
		enc: newEncCache(cacheSize), tokens: newTokCache(cacheSize)}
	if cacheSize > 0 {
		r.owner = storekit.NewOwner()
	}
	keys := ks.Keys()
	r.order = append(r.order, r.primary)
	for i := len(keys) - 1; i >= 0; i-- {
		if keys[i].ID != r.primary {
			r.order = append(r.order, keys[i].ID)
		}
	}
	return r, nil
}

// forWrite returns the ring to encrypt with: the keyset the source holds
// now. A source that cannot be read fails the write (fail closed: a writer
// that kept a stale keyset could write under a key already retired).
func (k *Keyring) forWrite(ctx context.Context) (*ring, error) {
	return k.reload(ctx, nil)
}

// forRead returns the ring to decrypt and look up with.
func (k *Keyring) forRead() *ring { return k.cur.Load() }

// encrypt returns the stored form of plain in field under key id.
func (r *ring) encrypt(f field, plain string, id KeyID) (string, error) {
	if v, ok := r.enc.get(f, id, plain); ok {
		return v, nil
	}
	p, ok := r.prims[id]
	if !ok {
		return "", &ValueError{Field: f.column(), KeyID: id, HasKey: true, Err: ErrUnknownKey}
	}
	raw, err := p.EncryptDeterministically([]byte(plain), f.ad())
	if err != nil {
		return "", &ValueError{Field: f.column(), KeyID: id, HasKey: true, Err: err}
	}
	v := encode(raw)
	r.enc.put(f, id, plain, v)
	return v, nil
}

// decrypt returns the plain value of the stored encrypted value v of field
// f, or a *ValueError. When the key is unknown to the ring it reports
// ErrUnknownKey (the caller reloads and retries once).
func (r *ring) decrypt(f field, v string) (string, error) {
	raw, id, err := decode(v)
	if err != nil {
		return "", &ValueError{Field: f.column(), Err: err}
	}
	p, ok := r.prims[id]
	if !ok {
		return "", &ValueError{Field: f.column(), KeyID: id, HasKey: true, Err: ErrUnknownKey}
	}
	plain, err := p.DecryptDeterministically(raw, f.ad())
	if err != nil {
		return "", &ValueError{Field: f.column(), KeyID: id, HasKey: true, Err: ErrDecrypt}
	}
	return string(plain), nil
}

// decryptWith decrypts with the ring r and, when the value names a key r
// lacks, reloads the keyset once and retries with the ring read. It
// returns the ring that decrypted.
func (k *Keyring) decryptWith(ctx context.Context, r *ring, f field, v string) (string, *ring, error) {
	plain, err := r.decrypt(f, v)
	if err == nil || !errors.Is(err, ErrUnknownKey) {
		return plain, r, err
	}
	r2, rerr := k.reload(ctx, r)
	if rerr != nil {
		return "", r, errors.Join(err, rerr)
	}
	plain, err = r2.decrypt(f, v)
	return plain, r2, err
}

// keyOf returns the key id a stored encrypted value names.
func keyOf(v string) (KeyID, bool) {
	_, id, err := decode(v)
	return id, err == nil
}
