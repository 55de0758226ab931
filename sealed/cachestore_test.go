package sealed_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/sealed"
)

// TestCacheUnderConcurrentFindsAndSaves has readers find tokens by id, user
// name and refresh token through a wrapper whose cache is far smaller than
// the store (entries evict each other all the time), while a writer keeps
// giving tokens new access tokens: every answer is whole and of the token
// asked for (its refresh token and user name, an access token written for
// its id), never another token's values. Run it with -race.
func TestCacheUnderConcurrentFindsAndSaves(t *testing.T) {
	ctx := t.Context()
	keys, _ := newKeyring(t, sealed.WithCacheSize(8))
	s := sealed.New(memory.New(), keys)
	const n = 64
	want := make([]*zohoauth.Token, n)
	for i := range want {
		tok := secretToken(i + 1)
		tok.AccessToken = fmt.Sprintf("1000.%d.access.0", i+1)
		if err := s.SaveToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		want[i] = tok.Clone()
	}
	check := func(got *zohoauth.Token, w *zohoauth.Token) error {
		if got.ID != w.ID || got.UserName != w.UserName || got.RefreshToken != w.RefreshToken ||
			got.ClientSecret != w.ClientSecret || got.GrantToken != w.GrantToken ||
			!strings.HasPrefix(got.AccessToken, "1000."+w.ID+".access.") {
			return fmt.Errorf("token %s read as id %s user %s access %s", w.ID, got.ID, got.UserName, got.AccessToken)
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Go(func() {
			for i := range 3000 {
				w := want[(i*7+g*13)%n]
				var got *zohoauth.Token
				var err error
				switch i % 3 {
				case 0:
					got, err = s.FindTokenByID(ctx, w.ID)
				case 1:
					got, err = s.FindToken(ctx, &zohoauth.Token{UserName: w.UserName})
				default:
					got, err = s.FindToken(ctx, &zohoauth.Token{ClientID: w.ClientID, ClientSecret: "x", RefreshToken: w.RefreshToken})
				}
				if err == nil {
					err = check(got, w)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 600 {
			w := want[(i*5)%n]
			upd := &zohoauth.Token{ID: w.ID, AccessToken: fmt.Sprintf("1000.%s.access.%d", w.ID, i+1)}
			if err := s.SaveToken(ctx, upd); err != nil {
				errs <- err
				return
			}
			if err := check(upd, w); err != nil {
				errs <- fmt.Errorf("after a save: %w", err)
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestRetiredKeyNotOpenedFromCache reads a token (its opening is
// remembered), rotates the keyset, rekeys the store and retires the old
// key; then a backup of the token under the old key is put back in the
// store. The keyring that read the keyset without the old key refuses it
// (ErrUnknownKey naming the old key), although the very same stored values
// were opened from its cache before: a retired key's values are not read
// from memory.
func TestRetiredKeyNotOpenedFromCache(t *testing.T) {
	ctx := t.Context()
	keys, path := newKeyring(t)
	inner := memory.New()
	s := sealed.New(inner, keys)
	tok := secretToken(1)
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	backup := raw(t, inner, tok.ID)
	for range 2 { // the second read comes from the cache
		if got, err := s.FindTokenByID(ctx, tok.ID); err != nil || got.RefreshToken != tok.RefreshToken {
			t.Fatalf("read before the rotation: %v", err)
		}
	}
	old, _ := rotate(t, path)
	if err := keys.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	ss, _ := sealed.Of(s)
	if _, err := ss.Rekey(ctx, sealed.RekeyOptions{}); err != nil {
		t.Fatal(err)
	}
	ks, err := sealed.ReadKeysetFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := sealed.Retire(ctx, ss, ks, old); err != nil {
		t.Fatal(err)
	}
	if err := ks.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if err := keys.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	putRaw(t, inner, backup)
	_, err = s.FindTokenByID(ctx, tok.ID)
	var ve *sealed.ValueError
	if !errors.As(err, &ve) || !errors.Is(err, sealed.ErrUnknownKey) || ve.KeyID != old {
		t.Fatalf("a value under the retired key %v read with %v, want ErrUnknownKey naming it", old, err)
	}
	_, err = s.FindToken(ctx, &zohoauth.Token{ClientID: tok.ClientID, ClientSecret: "x", RefreshToken: tok.RefreshToken})
	if !errors.Is(err, sealed.ErrUnknownKey) && !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("a find by refresh token of a value under the retired key: %v", err)
	}
}

// countingSource counts the reads of a keyset.
type countingSource struct {
	sealed.Source
	reads atomic.Int64
}

func (c *countingSource) ReadKeyset(ctx context.Context) ([]byte, error) {
	c.reads.Add(1)
	return c.Source.ReadKeyset(ctx)
}

// TestBatchReadsKeysetOnce saves a batch of tokens: the keyring reads its
// source once for the batch (one write, all or nothing), not once per
// token (a batch of 10k tokens read the keyset file 10k times).
func TestBatchReadsKeysetOnce(t *testing.T) {
	ctx := t.Context()
	_, path := newKeyring(t)
	src := &countingSource{Source: sealed.File(path)}
	keys, err := sealed.NewKeyring(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	s := sealed.New(memory.New(), keys)
	batch := make([]*zohoauth.Token, 50)
	for i := range batch {
		batch[i] = secretToken(i + 1)
	}
	before := src.reads.Load()
	if err := s.(zohoauth.BatchSaver).SaveTokens(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n := src.reads.Load() - before; n != 1 {
		t.Fatalf("a batch of %d tokens read the keyset %d times, want once", len(batch), n)
	}
}
