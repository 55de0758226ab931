package sqlstore_test

import (
	"path/filepath"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
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
			storetest.FillLifecycles(b, s, 1000, 500)
			storetest.BenchLifecycle(b, s)
		})
	}
}

// BenchmarkInsertOrphanCheck measures what deleting the lifecycle record of
// a created id (a DELETE by primary key in the insert's transaction) adds
// to SaveToken of a new token, on a SQLite file of 1000 tokens, 500 with a
// record: "old" is the insert without it (KeepOrphans), "new" with it. Each
// op is one insert; the token is deleted again off the clock.
func BenchmarkInsertOrphanCheck(b *testing.B) {
	for _, name := range []string{"old", "new"} {
		b.Run(name, func(b *testing.B) {
			ctx := b.Context()
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), sqlite.DefaultPath))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if name == "old" {
				sqlstore.KeepOrphans(s)
			}
			toks := storetest.Tokens(1000)
			for _, t := range toks {
				t.ID = ""
			}
			if err := s.SaveTokens(ctx, toks); err != nil {
				b.Fatal(err)
			}
			for _, t := range toks[:500] {
				if _, err := s.UpdateLifecycle(ctx, t.ID, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				t := storetest.Token(5000, "N")
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
