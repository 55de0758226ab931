package list_test

import (
	"testing"

	"github.com/zohoauth/zohoauth/list"
	"github.com/zohoauth/zohoauth/storetest"
)

// BenchmarkLifecycle runs storetest.BenchLifecycle on a store of 1000
// tokens.
func BenchmarkLifecycle(b *testing.B) {
	s := list.New()
	storetest.FillLifecycles(b, s, 1000, 0)
	storetest.BenchLifecycle(b, s)
}
