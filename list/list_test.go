package list_test

import (
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/list"
	"github.com/zohoauth/zohoauth/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) zohoauth.Store { return list.New() }, storetest.Claim(storetest.LifecycleKeeper))
}
