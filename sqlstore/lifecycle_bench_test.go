package sqlstore_test

import (
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storetest"
)

// BenchmarkLifecycle runs storetest.BenchLifecycle on each engine, on a
// table of 1000 tokens of which 500 have a record.
func BenchmarkLifecycle(b *testing.B) {
	for _, e := range engines() {
		if e.name == "sqlite-memory" {
			continue
		}
		b.Run(e.name, func(b *testing.B) {
			s := e.open(b)
			toks := storetest.Tokens(1000)
			for _, t := range toks {
				t.ID = ""
			}
			if err := s.SaveTokens(b.Context(), toks); err != nil {
				b.Fatal(err)
			}
			for _, t := range toks[:500] {
				if _, err := s.UpdateLifecycle(b.Context(), t.ID, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			storetest.BenchLifecycle(b, s)
		})
	}
}
