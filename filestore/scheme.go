package filestore

import (
	"context"

	"github.com/zohoauth/zohoauth/storeurl"
)

// Scheme returns the storeurl scheme of the file store (file:PATH), for
// storeurl.New.
func Scheme() storeurl.Scheme {
	return storeurl.Scheme{
		Name: storeurl.SchemeFile,
		Open: func(_ context.Context, l *storeurl.Location) (storeurl.Store, error) {
			s, err := New(l.Path)
			if err != nil {
				return nil, err // not a nil *Store in a non-nil Store
			}
			return s, nil
		},
	}
}
