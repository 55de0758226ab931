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
	for _, t := range storetest.Tokens(1000) {
		t.ID = ""
		if err := s.SaveToken(b.Context(), t); err != nil {
			b.Fatal(err)
		}
	}
	storetest.BenchLifecycle(b, s)
}
