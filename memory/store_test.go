package memory_test

import (
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) zohoauth.Store { return memory.New() }, storetest.Claim(storetest.LifecycleKeeper, storetest.LockChecker, storetest.Deriver))
}
