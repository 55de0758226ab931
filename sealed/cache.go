package sealed

import (
	"hash/maphash"
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// The caches of a ring remember recent encryptions (a look-up value's
// stored form under a key) and recent openings of whole tokens (the four
// stored values of a token and their plain values), so that a find of a
// token seen recently costs no cryptography. AES-SIV is deterministic: a
// value's stored form under one key of one keyset never changes, and one
// stored form has one plain value, so an entry never goes stale while its
// ring lives; a ring is replaced, with empty caches, whenever the keyset
// changes, so a retired key's values are never opened from memory after
// the keyring read the keyset without it.
//
// Each cache is a fixed array of sets of a few entries, read and written
// with atomic loads and stores only (no lock on the find path): an entry is
// immutable, and a look-up checks every part of its key against the entry
// found, so a stale tag or a colliding hash is a miss, never another
// token's values. When a set is full, a new entry replaces one of its
// entries. The memory is bounded by the number of entries (WithCacheSize),
// and a token whose stored values are longer than maxCachedLen together is
// not remembered. A cache of size n has two tables of n entries: an entry
// is in one or both, so at most 2n entries are alive.

// ways is the number of entries of a set.
const ways = 4

// maxCachedLen bounds the stored values of a remembered token, together,
// and the plain value of a remembered encryption.
const maxCachedLen = 4096

// hashPrefix is how much of a stored value the hash of a token reads: the
// format prefix, the key id and the synthetic IV of an encrypted value,
// which AES-SIV derives from the whole plain value.
const hashPrefix = 32

// set is one set of a cache: the tags (a part of each entry's hash, 0 when
// empty) and the entries, in one cache line of 64 bytes (the array of
// sets is large enough to start at a page).
type set[E any] struct {
	tag [ways]atomic.Uint32
	e   [ways]atomic.Pointer[E]
	_   [64 - ways*4 - ways*8]byte
}

// table is the array of sets of one cache.
type table[E any] struct {
	seed maphash.Seed
	salt uint64 // of hashes that are not maphash's
	sets []set[E]
	mask uint64
	next atomic.Uint32 // picks the entry a full set replaces
}

// newTable returns a table of at least n entries (n rounded up to a power
// of two, and to one set), or nil when n is 0.
func newTable[E any](n int) *table[E] {
	if n <= 0 {
		return nil
	}
	sets := max((n+ways-1)/ways, 1)
	sets = 1 << bits.Len(uint(sets-1))
	seed := maphash.MakeSeed()
	return &table[E]{seed: seed, salt: maphash.String(seed, "salt"), sets: make([]set[E], sets), mask: uint64(sets - 1)}
}

// locate returns the set of hash h and the tag entries of h carry.
func (t *table[E]) locate(h uint64) (*set[E], uint32) {
	return &t.sets[h&t.mask], uint32(h>>32) | 1
}

// put stores e in the set of hash h: in place of an entry of the same tag
// (the same key, most likely), else in an empty place, else in place of
// any entry.
func (t *table[E]) put(h uint64, e *E) {
	s, tag := t.locate(h)
	w := -1
	for i := range ways {
		if s.tag[i].Load() == tag {
			w = i
			break
		}
		if w < 0 && s.e[i].Load() == nil {
			w = i
		}
	}
	if w < 0 {
		w = int(t.next.Add(1) % ways)
	}
	// A reader between the two stores sees the new entry under the old tag
	// or the old entry under the new tag: either fails its check of the
	// key, a miss.
	s.e[w].Store(e)
	s.tag[w].Store(tag)
}

// encEntry is one remembered encryption: the stored form of plain in field
// f under key id.
type encEntry struct {
	f      field
	id     KeyID
	plain  string
	stored string
	_      [24]byte // 64 bytes: one cache line
}

// encCache remembers encryptions, each under the identity of its plain
// value in one table and under its content in another (see tokCache).
type encCache struct{ id, ct *table[encEntry] }

func newEncCache(n int) encCache { return encCache{newTable[encEntry](n), newTable[encEntry](n)} }

func (c encCache) byContent(f field, id KeyID, plain string) uint64 {
	return maphash.String(c.ct.seed, plain) ^ mix(uint64(f)<<32|uint64(id))
}

// byIdentity hashes the address of plain instead of its bytes: a caller
// that looks up a value this package returned (the refresh token of a
// token it found) gives the same string again. See tokCache.byIdentity.
func (c encCache) byIdentity(f field, id KeyID, plain string) uint64 {
	return mix(addr(plain) ^ uint64(len(plain))<<48 ^ uint64(f)<<40 ^ uint64(id)<<8 ^ c.id.salt)
}

// get returns the stored form of plain in field f under key id, when
// remembered: under the identity of plain, else under its content.
func (c encCache) get(f field, id KeyID, plain string) (string, bool) {
	if c.id == nil {
		return "", false
	}
	if v, ok := c.lookup(c.id, c.byIdentity(f, id, plain), f, id, plain); ok {
		return v, true
	}
	return c.lookup(c.ct, c.byContent(f, id, plain), f, id, plain)
}

func (c encCache) lookup(t *table[encEntry], h uint64, f field, id KeyID, plain string) (string, bool) {
	s, tag := t.locate(h)
	for i := range ways {
		if s.tag[i].Load() != tag {
			continue
		}
		if e := s.e[i].Load(); e != nil && e.f == f && e.id == id && e.plain == plain {
			return e.stored, true
		}
	}
	return "", false
}

// put remembers an encryption under the identity and the content of plain.
func (c encCache) put(f field, id KeyID, plain, stored string) {
	if c.id == nil || len(plain) > maxCachedLen {
		return
	}
	e := &encEntry{f: f, id: id, plain: plain, stored: stored}
	c.id.put(c.byIdentity(f, id, plain), e)
	c.ct.put(c.byContent(f, id, plain), e)
}

// tokEntry is one remembered opening of a token: the stored values of its
// secret fields (in the order of fields, "" for an empty field), every one
// of them encrypted, and their plain values.
type tokEntry struct {
	stored [len(fields)]string
	plain  [len(fields)]string
}

// tokCache remembers openings of tokens, each under the identity of its
// stored values in one table (a memory store hands out the same strings on
// every find) and under their content in another (a SQL or Redis store
// reads new strings on every find). Two tables, so that the identities of
// strings no find will give again (every opening over a SQL store) take no
// place from the contents.
type tokCache struct{ id, ct *table[tokEntry] }

func newTokCache(n int) tokCache { return tokCache{newTable[tokEntry](n), newTable[tokEntry](n)} }

// tokenFields are the stored values of a token's secret fields, in the
// order of fields.
type tokenFields = [len(fields)]string

// anchor returns the value of v a token's hash reads: the refresh token
// (the client secret, first in the order of fields, is shared by the
// tokens of a client), else the first value that is not empty.
func anchor(v *tokenFields) string {
	a := v[1] // refresh_token
	for i := 0; a == "" && i < len(v); i++ {
		a = v[(i+2)%len(v)]
	}
	return a
}

// byContent returns the hash of a prefix of v's anchor: the format
// prefix, key id and synthetic IV of an encrypted value, which AES-SIV
// derives from the whole plain value.
func (c tokCache) byContent(v *tokenFields) uint64 {
	a := anchor(v)
	return maphash.String(c.ct.seed, a[:min(len(a), hashPrefix)])
}

// byIdentity returns the hash of the address and length of v's anchor,
// which a store that hands out copies of its own tokens (the memory store)
// gives again on every find: a look-up that reads no byte of the values.
// An entry holds its stored values, so their memory is not reused while
// the entry lives; and a hit still compares all the values (equal
// addresses compare at once).
func (c tokCache) byIdentity(v *tokenFields) uint64 {
	a := anchor(v)
	return mix(addr(a) ^ uint64(len(a))<<48 ^ c.id.salt)
}

// addr returns the address of the bytes of s, as a number: it is hashed,
// never followed.
func addr(s string) uint64 { return uint64(uintptr(unsafe.Pointer(unsafe.StringData(s)))) }

// mix is the finalizer of splitmix64: every bit of x moves every bit of
// the result.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// get returns the plain values of the stored values v, when remembered:
// under the identity of v's anchor, else under its content.
func (c tokCache) get(v *tokenFields) (*tokenFields, bool) {
	if c.id == nil {
		return nil, false
	}
	if p, ok := c.lookup(c.id, c.byIdentity(v), v); ok {
		return p, true
	}
	return c.lookup(c.ct, c.byContent(v), v)
}

func (c tokCache) lookup(t *table[tokEntry], h uint64, v *tokenFields) (*tokenFields, bool) {
	s, tag := t.locate(h)
	for i := range ways {
		if s.tag[i].Load() != tag {
			continue
		}
		if e := s.e[i].Load(); e != nil && e.stored == *v {
			return &e.plain, true
		}
	}
	return nil, false
}

// put remembers that the stored values v open to plain, under their
// identity and under their content.
// Every value of v that is not empty must be encrypted.
func (c tokCache) put(v, plain *tokenFields) {
	if c.id == nil {
		return
	}
	n := 0
	for _, s := range v {
		n += len(s)
	}
	if n == 0 || n > maxCachedLen {
		return
	}
	e := &tokEntry{stored: *v, plain: *plain}
	c.id.put(c.byIdentity(v), e)
	c.ct.put(c.byContent(v), e)
}
