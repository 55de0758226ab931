package sealed_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/sealed"
)

// hookedSwapper is a memory store whose SwapToken runs before, when set,
// just before the n-th call (counting from 1) reaches the store.
type hookedSwapper struct {
	*memory.Store
	calls  atomic.Int32
	n      int32
	before func()
}

func (h *hookedSwapper) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	if h.calls.Add(1) == h.n && h.before != nil {
		h.before()
	}
	return h.Store.SwapToken(ctx, old, t)
}

// TestSwapSurvivesRekeyBetweenAttempts: a refresh's guarded save (SwapToken)
// of a token stored under the old key tries the guard under the new primary
// key first (stale), and a Rekey in another process re-encrypts the stored
// token under the new key before the second attempt, under the old key,
// which is then stale too. The stored token is still the one the caller
// read (same plain access token and expiry): the save must succeed, not
// fail with ErrStale, which would fail the refresh of every caller waiting
// on it and make another process refresh the same expiry again.
func TestSwapSurvivesRekeyBetweenAttempts(t *testing.T) {
	ctx := t.Context()
	keys, path := newKeyring(t)
	inner := &hookedSwapper{Store: memory.New(), n: 2}
	s := sealed.New(inner, keys)
	tok := secretToken(1)
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	old := tok.Clone()
	_, next := rotate(t, path)

	// Another process (its own keyring) rekeys between the two attempts.
	other, err := sealed.NewKeyring(ctx, sealed.File(path))
	if err != nil {
		t.Fatal(err)
	}
	rekeyer, _ := sealed.Of(sealed.New(inner.Store, other))
	inner.before = func() {
		rep, err := rekeyer.Rekey(ctx, sealed.RekeyOptions{})
		if err != nil || rep.Rewritten != 1 {
			t.Errorf("rekey between the attempts: %+v, %v", rep, err)
		}
	}

	upd := old.Clone()
	upd.AccessToken = "1000.new-access-token-after-refresh"
	cas := s.(zohoauth.CompareAndSwapper)
	if err := cas.SwapToken(ctx, old, upd); err != nil {
		t.Fatalf("swap of an unchanged token re-encrypted meanwhile: %v", err)
	}
	if inner.calls.Load() < 2 {
		t.Fatal("the first attempt succeeded: the test checks nothing")
	}
	got, err := s.FindTokenByID(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != upd.AccessToken {
		t.Fatal("the stored access token is not the swapped one")
	}
	if u, err := rekeyer.Usage(ctx, 0); err != nil || len(u.Keys) != 1 || u.Keys[next] == 0 {
		t.Fatalf("usage %+v, %v: want every value under the new key %s", u, err, next)
	}
}
