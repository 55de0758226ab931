package memory_test

import (
	"testing"

	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storetest"
)

// BenchmarkLifecycle runs storetest.BenchLifecycle on a store of 1000
// tokens.
func BenchmarkLifecycle(b *testing.B) {
	s := memory.New()
	storetest.FillLifecycles(b, s, 1000, 0)
	storetest.BenchLifecycle(b, s)
}
