package sealed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// DefaultPageSize is the page size of Usage and Rekey when none is given.
const DefaultPageSize = 500

// Usage counts the stored values of a store by the key they are under.
type Usage struct {
	Tokens int           // tokens walked
	Keys   map[KeyID]int // encrypted values per key id
	Plain  int           // plain values
}

// Usage walks the inner store a page at a time (zohoauth.EachPage) and
// counts its secret values by key. A value with the prefix of an encrypted
// value that is not one is an error naming its token and field.
func (s *Store) Usage(ctx context.Context, pageSize int) (Usage, error) {
	if pageSize < 1 {
		pageSize = DefaultPageSize
	}
	u := Usage{Keys: map[KeyID]int{}}
	err := zohoauth.EachPage(ctx, s.inner, pageSize, func(page []*zohoauth.Token) error {
		for _, t := range page {
			u.Tokens++
			for _, f := range fields {
				v := *f.ptr(t)
				switch {
				case v == "":
				case !IsSealed(v):
					u.Plain++
				default:
					id, ok := keyOf(v)
					if !ok {
						return &ValueError{Field: f.column(), TokenID: t.ID, Err: ErrFormat}
					}
					u.Keys[id]++
				}
			}
		}
		return nil
	})
	return u, err
}

// Retire removes the key id from ks after checking that no value of the
// store s is under it; otherwise it fails with a *KeyError matching
// ErrKeyInUse that says how many values are. It refuses the primary key.
// The caller writes ks back (Keyset.WriteFile). Run Rekey first.
func Retire(ctx context.Context, s *Store, ks *Keyset, id KeyID) error {
	if !ks.Has(id) {
		return &KeyError{KeyID: id, Err: ErrUnknownKey}
	}
	if id == ks.Primary() {
		return &KeyError{KeyID: id, Err: ErrPrimaryKey}
	}
	u, err := s.Usage(ctx, DefaultPageSize)
	if err != nil {
		return err
	}
	if n := u.Keys[id]; n > 0 {
		return &KeyError{KeyID: id, Count: n, Err: ErrKeyInUse}
	}
	return ks.Remove(id)
}

// RekeyOptions configure Rekey. The zero value gives the defaults.
type RekeyOptions struct {
	// PageSize is the number of tokens read at a time (DefaultPageSize).
	PageSize int
	// After resumes a walk: tokens with an id up to After are skipped.
	After string
	// Progress, when set, is called after each page with the report so
	// far; its LastID is where a resumed run may start.
	Progress func(RekeyReport)
}

// RekeyReport is what Rekey did.
type RekeyReport struct {
	Tokens    int    // tokens walked
	Rewritten int    // tokens rewritten
	Values    int    // values re-encrypted (or decrypted, in Unseal mode)
	Retried   int    // rewrites retried because the token changed meanwhile
	LastID    string // the last token id walked
	Target    KeyID  // the key values were moved to (0 in Unseal mode)
	Remaining int    // values found not in the target form by the final check
}

// maxAttempts bounds the rewrites of one token that keeps changing.
const maxAttempts = 5

