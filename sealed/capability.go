package sealed

import (
	"context"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// The parts below each add one optional capability to the value New
// returns; wrap embeds exactly those the inner store has, so a type
// assertion on the wrapper answers as it would on the inner store.

type lockPart struct{ s *Store }

// Lock takes the inner store's lock (lock names hold no secrets).
func (p lockPart) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	return p.s.lock(ctx, name, lease)
}

// checkPart is lockPart for an inner store that is a
// storekit.LockChecker.
type checkPart struct{ lockPart }

// LockUnless takes the inner store's lock unless done finds it no longer
// needed (storekit.LockChecker).
func (p checkPart) LockUnless(ctx context.Context, name string, lease time.Duration, done func(context.Context) (bool, error)) (zohoauth.Lock, error) {
	return p.s.inner.(storekit.LockChecker).LockUnless(ctx, name, lease, done)
}

type swapPart struct{ s *Store }

// SwapToken saves t, encrypted, only if the stored token still has old's
// access token and expiry (zohoauth.CompareAndSwapper).
func (p swapPart) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	return p.s.swap(ctx, old, t)
}

type batchPart struct{ s *Store }

// SaveTokens saves the tokens, encrypted, all or nothing
// (zohoauth.BatchSaver).
func (p batchPart) SaveTokens(ctx context.Context, tokens []*zohoauth.Token) error {
	return p.s.saveTokens(ctx, tokens)
}

type pagePart struct{ s *Store }

// TokensAfter returns a page of tokens, decrypted (zohoauth.Pager).
func (p pagePart) TokensAfter(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	return p.s.tokensAfter(ctx, after, limit)
}

// wrap returns s with the capabilities of its inner store: its own parts
// for those that carry tokens, and the inner store's LifecycleKeeper as it
// is, since a lifecycle record holds no secret (Lifecycle.LastError is a
// short reason, never a server's answer or a token).
func (s *Store) wrap() zohoauth.Store {
	inner := storekit.PartsOf(s.inner)
	var p storekit.Parts
	if inner.Locker != nil {
		p.Locker = lockPart{s}
		if _, ok := inner.Locker.(storekit.LockChecker); ok {
			p.Locker = checkPart{lockPart{s}}
		}
	}
	if inner.CompareAndSwapper != nil {
		p.CompareAndSwapper = swapPart{s}
	}
	if inner.BatchSaver != nil {
		p.BatchSaver = batchPart{s}
	}
	if inner.Pager != nil {
		p.Pager = pagePart{s}
	}
	p.LifecycleKeeper = inner.LifecycleKeeper
	return storekit.Compose(s, nil, p)
}
