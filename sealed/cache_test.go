package sealed

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// testRing returns the ring of a new one-key keyset that remembers n
// encryptions and openings.
func testRing(t *testing.T, n int) *ring {
	t.Helper()
	ks, err := NewKeyset()
	if err != nil {
		t.Fatal(err)
	}
	src, err := Static(ks)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeyring(context.Background(), src, WithCacheSize(n))
	if err != nil {
		t.Fatal(err)
	}
	return k.forRead()
}

// sealedFields returns the stored values of a token whose plain values are
// made of tag, and the plain values.
func sealedFields(t *testing.T, r *ring, tag string) (stored, plain tokenFields) {
	t.Helper()
	for i, f := range fields {
		plain[i] = "1000." + tag + "." + f.column()
		v, err := r.encrypt(f, plain[i], r.primary)
		if err != nil {
			t.Fatal(err)
		}
		stored[i] = v
	}
	return stored, plain
}

// TestTokenCacheChecksEveryValue asks a cache for tokens that differ from
// a remembered one in one value only: the last character of a value (the
// changed part is not hashed), an emptied value, or a value of another
// token, with the remembered entry also put where the asked token's hashes
// lead (a collision of hash and tag). Each is a miss; a cache of one set
// (every entry collides) gives each token its own plain values, never
// another's.
func TestTokenCacheChecksEveryValue(t *testing.T) {
	r := testRing(t, ways) // one set
	if n := len(r.tokens.ct.sets); n != 1 {
		t.Fatalf("cache of %d entries has %d sets, want 1", ways, n)
	}
	stored, plain := sealedFields(t, r, "mine")
	other, _ := sealedFields(t, r, "other")
	r.tokens.put(&stored, &plain)
	if got, ok := r.tokens.get(&stored); !ok || *got != plain {
		t.Fatalf("remembered token: hit %v, plain values %v", ok, got)
	}
	// Equal values at other addresses (as read from a SQL row) hit too,
	// through the hash of their content.
	var copied tokenFields
	for i, v := range stored {
		copied[i] = strings.Clone(v)
	}
	if got, ok := r.tokens.get(&copied); !ok || *got != plain {
		t.Fatalf("remembered token read again from another copy: hit %v", ok)
	}
	for i, f := range fields {
		changed := stored
		b := []byte(stored[i])
		b[len(b)-1] ^= 1
		changed[i] = string(b)
		emptied := stored
		emptied[i] = ""
		swapped := stored
		swapped[i] = other[i]
		for what, v := range map[string]tokenFields{"last character changed": changed, "emptied": emptied, "another token's": swapped} {
			e := &tokEntry{stored: stored, plain: plain}
			r.tokens.id.put(r.tokens.byIdentity(&v), e)
			r.tokens.ct.put(r.tokens.byContent(&v), e)
			if got, ok := r.tokens.get(&v); ok {
				t.Fatalf("%s %s: the cache answered %v", f.column(), what, *got)
			}
		}
	}
	// More tokens than the set holds: each answer is the token's own.
	for i := range 4 * ways {
		s, p := sealedFields(t, r, "t"+strconv.Itoa(i))
		r.tokens.put(&s, &p)
	}
	hits := 0
	for i := range 4 * ways {
		s, p := sealedFields(t, r, "t"+strconv.Itoa(i))
		got, ok := r.tokens.get(&s)
		if ok && *got != p {
			t.Fatalf("token t%d opened as %v", i, *got)
		}
		if ok {
			hits++
		}
	}
	if hits == 0 || hits > ways {
		t.Fatalf("%d of %d tokens remembered by a set of %d", hits, 4*ways, ways)
	}
}

// TestEncCacheChecksEveryPart remembers the encryption of one plain value
// in one field under one key, also where the hashes of other look-ups lead
// (a collision of hash and tag): the same plain value in another field, or
// under another key id, or another value, is a miss.
func TestEncCacheChecksEveryPart(t *testing.T) {
	r := testRing(t, ways) // one set
	const plain = "1000.refresh"
	v, err := r.encrypt(fieldRefreshToken, plain, r.primary)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := r.enc.get(fieldRefreshToken, r.primary, strings.Clone(plain)); !ok || got != v {
		t.Fatalf("remembered encryption: hit %v", ok)
	}
	e := &encEntry{f: fieldRefreshToken, id: r.primary, plain: plain, stored: v}
	for what, q := range map[string]encEntry{
		"another field":  {f: fieldAccessToken, id: r.primary, plain: plain},
		"another key id": {f: fieldRefreshToken, id: r.primary + 1, plain: plain},
		"another value":  {f: fieldRefreshToken, id: r.primary, plain: plain + "x"},
	} {
		r.enc.id.put(r.enc.byIdentity(q.f, q.id, q.plain), e)
		r.enc.ct.put(r.enc.byContent(q.f, q.id, q.plain), e)
		if got, ok := r.enc.get(q.f, q.id, q.plain); ok {
			t.Fatalf("%s: the cache answered %q", what, got)
		}
	}
}

// TestCacheSize checks the bound: each table of a cache of n holds at most
// n entries (n rounded up to a power of two), and 0 holds none.
func TestCacheSize(t *testing.T) {
	for _, tc := range []struct{ n, slots int }{{0, 0}, {1, ways}, {ways, ways}, {ways + 1, 2 * ways}, {DefaultCacheSize, DefaultCacheSize}} {
		r := testRing(t, tc.n)
		got := 0
		if r.tokens.id != nil {
			got = len(r.tokens.id.sets) * ways
			if n := len(r.tokens.ct.sets) * ways; n != got {
				t.Errorf("WithCacheSize(%d): tables of %d and %d places", tc.n, got, n)
			}
		}
		if got != tc.slots {
			t.Errorf("WithCacheSize(%d): %d places, want %d", tc.n, got, tc.slots)
		}
	}
	r := testRing(t, 0)
	s, p := sealedFields(t, r, "x")
	r.tokens.put(&s, &p)
	if _, ok := r.tokens.get(&s); ok {
		t.Fatal("a cache of size 0 remembered a token")
	}
}

// TestCacheLayout keeps a set and a remembered encryption in one cache line
// each.
func TestCacheLayout(t *testing.T) {
	if n := unsafe.Sizeof(set[tokEntry]{}); n != 64 {
		t.Errorf("a set takes %d bytes, want 64", n)
	}
	if n := unsafe.Sizeof(encEntry{}); n != 64 {
		t.Errorf("an encEntry takes %d bytes, want 64", n)
	}
}
