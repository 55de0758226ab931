package redisstore

import (
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storetest"
)

// TestConformance runs the Store conformance kit, each check on an empty
// store under a prefix of its own, and checks the keys' consistency after
// each.
func TestConformance(t *testing.T) {
	testAddr(t)
	storetest.Run(t, func(t *testing.T) zohoauth.Store { return newTestStore(t) }, storetest.Claim(storetest.LifecycleKeeper, storetest.LockChecker))
}
