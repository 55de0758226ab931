package redisstore

import (
	"errors"
	"slices"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storetest"
)

// TestLifecycleKeysBesideToken checks the layout: a record is a hash of
// its own and an entry of the record set; the token's hash keeps Zoho's
// ten fields only; hostile ids touch no key; deleting the token deletes
// both in its script.
func TestLifecycleKeysBesideToken(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	tok := fullToken(1)
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	before := scanKeys(t, s.Client(), s.Prefix())
	for _, id := range []string{"../../x", "1 ; FLUSHALL", "*", "1}{"} {
		if _, err := s.UpdateLifecycle(ctx, id, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil }); !errors.Is(err, zohoauth.ErrInvalidID) {
			t.Fatalf("UpdateLifecycle(%q) = %v, want ErrInvalidID", id, err)
		}
	}
	if after := scanKeys(t, s.Client(), s.Prefix()); len(after) != len(before) {
		t.Fatalf("refused ids made keys: %v", after)
	}
	if _, err := s.UpdateLifecycle(ctx, tok.ID, func(l *zohoauth.Lifecycle) error {
		*l = storetest.FullLifecycle(tok.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	fields, err := s.Client().HKeys(ctx, s.k.token(tok.ID)).Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(fields)
	want := slices.Clone(columns[:])
	slices.Sort(want)
	if !slices.Equal(fields, want) {
		t.Fatalf("token hash fields %v, want Zoho's columns", fields)
	}
	keys := scanKeys(t, s.Client(), s.Prefix())
	if !slices.Contains(keys, s.k.life(tok.ID)) || !slices.Contains(keys, s.k.lifeIDs()) {
		t.Fatalf("keys %v lack the record and its set", keys)
	}
	if err := s.DeleteToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{s.k.life(tok.ID), s.k.lifeIDs()} {
		if n, _ := s.Client().Exists(ctx, k).Result(); n != 0 {
			t.Fatalf("key %s outlived the token's delete", k)
		}
	}
}

// TestLifecycleTokenDeletedByAnotherProgram deletes a token behind the
// store's back (a DEL of its hash and a ZREM of its id, as a program that
// does not know about lifecycle records would), which leaves its record;
// a token saved again under that id, as a migration or an operator gives
// it, must start with no record. (The raw delete leaves the token's index
// entries, which the store skips: no consistency check at the end.)
func TestLifecycleTokenDeletedByAnotherProgram(t *testing.T) {
	s := newBareStore(t)
	ctx := t.Context()
	tok := fullToken(1)
	tok.ID = "70"
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateLifecycle(ctx, tok.ID, func(l *zohoauth.Lifecycle) error {
		*l = storetest.FullLifecycle(tok.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Client().Del(ctx, s.k.token(tok.ID)).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Client().ZRem(ctx, s.k.ids(), tok.ID).Err(); err != nil {
		t.Fatal(err)
	}
	again := fullToken(2)
	again.ID = tok.ID
	if err := s.SaveToken(ctx, again); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Lifecycle(ctx, again.ID); err != nil || !l.IsZero() {
		t.Fatalf("the new token %s has the record %+v (%v), want none", again.ID, l, err)
	}
	if n, _ := s.Client().ZCard(ctx, s.k.lifeIDs()).Result(); n != 0 {
		t.Fatalf("the record set still lists %d ids", n)
	}
}
