package zohoauth

import (
	"context"
	"fmt"
)

// Pager is an optional capability of a Store, discovered with a type
// assertion: the tokens a page at a time, in numeric id order, so that a
// migration or an export streams a large store instead of loading it whole.
type Pager interface {
	// TokensAfter returns copies of at most limit tokens whose numeric id is
	// greater than after ("" for the first page), ordered by numeric id.
	// Fewer than limit tokens means the last page. A store that holds
	// tokens whose id is not numeric (not 1 to 10 decimal digits) reports them on the last
	// page with an error matching ErrInvalidID rather than leave them out
	// silently; Tokens returns them.
	TokensAfter(ctx context.Context, after string, limit int) ([]*Token, error)
}

// EachPage calls fn with the tokens of s in pages of at most size, in
// numeric id order: through TokensAfter when s is a Pager, otherwise by
// slicing Tokens. fn's error stops the walk and is returned. fn may keep
// or change the tokens it is given; they are copies.
func EachPage(ctx context.Context, s Store, size int, fn func([]*Token) error) error {
	if size < 1 {
		return fmt.Errorf("zohoauth: EachPage: page size %d, want at least 1", size)
	}
	p, ok := s.(Pager)
	if !ok {
		all, err := s.Tokens(ctx)
		if err != nil {
			return err
		}
		for start := 0; start < len(all); start += size {
			if err := fn(all[start:min(start+size, len(all))]); err != nil {
				return err
			}
		}
		return nil
	}
	after := ""
	for {
		page, err := p.TokensAfter(ctx, after, size)
		if err != nil {
			return err
		}
		if len(page) > 0 {
			after = page[len(page)-1].ID
			if err := fn(page); err != nil {
				return err
			}
		}
		if len(page) < size {
			return nil
		}
	}
}
