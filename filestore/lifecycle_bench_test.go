package filestore_test

import (
	"fmt"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storetest"
)

// BenchmarkLifecycle runs storetest.BenchLifecycle on a file of 100 tokens,
// 50 of which have a record, in a temporary directory (the rewrites fsync).
func BenchmarkLifecycle(b *testing.B) {
	s := newStore(b)
	toks := storetest.Tokens(100)
	for _, t := range toks {
		t.ID = ""
	}
	if err := s.SaveTokens(b.Context(), toks); err != nil {
		b.Fatal(err)
	}
	for _, t := range toks[:50] {
		if _, err := s.UpdateLifecycle(b.Context(), t.ID, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil }); err != nil {
			b.Fatal(fmt.Errorf("record %s: %w", t.ID, err))
		}
	}
	storetest.BenchLifecycle(b, s)
}
