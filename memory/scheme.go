package memory

import (
	"context"

	"github.com/zohoauth/zohoauth/storeurl"
)

// Scheme returns the storeurl scheme of the memory store (memory:), for
// storeurl.New: each Open gives a new, empty Store.
func Scheme() storeurl.Scheme {
	return storeurl.Scheme{
		Name: storeurl.SchemeMemory,
		Open: func(context.Context, *storeurl.Location) (storeurl.Store, error) {
			return closer{New()}, nil
		},
	}
}

// closer gives a Store the Close of storeurl.Store. Embedding the pointer
// keeps every method of *Store, its optional capabilities included.
type closer struct{ *Store }

// Close does nothing: the tokens go when the store is no longer used.
func (closer) Close() error { return nil }
