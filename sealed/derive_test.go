package sealed_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/storekit"
)

// countingDeriver is a memory store that counts the finds that gave a
// derived token.
type countingDeriver struct {
	*memory.Store
	derived atomic.Int64
}

func (c *countingDeriver) FindDerived(ctx context.Context, o *storekit.Owner, k storekit.Key) (*zohoauth.Token, bool, error) {
	tok, d, err := c.Store.FindDerived(ctx, o, k)
	if d {
		c.derived.Add(1)
	}
	return tok, d, err
}

func (c *countingDeriver) FindDerivedByID(ctx context.Context, o *storekit.Owner, id string) (*zohoauth.Token, bool, error) {
	tok, d, err := c.Store.FindDerivedByID(ctx, o, id)
	if d {
		c.derived.Add(1)
	}
	return tok, d, err
}

func (c *countingDeriver) FindByDerived(ctx context.Context, o *storekit.Owner, k storekit.Key) (*zohoauth.Token, bool, error) {
	tok, ok, err := c.Store.FindByDerived(ctx, o, k)
	if ok {
		c.derived.Add(1)
	}
	return tok, ok, err
}

// findAll finds want by id, user name and refresh token through s and
// checks every answer is want.
func findAll(t *testing.T, s zohoauth.Store, want *zohoauth.Token) error {
	t.Helper()
	ctx := t.Context()
	for _, find := range []func() (*zohoauth.Token, error){
		func() (*zohoauth.Token, error) { return s.FindTokenByID(ctx, want.ID) },
		func() (*zohoauth.Token, error) { return s.FindToken(ctx, &zohoauth.Token{UserName: want.UserName}) },
		func() (*zohoauth.Token, error) {
			return s.FindToken(ctx, &zohoauth.Token{ClientID: want.ClientID, ClientSecret: "x", RefreshToken: want.RefreshToken})
		},
	} {
		got, err := find()
		if err != nil {
			return err
		}
		if *got != *want {
			t.Fatalf("found %+v, want %+v", got, want)
		}
	}
	return nil
}

