package sqlstore_test

import (
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storetest"
)

// TestLifecycleBesideZohoTable keeps records beside a table made and
// filled by Zoho's SDK: Zoho's rows keep every byte and SELECT * still
// gives Zoho's ten columns; a token deleted through the store loses its
// record in the same transaction, and one deleted by Zoho's SDK leaves an
// orphan that is listed and deletable.
func TestLifecycleBesideZohoTable(t *testing.T) {
	for _, zt := range zohoTables(t) {
		t.Run(zt.name, func(t *testing.T) {
			z := zt.make(t)
			ctx := t.Context()
			s := z.filled(t)
			before := map[string][10]sql.NullString{}
			for _, id := range []string{"9", "10", "11"} {
				before[id] = readByPosition(t, z.db, z.d, z.table, id)
			}
			for _, id := range []string{"9", "10", "11"} {
				if _, err := s.UpdateLifecycle(ctx, id, func(l *zohoauth.Lifecycle) error {
					*l = storetest.FullLifecycle(id)
					return nil
				}); err != nil {
					t.Fatalf("UpdateLifecycle(%s): %v", id, err)
				}
			}
			for id, v := range before {
				if got := readByPosition(t, z.db, z.d, z.table, id); got != v {
					t.Fatalf("Zoho's row %s changed with its lifecycle record: %v, was %v", id, got, v)
				}
			}
			// The side table's own columns, by name.
			rows, err := z.db.QueryContext(ctx, "SELECT * FROM "+z.table+sqlstore.LifecycleTableSuffix)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			_ = rows.Close()
			if got := strings.Join(cols, ","); got != "num,id,login_at,last_used_at,last_refresh_at,last_failure_at,exhausted_at,failures,failure_days,last_error" {
				t.Fatalf("lifecycle table columns %s", got)
			}
			// Deleted through the store: the record goes in the same transaction.
			if err := s.DeleteToken(ctx, "10"); err != nil {
				t.Fatal(err)
			}
			if l, err := s.Lifecycle(ctx, "10"); err != nil || !l.IsZero() {
				t.Fatalf("record of a deleted token: %+v, %v", l, err)
			}
			// Deleted by Zoho's SDK: an orphan, listed and deletable.
			if _, err := z.db.ExecContext(ctx, "delete from "+z.table+" where id = "+ph(z.d, 1), "11"); err != nil {
				t.Fatal(err)
			}
			list, err := s.LifecyclesAfter(ctx, "", 10)
			if err != nil || len(list) != 2 || list[0].ID != "9" || list[1].ID != "11" {
				t.Fatalf("records %+v, %v; want 9 and the orphan 11", list, err)
			}
			if err := s.DeleteLifecycle(ctx, "11"); err != nil {
				t.Fatal(err)
			}
			if list, _ := s.LifecyclesAfter(ctx, "", 10); len(list) != 1 {
				t.Fatalf("records after deleting the orphan: %+v", list)
			}
		})
	}
}

// TestLifecycleHostileIDs checks that ids written to look like SQL reach no
// statement: every table is still there and holds nothing new.
func TestLifecycleHostileIDs(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			ctx := t.Context()
			for _, id := range []string{"1; DROP TABLE " + s.Table(), "1' OR '1'='1", "../../x", "1)--"} {
				_, err := s.UpdateLifecycle(ctx, id, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil })
				if !errors.Is(err, zohoauth.ErrInvalidID) {
					t.Fatalf("UpdateLifecycle(%q) = %v, want ErrInvalidID", id, err)
				}
				if err := s.DeleteLifecycle(ctx, id); !errors.Is(err, zohoauth.ErrInvalidID) {
					t.Fatalf("DeleteLifecycle(%q) = %v, want ErrInvalidID", id, err)
				}
			}
			for _, tb := range []string{s.Table(), s.Table() + sqlstore.LifecycleTableSuffix} {
				var n int
				if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+tb).Scan(&n); err != nil || n != 0 {
					t.Fatalf("table %s: %d rows, %v", tb, n, err)
				}
			}
		})
	}
}

// TestLifecycleWithoutDDLRights opens a read-only SQLite database whose
// Zoho table is complete but which has no lifecycle table (made before the
// capability, by a user who may not create tables): the store opens and
// works, and its lifecycle methods report ErrNoLifecycleTable.
func TestLifecycleWithoutDDLRights(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "zohooauth.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	tok := storetest.Token(1, "A")
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, "DROP TABLE "+s.Table()+sqlstore.LifecycleTableSuffix); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_txlock=immediate&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ro, err := sqlstore.New(ctx, db, sqlite.Driver())
	if err != nil {
		t.Fatalf("open without the lifecycle table and without the right to create it: %v", err)
	}
	defer ro.Close()
	if _, err := ro.FindTokenByID(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Lifecycle(ctx, tok.ID); !errors.Is(err, sqlstore.ErrNoLifecycleTable) {
		t.Fatalf("Lifecycle without the table = %v, want ErrNoLifecycleTable", err)
	}
	if _, err := ro.UpdateLifecycle(ctx, tok.ID, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil }); !errors.Is(err, sqlstore.ErrNoLifecycleTable) {
		t.Fatalf("UpdateLifecycle without the table = %v, want ErrNoLifecycleTable", err)
	}
}

// TestLifecycleMultiProcess runs storetest.MultiProcessLifecycle, 4
// processes of 8 goroutines incrementing the same records 5 times each, on
// each shared engine: the row lock (the write transaction on SQLite) loses
// no update.
func TestLifecycleMultiProcess(t *testing.T) {
	for _, e := range engines() {
		if e.shared == nil {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			open, opts := sharedEngine(e, 1)
			opts.Goroutines, opts.LockRounds, opts.Check = 8, 5, nil
			opts.Claims = []storetest.Capability{storetest.LifecycleKeeper}
			storetest.MultiProcessLifecycle(t, open, opts)
		})
	}
}

