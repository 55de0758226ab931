package storekit

import (
	"io"

	"github.com/zohoauth/zohoauth"
)

//go:generate go run gen_compose.go

// Parts are the optional capabilities a wrapper of a store passes on (or
// implements itself): Compose embeds each part that is not nil. A Locker
// that is also a LockChecker is passed on as one.
type Parts struct {
	Locker            zohoauth.Locker
	CompareAndSwapper zohoauth.CompareAndSwapper
	BatchSaver        zohoauth.BatchSaver
	Pager             zohoauth.Pager
	LifecycleKeeper   zohoauth.LifecycleKeeper
}

// PartsOf returns the optional capabilities of s, each its own
// implementation: what a wrapper that changes none of them passes on.
func PartsOf(s zohoauth.Store) Parts {
	var p Parts
	p.Locker, _ = s.(zohoauth.Locker)
	p.CompareAndSwapper, _ = s.(zohoauth.CompareAndSwapper)
	p.BatchSaver, _ = s.(zohoauth.BatchSaver)
	p.Pager, _ = s.(zohoauth.Pager)
	p.LifecycleKeeper, _ = s.(zohoauth.LifecycleKeeper)
	return p
}

// Compose returns a value that has the methods of s, the Close of c when c
// is not nil, and the methods of each part of p that is not nil, and no
// other: a type assertion on it finds exactly the capabilities p holds.
// A wrapper of a store (an encrypting store, a store that counts its calls)
// returns it so that the authenticator, which discovers capabilities by
// type assertion, sees through the wrapper what the wrapped store offers:
//
//	return storekit.Compose(w, nil, storekit.PartsOf(inner))
func Compose(s zohoauth.Store, c io.Closer, p Parts) zohoauth.Store {
	return compose(s, c, p)
}

// Base returns the store s wraps when s is a value of Compose, and false
// otherwise: how a wrapper finds its own value again (sealed.Of).
func Base(s zohoauth.Store) (zohoauth.Store, bool) {
	c, ok := s.(interface{ composedBase() zohoauth.Store })
	if !ok {
		return nil, false
	}
	return c.composedBase(), true
}
