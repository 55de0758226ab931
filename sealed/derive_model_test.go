package sealed_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/storekit"
)

// TestDerivedFindsAgreeWithOpening runs random saves, changes under the
// wrapper (a ciphertext copied from another row, a flipped byte, a token
// put back as it was), deletes, rotations and rekeys on one memory store,
// and after each step finds every token by id, user name, refresh token
// (with and without its client) and access token through two wrappers: one
// whose inner store keeps its openings (storekit.Deriver) and one with
// WithCacheSize(0), which opens every value it reads. Both must give the
// same token or an error of the same kind at every find.
func TestDerivedFindsAgreeWithOpening(t *testing.T) {
	ctx := t.Context()
	keys, path := newKeyring(t)
	plainKeys, err := sealed.NewKeyring(ctx, sealed.File(path), sealed.WithCacheSize(0))
	if err != nil {
		t.Fatal(err)
	}
	inner := memory.New()
	kept := sealed.New(inner, keys)
	opened := sealed.New(inner, plainKeys)
	r := rand.New(rand.NewPCG(11, 17))
	const n = 6
	var toks []*zohoauth.Token
	for i := range n {
		tok := secretToken(i + 1)
		if i%3 == 2 {
			tok.RefreshToken = toks[i-1].RefreshToken // the same refresh token, another user
			tok.ClientID = toks[i-1].ClientID + map[bool]string{true: "", false: "-2"}[i%2 == 0]
		}
		if err := kept.SaveToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok.Clone())
	}
	kinds := []error{zohoauth.ErrNotFound, sealed.ErrDecrypt, sealed.ErrUnknownKey, sealed.ErrFormat, storekit.ErrAmbiguous, zohoauth.ErrConflict}
	kind := func(err error) string {
		for _, k := range kinds {
			if errors.Is(err, k) {
				return k.Error()
			}
		}
		return fmt.Sprint(err)
	}
	compare := func(step int, what string, find func(s zohoauth.Store) (*zohoauth.Token, error)) {
		t.Helper()
		// The opening wrapper first: the other's find must not depend on
		// having been asked first.
		want, werr := find(opened)
		got, gerr := find(kept)
		if (werr != nil) != (gerr != nil) || (werr != nil && kind(werr) != kind(gerr)) {
			t.Fatalf("step %d, %s: kept %v, opened %v", step, what, gerr, werr)
		}
		if werr == nil && *got != *want {
			t.Fatalf("step %d, %s: kept %+v, opened %+v", step, what, got, want)
		}
	}
	var old sealed.KeyID
	for step := range 600 {
		i := r.IntN(n)
		tok := toks[i]
		switch op := r.IntN(6); {
		case op < 3: // a refresh: a new access token
			upd := &zohoauth.Token{ID: tok.ID, AccessToken: fmt.Sprintf("1000.access.%d.%d", step, i)}
			if err := kept.SaveToken(ctx, upd); err == nil {
				tok.AccessToken = upd.AccessToken
			}
		case op == 3: // a refresh token copied from another row under the wrapper
			if from, err := inner.FindTokenByID(ctx, toks[r.IntN(n)].ID); err == nil {
				if cur, err := inner.FindTokenByID(ctx, tok.ID); err == nil {
					cur.RefreshToken = from.RefreshToken
					putRawErr(t, inner, cur)
				}
			}
		case op == 4: // a flipped byte under the wrapper
			if cur, err := inner.FindTokenByID(ctx, tok.ID); err == nil && cur.AccessToken != "" {
				b := []byte(cur.AccessToken)
				flipMiddle(b)
				cur.AccessToken = string(b)
				putRawErr(t, inner, cur)
			}
		case op == 5: // the token put back through the wrapper as it was
			_ = inner.DeleteToken(ctx, tok.ID)
			if err := kept.SaveToken(ctx, tok.Clone()); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
		// A rotation at step 150, every value under the new key at 250
		// (what does not decrypt is put back first), the old key retired
		// at 300 (one key again), and a rotation at 450 that stays.
		switch step {
		case 150, 450:
			old, _ = rotate(t, path)
			reload(t, keys, plainKeys)
		case 250:
			for _, w := range toks {
				_ = inner.DeleteToken(ctx, w.ID)
				if err := kept.SaveToken(ctx, w.Clone()); err != nil {
					t.Fatal(err)
				}
			}
			ss, _ := sealed.Of(kept)
			if _, err := ss.Rekey(ctx, sealed.RekeyOptions{}); err != nil {
				t.Fatalf("rekey: %v", err)
			}
		case 300:
			ks, err := sealed.ReadKeysetFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ss, _ := sealed.Of(kept)
			if err := sealed.Retire(ctx, ss, ks, old); err != nil {
				t.Fatal(err)
			}
			if err := ks.WriteFile(path); err != nil {
				t.Fatal(err)
			}
			reload(t, keys, plainKeys)
		}
		for _, w := range toks {
			compare(step, "by id "+w.ID, func(s zohoauth.Store) (*zohoauth.Token, error) { return s.FindTokenByID(ctx, w.ID) })
			compare(step, "by user of "+w.ID, func(s zohoauth.Store) (*zohoauth.Token, error) {
				return s.FindToken(ctx, &zohoauth.Token{UserName: w.UserName})
			})
			compare(step, "by refresh token of "+w.ID, func(s zohoauth.Store) (*zohoauth.Token, error) {
				return s.FindToken(ctx, &zohoauth.Token{ClientID: w.ClientID, ClientSecret: "x", RefreshToken: w.RefreshToken})
			})
			compare(step, "by refresh token of "+w.ID+" without client", func(s zohoauth.Store) (*zohoauth.Token, error) {
				return s.FindToken(ctx, &zohoauth.Token{RefreshToken: w.RefreshToken})
			})
			compare(step, "by access token of "+w.ID, func(s zohoauth.Store) (*zohoauth.Token, error) {
				return s.FindToken(ctx, &zohoauth.Token{AccessToken: w.AccessToken})
			})
		}
	}
}

// putRawErr replaces the stored token of r's id with r, bypassing the
// wrapper; a save the store refuses (a conflict) leaves the token deleted.
func putRawErr(t *testing.T, inner zohoauth.Store, r *zohoauth.Token) {
	t.Helper()
	if err := inner.DeleteToken(t.Context(), r.ID); err != nil {
		t.Fatal(err)
	}
	_ = inner.SaveToken(t.Context(), r.Clone())
}

// reload has each keyring read its keyset again.
func reload(t *testing.T, keys ...*sealed.Keyring) {
	t.Helper()
	for _, k := range keys {
		if err := k.Reload(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}
