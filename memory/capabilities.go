package memory

import (
	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// The capabilities the store promises, checked by the compiler: a method
// whose signature drifts from its interface breaks the build instead of
// silently turning the capability off.
var (
	_ zohoauth.Store             = (*Store)(nil)
	_ zohoauth.BatchSaver        = (*Store)(nil)
	_ zohoauth.CompareAndSwapper = (*Store)(nil)
	_ zohoauth.Locker            = (*Store)(nil)
	_ zohoauth.LifecycleKeeper   = (*Store)(nil)
	_ storekit.Deriver           = (*Store)(nil)
)
