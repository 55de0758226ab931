package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
)

// synchronous returns PRAGMA synchronous of every connection the test can
// take from the pool at once (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA) and the
// journal mode.
func synchronous(t *testing.T, s *sqlstore.Store) (levels []int, journal string) {
	t.Helper()
	ctx := t.Context()
	for range 3 {
		c, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var n int
		if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n); err != nil {
			t.Fatal(err)
		}
		levels = append(levels, n)
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
			t.Fatal(err)
		}
	}
	return levels, journal
}

// TestOpenIsDurableByDefault checks that a store file commits with
// synchronous=FULL in WAL mode (the WAL is synced at every commit, so an
// acknowledged save survives a power failure) on every connection.
func TestOpenIsDurableByDefault(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "z.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	levels, journal := synchronous(t, s)
	if journal != "wal" {
		t.Errorf("journal_mode = %q, want wal", journal)
	}
	for _, n := range levels {
		if n != 2 {
			t.Errorf("synchronous = %d, want 2 (FULL)", n)
		}
	}
}

// TestOpenWithoutCommitSync checks the opt-out: synchronous=NORMAL.
func TestOpenWithoutCommitSync(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "z.db"), sqlstore.WithoutCommitSync())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	levels, _ := synchronous(t, s)
	for _, n := range levels {
		if n != 1 {
			t.Errorf("synchronous = %d, want 1 (NORMAL)", n)
		}
	}
}
