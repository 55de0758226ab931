package sealed

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/tink-crypto/tink-go/v2/tink"
)

// DefaultCacheSize is the number of encryptions and decryptions a Keyring
// remembers by default.
const DefaultCacheSize = 8192

// A Keyring is the live keyset of a process: it encrypts under the primary
// key and decrypts under any key of the keyset it last read from its
// Source. It re-reads the source before each write and when a value names
// a key it does not hold, so a fleet follows a rotation without restarts.
// It is safe for concurrent use.
//
// A Keyring remembers up to a bounded number of recent encryptions and
// decryptions (AES-SIV is deterministic, so a value's ciphertext under a
// key never changes): a look-up of a recently seen token then costs no
// cryptography. The memory holds what the process handles anyway, keyed by
// field and key id, and is dropped whole when the keyset changes.
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
	cache   *cache
}

// KeyringOption configures a Keyring.
type KeyringOption func(*Keyring)

// WithCacheSize sets how many encryptions and decryptions the keyring
// remembers (DefaultCacheSize by default; 0 remembers none).
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
	r := &ring{raw: slices.Clone(raw), primary: ks.Primary(), prims: prims, cache: newCache(cacheSize)}
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
	if v, ok := r.cache.getEnc(f, id, plain); ok {
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
	r.cache.putEnc(f, id, plain, v)
	r.cache.putDec(f, v, plain)
	return v, nil
}

// decrypt returns the plain value of the stored encrypted value v of field
// f, or a *ValueError. When the key is unknown to the ring it reports
// ErrUnknownKey (the caller reloads and retries once).
func (r *ring) decrypt(f field, v string) (string, error) {
	if p, ok := r.cache.getDec(f, v); ok {
		return p, nil
	}
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
	s := string(plain)
	r.cache.putDec(f, v, s)
	return s, nil
}

// decrypt decrypts with the current ring and, when the value names a key the
// ring lacks, reloads the keyset once and retries.
func (k *Keyring) decrypt(ctx context.Context, f field, v string) (string, error) {
	r := k.forRead()
	plain, err := r.decrypt(f, v)
	if err == nil || !errors.Is(err, ErrUnknownKey) {
		return plain, err
	}
	r2, rerr := k.reload(ctx, r)
	if rerr != nil {
		return "", errors.Join(err, rerr)
	}
	return r2.decrypt(f, v)
}

// keyOf returns the key id a stored encrypted value names.
func keyOf(v string) (KeyID, bool) {
	_, id, err := decode(v)
	return id, err == nil
}

// cache remembers encryptions and decryptions, up to max entries each,
// evicting an arbitrary entry when full.
type cache struct {
	max int
	mu  sync.RWMutex
	enc map[string]string // field, key id, plain → stored
	dec map[string]string // field, stored → plain
}

func newCache(n int) *cache {
	return &cache{max: n, enc: make(map[string]string), dec: make(map[string]string)}
}

func encKey(buf []byte, f field, id KeyID, plain string) []byte {
	buf = append(buf, byte(f), byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	return append(buf, plain...)
}

func decKey(buf []byte, f field, v string) []byte {
	return append(append(buf, byte(f)), v...)
}

func (c *cache) getEnc(f field, id KeyID, plain string) (string, bool) {
	if c.max == 0 {
		return "", false
	}
	var buf [160]byte
	k := encKey(buf[:0], f, id, plain)
	c.mu.RLock()
	v, ok := c.enc[string(k)]
	c.mu.RUnlock()
	return v, ok
}

func (c *cache) getDec(f field, v string) (string, bool) {
	if c.max == 0 {
		return "", false
	}
	var buf [256]byte
	k := decKey(buf[:0], f, v)
	c.mu.RLock()
	p, ok := c.dec[string(k)]
	c.mu.RUnlock()
	return p, ok
}

func (c *cache) putEnc(f field, id KeyID, plain, v string) {
	if c.max == 0 {
		return
	}
	c.put(c.enc, string(encKey(nil, f, id, plain)), v)
}

func (c *cache) putDec(f field, v, plain string) {
	if c.max == 0 {
		return
	}
	c.put(c.dec, string(decKey(nil, f, v)), plain)
}

func (c *cache) put(m map[string]string, k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := m[k]; !ok && len(m) >= c.max {
		for old := range m {
			delete(m, old)
			break
		}
	}
	m[k] = v
}