// Rekey rewrites every stored value that is not under the primary key of
// the keyset (as the source holds it now) under that key: a page at a time
// (zohoauth.EachPage), one token at a time, each guarded so that a token
// changed meanwhile by another process is read again rather than
// overwritten (SwapToken when the inner store is a CompareAndSwapper,
// otherwise under the token's lock when it is a Locker). In Migrate mode
// plain values are encrypted too; in Unseal mode every value is decrypted
// instead. Values already in the target form are left alone, so Rekey is
// idempotent, and RekeyOptions.After resumes an interrupted run.
//
// Each rewrite is read back and checked to hold the same values; at the
// end a second walk counts the values still not in the target form (a
// process with an older keyset may have written some meanwhile): when there
// are any, the error matches ErrRekeyIncomplete and Rekey may be run again.
func (s *Store) Rekey(ctx context.Context, opts RekeyOptions) (RekeyReport, error) {
	if s.mode == plainOnly {
		return RekeyReport{}, errors.New("sealed: Rekey needs a keyring")
	}
	if opts.PageSize < 1 {
		opts.PageSize = DefaultPageSize
	}
	var rep RekeyReport
	var target *ring
	if s.mode != Unseal {
		r, err := s.keys.forWrite(ctx)
		if err != nil {
			return rep, err
		}
		target, rep.Target = r, r.primary
	}
	err := zohoauth.EachPage(ctx, s.inner, opts.PageSize, func(page []*zohoauth.Token) error {
		for _, raw := range page {
			if opts.After != "" && storekit.CompareIDs(raw.ID, opts.After) <= 0 {
				continue
			}
			rep.Tokens++
			n, retried, err := s.rekeyToken(ctx, raw, target)
			rep.Retried += retried
			if err != nil {
				return fmt.Errorf("sealed: rekey token %s: %w", raw.ID, err)
			}
			if n > 0 {
				rep.Rewritten++
				rep.Values += n
			}
			rep.LastID = raw.ID
		}
		if opts.Progress != nil {
			opts.Progress(rep)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	u, err := s.Usage(ctx, opts.PageSize)
	if err != nil {
		return rep, err
	}
	for id, n := range u.Keys {
		if target == nil || id != target.primary {
			rep.Remaining += n
		}
	}
	if target != nil {
		rep.Remaining += u.Plain
	}
	if rep.Remaining > 0 {
		return rep, fmt.Errorf("%w: %d values", ErrRekeyIncomplete, rep.Remaining)
	}
	return rep, nil
}

// rekeyToken rewrites the values of one stored token that are not in the
// target form, and returns how many it rewrote and how many times it read
// the token again.
func (s *Store) rekeyToken(ctx context.Context, raw *zohoauth.Token, target *ring) (int, int, error) {
	if lk, ok := s.inner.(zohoauth.Locker); ok {
		if _, cas := s.inner.(zohoauth.CompareAndSwapper); !cas {
			lock, err := lk.Lock(ctx, storekit.LockName(raw.ID), 30*time.Second)
			if err != nil {
				return 0, 0, err
			}
			defer func() { _ = lock.Unlock(context.WithoutCancel(ctx)) }()
			if raw, err = s.inner.FindTokenByID(ctx, raw.ID); err != nil {
				if errors.Is(err, zohoauth.ErrNotFound) {
					return 0, 0, nil
				}
				return 0, 0, err
			}
		}
	}
	for attempt := 0; ; attempt++ {
		upd, plain, n, err := s.rewrite(ctx, raw, target)
		if err != nil || n == 0 {
			return 0, attempt, err
		}
		if cas, ok := s.inner.(zohoauth.CompareAndSwapper); ok {
			err = cas.SwapToken(ctx, raw, upd)
		} else {
			err = s.inner.SaveToken(ctx, upd)
		}
		switch {
		case err == nil:
			return n, attempt, s.verify(ctx, upd, plain)
		case errors.Is(err, zohoauth.ErrNotFound):
			return 0, attempt, nil // deleted meanwhile
		case !errors.Is(err, zohoauth.ErrStale) || attempt+1 == maxAttempts:
			return 0, attempt, err
		}
		if raw, err = s.inner.FindTokenByID(ctx, raw.ID); err != nil {
			if errors.Is(err, zohoauth.ErrNotFound) {
				return 0, attempt + 1, nil
			}
			return 0, attempt + 1, err
		}
	}
}

// rewrite returns the update of raw that puts its values in the target
// form (only the fields that change, and the id), the plain values of
// those fields, and their number.
func (s *Store) rewrite(ctx context.Context, raw *zohoauth.Token, target *ring) (*zohoauth.Token, *zohoauth.Token, int, error) {
	upd := &zohoauth.Token{ID: raw.ID}
	plain := &zohoauth.Token{ID: raw.ID}
	n := 0
	for _, f := range fields {
		v := *f.ptr(raw)
		if v == "" {
			continue
		}
		sealed := IsSealed(v)
		if target == nil && !sealed {
			continue // Unseal: already plain
		}
		if target != nil && sealed {
			if id, ok := keyOf(v); ok && id == target.primary {
				continue
			}
		}
		p, err := s.openValue(ctx, f, raw.ID, v)
		if err != nil {
			return nil, nil, 0, err
		}
		out := p
		if target != nil {
			if out, err = target.encrypt(f, p, target.primary); err != nil {
				return nil, nil, 0, err
			}
		}
		*f.ptr(upd), *f.ptr(plain) = out, p
		n++
	}
	return upd, plain, n, nil
}

// verify checks a rewritten token, read back from the inner store, holds
// the plain values it was rewritten from, in the target form.
func (s *Store) verify(ctx context.Context, upd, plain *zohoauth.Token) error {
	got, err := s.inner.FindTokenByID(ctx, upd.ID)
	if err != nil {
		if errors.Is(err, zohoauth.ErrNotFound) {
			return nil // deleted since
		}
		return err
	}
	for _, f := range fields {
		want := *f.ptr(plain)
		if want == "" {
			continue
		}
		v := *f.ptr(got)
		if v != *f.ptr(upd) {
			continue // changed since by another writer; the final count judges it
		}
		p, err := s.openValue(ctx, f, got.ID, v)
		if err != nil {
			return fmt.Errorf("sealed: verify: %w", err)
		}
		if p != want {
			return &ValueError{Field: f.column(), TokenID: got.ID, Err: errors.New("read back another value than was rewritten")}
		}
	}
	return nil
}
