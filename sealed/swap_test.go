package sealed_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/sqlstore"
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

// guardSpy is a memory store that keeps the guard of every SwapToken.
type guardSpy struct {
	*memory.Store
	guards []*zohoauth.Token
}

func (g *guardSpy) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	g.guards = append(g.guards, old.Clone())
	return g.Store.SwapToken(ctx, old, t)
}

// TestSwapGuardOfARefreshIsTheStoredRow: the guard of a refresh (a new
// access token and expiry, nothing else) holds the stored row in every
// column, the stored forms of its secrets included, so that a store that
// swaps a refresh in one statement when the row is the guard (sqlstore)
// can; and the swap stores and reads back as before.
func TestSwapGuardOfARefreshIsTheStoredRow(t *testing.T) {
	ctx := t.Context()
	keys, _ := newKeyring(t)
	inner := &guardSpy{Store: memory.New()}
	s := sealed.New(inner, keys)
	tok := secretToken(1)
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	raw, err := inner.Store.FindTokenByID(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	upd := tok.Clone()
	upd.AccessToken, upd.Expiry = "1000.refreshed-access", tok.Expiry.Add(time.Hour)
	if err := s.(zohoauth.CompareAndSwapper).SwapToken(ctx, tok, upd); err != nil {
		t.Fatal(err)
	}
	if len(inner.guards) != 1 {
		t.Fatalf("%d attempts, want 1", len(inner.guards))
	}
	g := inner.guards[0]
	if *g != *raw {
		t.Error("the guard of a refresh differs from the stored row")
	}
	got, err := s.FindTokenByID(ctx, tok.ID)
	if err != nil || got.AccessToken != upd.AccessToken || got.RefreshToken != tok.RefreshToken || !got.Expiry.Equal(upd.Expiry) {
		t.Fatalf("after the refresh: %v, %v", got, err)
	}
}

// TestSwapOverSQLiteSealed runs the guarded saves of the authenticator over
// an encrypting SQLite store: a refresh (the one-statement swap), a save
// that also changes the refresh token (never the one statement: it would
// keep the old one), a refresh of a row written under a key that is no
// longer primary (its stored forms are not the guard's: the transaction),
// and a stale guard.
func TestSwapOverSQLiteSealed(t *testing.T) {
	ctx := t.Context()
	keys, path := newKeyring(t)
	inner, err := openDialect(ctx, sqlstore.SQLite, filepath.Join(t.TempDir(), "z.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	s := sealed.New(inner, keys)
	cas := s.(zohoauth.CompareAndSwapper)
	find := func(id string) *zohoauth.Token {
		t.Helper()
		got, err := s.FindTokenByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	swap := func(old *zohoauth.Token, change func(*zohoauth.Token)) *zohoauth.Token {
		t.Helper()
		upd := old.Clone()
		upd.AccessToken, upd.Expiry = old.AccessToken+"x", old.Expiry.Add(time.Hour)
		change(upd)
		if err := cas.SwapToken(ctx, old, upd); err != nil {
			t.Fatal(err)
		}
		got := find(old.ID)
		if got.AccessToken != upd.AccessToken || got.RefreshToken != upd.RefreshToken || !got.Expiry.Equal(upd.Expiry) {
			t.Fatalf("stored after the swap: access %v, refresh %v, expiry %v; want the token swapped in",
				got.AccessToken == upd.AccessToken, got.RefreshToken == upd.RefreshToken, got.Expiry.Equal(upd.Expiry))
		}
		return got
	}
	tok := secretToken(1)
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	cur := swap(find(tok.ID), func(*zohoauth.Token) {})
	cur = swap(cur, func(u *zohoauth.Token) { u.RefreshToken = "1000.a-new-refresh-token" })
	rotate(t, path)
	if err := keys.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	cur = swap(cur, func(*zohoauth.Token) {})
	cur = swap(cur, func(*zohoauth.Token) {}) // now under the new primary key
	stale := cur.Clone()
	stale.AccessToken = "1000.not-the-stored-one"
	if err := cas.SwapToken(ctx, stale, cur.Clone()); !errors.Is(err, zohoauth.ErrStale) {
		t.Fatalf("a stale guard: %v, want ErrStale", err)
	}
}
