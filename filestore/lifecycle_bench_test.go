package filestore_test

import (
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storetest"
)

// BenchmarkLifecycle runs storetest.BenchLifecycle on a file of 100 tokens,
// 50 of which have a record, in a temporary directory (the rewrites fsync).
func BenchmarkLifecycle(b *testing.B) {
	s := newStore(b)
	storetest.FillLifecycles(b, s, 100, 50)
	storetest.BenchLifecycle(b, s)
}

// BenchmarkInsertOrphanCheck measures what deleting the orphan record of a
// created id adds to SaveToken of a new token, on a file of 1000 tokens:
// "old" is the insert without it (KeepOrphans), "new" the insert with a
// side file of 500 records and no orphan (a read of the side file and a
// byte search), "none" the same without a side file, "orphan" an insert
// that meets an orphan and rewrites the side file. Each op is one insert;
// the token, given the id 1001, is deleted again off the clock, so every
// insert writes a file of the same size.
func BenchmarkInsertOrphanCheck(b *testing.B) {
	for _, bc := range []struct {
		name         string
		old, records bool
		orphan       bool
	}{
		{"old", true, true, false},
		{"new", false, true, false},
		{"none", false, false, false},
		{"orphan", false, true, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := b.Context()
			s := newStore(b)
			if bc.old {
				filestore.KeepOrphans(s)
			}
			toks := storetest.Tokens(1000)
			for _, t := range toks {
				t.ID = ""
			}
			if err := s.SaveTokens(ctx, toks); err != nil {
				b.Fatal(err)
			}
			if bc.records {
				for _, t := range toks[:500] {
					if _, err := s.UpdateLifecycle(ctx, t.ID, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil }); err != nil {
						b.Fatal(err)
					}
				}
			}
			for b.Loop() {
				if bc.orphan {
					b.StopTimer()
					if _, err := s.UpdateLifecycle(ctx, "1001", func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil }); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				t := storetest.Token(5000, "N")
				t.ID = "1001"
				if err := s.SaveToken(ctx, t); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.DeleteToken(ctx, t.ID); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
