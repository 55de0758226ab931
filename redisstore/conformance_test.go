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

// TestSwapOneWinnerTwoClients races swaps from one read over two stores
// on the same prefix, each with a client of its own: two processes.
func TestSwapOneWinnerTwoClients(t *testing.T) {
	testAddr(t)
	a := newTestStore(t)
	b := New(testClient(t), WithPrefix(a.Prefix()))
	storetest.SwapOneWinner(t, a, b)
}