// TestLifecycleTopTokenDeletedByZoho is the reuse of an id: Zoho's SDK (or
// an operator's DELETE) deletes the row with the greatest id and leaves its
// record; the next token saved takes the same id (the greatest plus one,
// as Zoho's SDKs give it) and must start with no record. A batch of 600
// new tokens (two INSERT statements) over orphans in both of its chunks
// likewise, while the records of the rows it updates stay.
func TestLifecycleTopTokenDeletedByZoho(t *testing.T) {
	for _, zt := range zohoTables(t) {
		t.Run(zt.name, func(t *testing.T) {
			z := zt.make(t)
			ctx := t.Context()
			s, err := openShared(ctx, z.d, z.dsn, z.table)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			a, b := storetest.Token(1, "A"), storetest.Token(2, "A")
			for _, tok := range []*zohoauth.Token{a, b} {
				if err := s.SaveToken(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			set := func(id string) {
				t.Helper()
				if _, err := s.UpdateLifecycle(ctx, id, func(l *zohoauth.Lifecycle) error { *l = storetest.FullLifecycle(id); return nil }); err != nil {
					t.Fatalf("UpdateLifecycle(%s): %v", id, err)
				}
			}
			wantZero := func(id string) {
				t.Helper()
				if l, err := s.Lifecycle(ctx, id); err != nil || !l.IsZero() {
					t.Fatalf("the new token %s has the record %+v (%v), want none", id, l, err)
				}
			}
			set(a.ID)
			set(b.ID)
			if _, err := z.db.ExecContext(ctx, "delete from "+z.table+" where id = "+ph(z.d, 1), b.ID); err != nil {
				t.Fatal(err)
			}
			c := storetest.Token(3, "A")
			if err := s.SaveToken(ctx, c); err != nil {
				t.Fatal(err)
			}
			if c.ID != b.ID {
				t.Fatalf("the new token has id %s, want %s", c.ID, b.ID)
			}
			wantZero(c.ID)
			if l, err := s.Lifecycle(ctx, a.ID); err != nil || l.IsZero() {
				t.Fatalf("a's record: %+v, %v", l, err)
			}

			// A batch: orphans at 3 (the first new id), 300 and 602 (in the
			// second INSERT), and an update of a.
			for _, id := range []string{"3", "300", "602"} {
				set(id)
			}
			batch := []*zohoauth.Token{{ID: a.ID, AccessToken: "1000.access.batch"}}
			for i := 0; i < 600; i++ {
				batch = append(batch, storetest.Token(10+i, "B"))
			}
			if err := s.SaveTokens(ctx, batch); err != nil {
				t.Fatal(err)
			}
			if batch[1].ID != "3" || batch[600].ID != "602" {
				t.Fatalf("the batch's ids run from %s to %s, want 3 to 602", batch[1].ID, batch[600].ID)
			}
			for _, id := range []string{"3", "300", "602"} {
				wantZero(id)
			}
			if l, err := s.Lifecycle(ctx, a.ID); err != nil || l.IsZero() {
				t.Fatalf("the record of a token the batch updated: %+v, %v", l, err)
			}
		})
	}
}

// TestSaveTokensOrphansAtRangeEdges checks the orphan record a batch of
// new tokens deletes: that of one of its ids, the least, the greatest or
// one between, across statements of 500 ids, and not the records of other
// ids, inside the range of the batch's ids or out; and that a batch whose
// range holds no record deletes none.
func TestSaveTokensOrphansAtRangeEdges(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			// The record of 650, an id inside the range that the batch
			// lacks, only beside the orphan between the edges: beside an
			// orphan at an edge, the range of records looked for must
			// take the edge in.
			for _, c := range []struct {
				orphan string
				kept   []string
			}{{"100", nil}, {"1300", nil}, {"700", []string{"650"}}} {
				orphan := c.orphan
				ctx := t.Context()
				s := e.open(t)
				var batch []*zohoauth.Token
				for n := 100; n <= 1300; n++ {
					if n == 650 {
						continue // a gap: its record is not the batch's
					}
					tok := storetest.Token(n, "A")
					tok.ID = strconv.Itoa(n)
					batch = append(batch, tok)
				}
				kept := append([]string{"99", "1301", "5000"}, c.kept...)
				for _, id := range append([]string{orphan}, kept...) {
					if _, err := s.UpdateLifecycle(ctx, id, func(l *zohoauth.Lifecycle) error {
						*l = storetest.FullLifecycle(id)
						return nil
					}); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.SaveTokens(ctx, batch); err != nil {
					t.Fatal(err)
				}
				check := func(when string) {
					t.Helper()
					if l, err := s.Lifecycle(ctx, orphan); err != nil || !l.IsZero() {
						t.Errorf("%s: the new token %s kept its orphan record (%v)", when, orphan, err)
					}
					for _, id := range kept {
						if l, err := s.Lifecycle(ctx, id); err != nil || l.IsZero() {
							t.Errorf("%s: the record of %s, no id of the batch, is gone (%v)", when, id, err)
						}
					}
				}
				check("a batch over the records")
				// A batch whose range holds no record: the others stay.
				if err := s.SaveTokens(ctx, []*zohoauth.Token{{ID: "2000", UserName: "new@example.com:1", ClientID: "1000.CLIENTA", RefreshToken: "1000.refresh.new"}}); err != nil {
					t.Fatal(err)
				}
				check("a batch beside the records")
			}
		})
	}
}
