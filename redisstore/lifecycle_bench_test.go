package redisstore

import (
	"testing"

	"github.com/zohoauth/zohoauth/storetest"
)

// BenchmarkLifecycle runs storetest.BenchLifecycle on the test Redis and on
// the test cluster (whose writes wait for a replica), each under a prefix
// of 1000 tokens of which 500 have a record.
func BenchmarkLifecycle(b *testing.B) {
	for _, tc := range []struct {
		name string
		open func(b *testing.B) *Store
	}{
		{"standalone", func(b *testing.B) *Store { return newBareStore(b) }},
		{"cluster", func(b *testing.B) *Store { return newClusterBareStore(b) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := tc.open(b)
			storetest.FillLifecycles(b, s, 1000, 500)
			storetest.BenchLifecycle(b, s)
		})
	}
}
