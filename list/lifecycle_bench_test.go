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
	for _, t := range storetest.Tokens(1000) {
		t.ID = ""
		if err := s.SaveToken(b.Context(), t); err != nil {
			b.Fatal(err)
		}
	}
	storetest.BenchLifecycle(b, s)
}
