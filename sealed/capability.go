package sealed

import (
	"context"
	"time"

	"github.com/zohoauth/zohoauth"
)

// The parts below each add one optional capability to the value New
// returns; wrap embeds exactly those the inner store has, so a type
// assertion on the wrapper answers as it would on the inner store.

type lockPart struct{ s *Store }

// Lock takes the inner store's lock (lock names hold no secrets).
func (p lockPart) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	return p.s.lock(ctx, name, lease)
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

// wrap returns s with the capabilities of its inner store.
func (s *Store) wrap() zohoauth.Store {
	var bits int
	if _, ok := s.inner.(zohoauth.Locker); ok {
		bits |= 1
	}
	if _, ok := s.inner.(zohoauth.CompareAndSwapper); ok {
		bits |= 2
	}
	if _, ok := s.inner.(zohoauth.BatchSaver); ok {
		bits |= 4
	}
	if _, ok := s.inner.(zohoauth.Pager); ok {
		bits |= 8
	}
	l, c, b, p := lockPart{s}, swapPart{s}, batchPart{s}, pagePart{s}
	switch bits {
	case 1:
		return struct {
			*Store
			lockPart
		}{s, l}
	case 2:
		return struct {
			*Store
			swapPart
		}{s, c}
	case 3:
		return struct {
			*Store
			lockPart
			swapPart
		}{s, l, c}
	case 4:
		return struct {
			*Store
			batchPart
		}{s, b}
	case 5:
		return struct {
			*Store
			lockPart
			batchPart
		}{s, l, b}
	case 6:
		return struct {
			*Store
			swapPart
			batchPart
		}{s, c, b}
	case 7:
		return struct {
			*Store
			lockPart
			swapPart
			batchPart
		}{s, l, c, b}
	case 8:
		return struct {
			*Store
			pagePart
		}{s, p}
	case 9:
		return struct {
			*Store
			lockPart
			pagePart
		}{s, l, p}
	case 10:
		return struct {
			*Store
			swapPart
			pagePart
		}{s, c, p}
	case 11:
		return struct {
			*Store
			lockPart
			swapPart
			pagePart
		}{s, l, c, p}
	case 12:
		return struct {
			*Store
			batchPart
			pagePart
		}{s, b, p}
	case 13:
		return struct {
			*Store
			lockPart
			batchPart
			pagePart
		}{s, l, b, p}
	case 14:
		return struct {
			*Store
			swapPart
			batchPart
			pagePart
		}{s, c, b, p}
	case 15:
		return struct {
			*Store
			lockPart
			swapPart
			batchPart
			pagePart
		}{s, l, c, b, p}
	}
	return s
}
