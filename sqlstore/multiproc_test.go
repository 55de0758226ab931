package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storetest"
)

// sharedEngine returns the options and the opener of storetest's
// multi-process checks on e: the shared state is "dialect\tDSN\ttable" of
// a new table (dropped at the end on a server), which every process opens.
func sharedEngine(e engine, rounds int) (storetest.OpenShared, storetest.ProcessOptions) {
	open := func(t *testing.T, shared string) zohoauth.Store {
		f := strings.SplitN(shared, "\t", 3)
		if len(f) != 3 {
			t.Fatalf("shared state %q", shared)
		}
		d, err := sqlstore.ParseDialect(f[0])
		if err != nil {
			t.Fatal(err)
		}
		s, err := openShared(t.Context(), d, f[1], f[2])
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	return open, storetest.ProcessOptions{
		Setup: func(t *testing.T) string {
			d, dsn, table := sharedTable(t, e)
			return d.String() + "\t" + dsn + "\t" + table
		},
		Rounds: rounds,
		Check:  checkRows,
	}
}

// openShared opens a store on a table that others may share.
func openShared(ctx context.Context, d sqlstore.Dialect, dsn, table string) (*sqlstore.Store, error) {
	if d == sqlstore.SQLite {
		return sqlite.Open(ctx, dsn, sqlstore.WithTable(table))
	}
	return openDialect(ctx, d, dsn, sqlstore.WithTable(table))
}

// checkRows checks the table itself: one row per user.
func checkRows(t *testing.T, st zohoauth.Store, _ string) {
	s := st.(*sqlstore.Store)
	var n, distinct int
	if err := s.DB().QueryRowContext(t.Context(), "SELECT COUNT(*), COUNT(DISTINCT user_name) FROM "+s.Table()).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != 1000 || distinct != 1000 {
		t.Errorf("table holds %d rows with %d distinct user names, want 1000", n, distinct)
	}
}

// TestMultiProcess runs storetest.MultiProcess, 4 processes of 16
// goroutines saving and finding 1000 users, on one table of each engine
// that processes can share; the processes also race to create the table.
// The servers commit with an fsync under the table lock, so they get one
// round of saves, SQLite three.
func TestMultiProcess(t *testing.T) {
	for _, e := range engines() {
		if e.shared == nil {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			rounds := 1
			if e.name == "sqlite-file" {
				rounds = 3
			}
			open, opts := sharedEngine(e, rounds)
			storetest.MultiProcess(t, open, opts)
		})
	}
}

// TestLockMultiProcess runs storetest.MultiProcessLock, 4 processes of 8
// goroutines taking one lock 10 times each, on each shared engine.
func TestLockMultiProcess(t *testing.T) {
	for _, e := range engines() {
		if e.shared == nil {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			open, opts := sharedEngine(e, 1)
			opts.Goroutines, opts.LockRounds = 8, 10
			storetest.MultiProcessLock(t, open, opts)
		})
	}
}