// TestFindServesTheInnerStoresOpening: over a storekit.Deriver (the
// memory store), the opening of a token is kept beside it from the save
// on, and every find gives it without opening the token again; a value
// changed under the wrapper, a rotation, WithCacheSize(0) and RequirePlain
// each get no kept opening.
func TestFindServesTheInnerStoresOpening(t *testing.T) {
	ctx := t.Context()
	keys, path := newKeyring(t)
	inner := &countingDeriver{Store: memory.New()}
	s := sealed.New(inner, keys)
	want := secretToken(1)
	if err := s.SaveToken(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := findAll(t, s, want); err != nil {
		t.Fatal(err)
	}
	if n := inner.derived.Load(); n != 3 {
		t.Fatalf("%d of 3 finds after the save gave the kept opening", n)
	}

	// A stored value changed under the wrapper is opened again: a flipped
	// byte is an error, not the opening kept for the old value.
	good := raw(t, inner, want.ID)
	bad := good.Clone()
	b := []byte(bad.AccessToken)
	flipMiddle(b)
	bad.AccessToken = string(b)
	putRaw(t, inner, bad)
	inner.derived.Store(0)
	if err := findAll(t, s, want); !errors.Is(err, sealed.ErrDecrypt) {
		t.Fatalf("a flipped byte under the wrapper: %v, want ErrDecrypt", err)
	}
	putRaw(t, inner, good)
	if err := findAll(t, s, want); err != nil {
		t.Fatal(err)
	}
	if err := findAll(t, s, want); err != nil {
		t.Fatal(err)
	}
	// The first find of the restored token opens it; the 5 after it do not.
	if n := inner.derived.Load(); n != 5 {
		t.Fatalf("%d of 6 finds of the restored token gave the kept opening, want 5", n)
	}

	// After a rotation the openings of the old keyset are not served.
	rotate(t, path)
	if err := keys.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	inner.derived.Store(0)
	if _, err := s.FindTokenByID(ctx, want.ID); err != nil {
		t.Fatal(err)
	}
	if n := inner.derived.Load(); n != 0 {
		t.Fatal("an opening kept under the old keyset served after a rotation")
	}

	// A keyring that keeps no secrets keeps none in the store either, and
	// RequirePlain keeps none.
	nocache, _ := newKeyring(t, sealed.WithCacheSize(0))
	inner2 := &countingDeriver{Store: memory.New()}
	s2 := sealed.New(inner2, nocache)
	tok := secretToken(2)
	if err := s2.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := findAll(t, s2, tok); err != nil {
			t.Fatal(err)
		}
	}
	plain := &countingDeriver{Store: memory.New()}
	p := sealed.RequirePlain(plain)
	tok = secretToken(3)
	if err := p.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := findAll(t, p, tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := inner2.derived.Load() + plain.derived.Load(); n != 0 {
		t.Fatalf("%d finds gave a kept opening without a cache or through RequirePlain", n)
	}
}

// TestFindByPlainValueOnlyUnderOneKey: while the keyset has two keys, a
// plain value has two stored forms, and a find by refresh token takes the
// token under the primary key first, whatever the inner store derived.
// Token 1 is under the old key, token 2 (another user, the same refresh
// token, saved after the rotation) under the new one; token 1 is read after
// token 2's save, so the inner store last derived that refresh token from
// token 1.
func TestFindByPlainValueOnlyUnderOneKey(t *testing.T) {
	ctx := t.Context()
	keys, path := newKeyring(t)
	s := sealed.New(memory.New(), keys)
	one := secretToken(1)
	if err := s.SaveToken(ctx, one); err != nil {
		t.Fatal(err)
	}
	rotate(t, path)
	if err := keys.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	two := secretToken(2)
	two.RefreshToken = one.RefreshToken
	if err := s.SaveToken(ctx, two); err != nil {
		t.Fatal(err)
	}
	if two.ID == one.ID {
		t.Fatal("the second save updated the first token")
	}
	if _, err := s.FindTokenByID(ctx, one.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, err := s.FindToken(ctx, &zohoauth.Token{ClientID: one.ClientID, ClientSecret: "x", RefreshToken: one.RefreshToken})
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != two.ID {
			t.Fatalf("found token %s, want %s (its refresh token is under the primary key)", got.ID, two.ID)
		}
	}
}

// TestFindByPlainValueNotWhenUnsealing: a store being decrypted in place
// (Unseal) looks a value up in plain first: a token that holds the plain
// refresh token comes before one that holds it encrypted, whatever the
// inner store derived from the latter.
func TestFindByPlainValueNotWhenUnsealing(t *testing.T) {
	ctx := t.Context()
	keys, _ := newKeyring(t)
	inner := memory.New()
	enc := secretToken(1)
	if err := sealed.New(inner, keys).SaveToken(ctx, enc); err != nil {
		t.Fatal(err)
	}
	u := sealed.New(inner, keys, sealed.WithMode(sealed.Unseal))
	plain := secretToken(2)
	plain.RefreshToken = enc.RefreshToken
	if err := u.SaveToken(ctx, plain); err != nil {
		t.Fatal(err)
	}
	if raw(t, inner, plain.ID).RefreshToken != enc.RefreshToken {
		t.Fatal("the Unseal store did not write a plain value: the test checks nothing")
	}
	got, err := u.FindToken(ctx, &zohoauth.Token{ClientID: enc.ClientID, ClientSecret: "x", RefreshToken: enc.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != plain.ID {
		t.Fatalf("found token %s, want %s (its refresh token is plain)", got.ID, plain.ID)
	}
}

// flipMiddle changes the middle character of an encrypted value b to
// another character of the base64 alphabets ('A' or 'B'), so that the value
// stays well formed and fails to authenticate (ErrDecrypt). Flipping a bit
// of a character could make it one outside the alphabet (ErrFormat), or a
// last character with bits that must be zero.
func flipMiddle(b []byte) {
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
}
