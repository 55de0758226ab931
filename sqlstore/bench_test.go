package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storetest"
)

// benchSizes returns the table sizes of the look-up benchmarks of an engine:
// ZOHOAUTH_BENCH_ROWS (comma-separated) when set, otherwise 1k, 100k and 1M
// rows for SQLite and 1k and 100k for the servers.
func benchSizes(d sqlstore.Dialect) []int {
	if env := os.Getenv("ZOHOAUTH_BENCH_ROWS"); env != "" {
		var out []int
		for _, f := range strings.Split(env, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
				out = append(out, n)
			}
		}
		return out
	}
	if d == sqlstore.SQLite {
		return []int{1_000, 100_000, 1_000_000}
	}
	return []int{1_000, 100_000}
}

func benchUser(i int) string { return fmt.Sprintf("user%07d@example.com:6%09d", i, i) }

// benchSecret returns a token-like value, different for every row.
func benchSecret(kind string, i int) string {
	sum := sha256.Sum256([]byte(kind + strconv.Itoa(i)))
	return "1000." + hex.EncodeToString(sum[:16]) + "." + hex.EncodeToString(sum[16:])
}

// fill inserts n Zoho-shaped rows, ids 1..n, with multi-row INSERTs in one
// transaction per 100,000 rows (insertBare), and on PostgreSQL analyzes the
// table.
func fill(b *testing.B, s *sqlstore.Store, n int) {
	b.Helper()
	insertBare(b, s, n)
	if s.Dialect() == sqlstore.Postgres {
		if _, err := s.DB().ExecContext(context.Background(), "ANALYZE "+s.Table()); err != nil {
			b.Fatal(err)
		}
	}
}

// insertBare inserts n Zoho-shaped rows, ids 1..n, with the bare driver:
// multi-row INSERTs of 500 rows, in one transaction per 100,000 rows.
func insertBare(b *testing.B, s *sqlstore.Store, n int) {
	b.Helper()
	ctx := context.Background()
	const batch = 500
	for start := 0; start < n; {
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		for end := min(start+100_000, n); start < end; {
			rows := min(batch, end-start)
			var q strings.Builder
			q.WriteString("INSERT INTO " + s.Table() + " VALUES ")
			args := make([]any, 0, rows*10)
			for r := 0; r < rows; r++ {
				i := start + r
				if r > 0 {
					q.WriteString(",")
				}
				q.WriteString("(" + ph(s.Dialect(), 10) + ")")
				args = append(args, strconv.Itoa(i+1), benchUser(i), "1000.CLIENTID", benchSecret("s", i%7),
					benchSecret("r", i), benchSecret("a", i), nil, strconv.FormatInt(1795879420612+int64(i), 10),
					"https://example.com/oauth/callback", "https://www.zohoapis.com")
			}
			query := q.String()
			if s.Dialect() == sqlstore.Postgres {
				k := 0
				query = rebindAll(query, &k)
			}
			if _, err := tx.ExecContext(ctx, query, args...); err != nil {
				b.Fatal(err)
			}
			start += rows
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// rebindAll numbers the $n placeholders of a multi-row PostgreSQL INSERT
// (ph numbers each row from $1).
func rebindAll(q string, k *int) string {
	var out strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] != '$' {
			out.WriteByte(q[i])
			continue
		}
		for i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
			i++
		}
		*k++
		out.WriteString("$" + strconv.Itoa(*k))
	}
	return out.String()
}

// BenchmarkLookup measures the three look-ups on tables of several sizes
// (benchSizes) against the bare driver's single-row SELECT by primary key
// on the same table. The machines are shared and noisy, so every iteration
// times, for every size, one bare SELECT and one look-up of the store in
// alternating order: the ratios compare figures of the same moments.
// Metrics: ns/find-SIZE and ns/bare-SIZE, x-bare-SIZE (find ÷ bare) and
// x-size (find at the largest size ÷ find at the smallest).
func BenchmarkLookup(b *testing.B) {
	type target struct {
		name string
		d    sqlstore.Dialect
		open func(b *testing.B) *sqlstore.Store
	}
	targets := []target{
		{"sqlite-file", sqlstore.SQLite, func(b *testing.B) *sqlstore.Store {
			return openSQLite(b, filepath.Join(b.TempDir(), "bench.db"))
		}},
		{"mysql", sqlstore.MySQL, func(b *testing.B) *sqlstore.Store {
			return openServer(b, sqlstore.MySQL, storetest.Server(b, storetest.EnvMySQL), tableName())
		}},
		{"postgres", sqlstore.Postgres, func(b *testing.B) *sqlstore.Store {
			return openServer(b, sqlstore.Postgres, storetest.Server(b, storetest.EnvPostgres), tableName())
		}},
	}
	for _, tg := range targets {
		b.Run(tg.name, func(b *testing.B) {
			var tables []*benchTable
			for _, n := range benchSizes(tg.d) {
				s := tg.open(b)
				start := time.Now()
				fill(b, s, n)
				b.Logf("filled %d rows in %v", n, time.Since(start).Round(time.Millisecond))
				tables = append(tables, newBenchTable(b, s, n))
			}
			benchLookups(b, tables)
		})
	}
}

// benchTable is a filled table, its bare primary-key SELECT and the random
// rows to look up.
type benchTable struct {
	n    int
	s    *sqlstore.Store
	bare *sql.Stmt
	keys []benchKey
}

// benchKey is a row to look up, with its keys built ahead of the timing.
type benchKey struct {
	id, user, refresh string
}

func newBenchTable(b *testing.B, s *sqlstore.Store, n int) *benchTable {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	keys := make([]benchKey, 4096)
	for i := range keys {
		k := r.IntN(n)
		keys[i] = benchKey{id: strconv.Itoa(k + 1), user: benchUser(k), refresh: benchSecret("r", k)}
	}
	bare, err := s.DB().PrepareContext(context.Background(), "SELECT id, user_name, client_id, client_secret, refresh_token, access_token, grant_token, expiry_time, redirect_url, api_domain FROM "+
		s.Table()+" WHERE id = "+ph(s.Dialect(), 1))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bare.Close() })
	return &benchTable{n: n, s: s, bare: bare, keys: keys}
}

func benchLookups(b *testing.B, tables []*benchTable) {
	ctx := context.Background()
	ops := []struct {
		name string
		find func(s *sqlstore.Store, k benchKey) (*zohoauth.Token, error)
	}{
		{"by-id", func(s *sqlstore.Store, k benchKey) (*zohoauth.Token, error) {
			return s.FindTokenByID(ctx, k.id)
		}},
		{"by-user", func(s *sqlstore.Store, k benchKey) (*zohoauth.Token, error) {
			return s.FindToken(ctx, &zohoauth.Token{UserName: k.user})
		}},
		{"by-refresh", func(s *sqlstore.Store, k benchKey) (*zohoauth.Token, error) {
			return s.FindToken(ctx, &zohoauth.Token{ClientID: "1000.CLIENTID", ClientSecret: "x", RefreshToken: k.refresh})
		}},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			find := make([]time.Duration, len(tables))
			bare := make([]time.Duration, len(tables))
			var v [10]sql.NullString
			bareLookup := func(tb *benchTable, k benchKey) {
				if err := tb.bare.QueryRowContext(ctx, k.id).Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]); err != nil {
					b.Fatal(err)
				}
			}
			var tok *zohoauth.Token
			storeLookup := func(tb *benchTable, k benchKey) {
				var err error
				if tok, err = op.find(tb.s, k); err != nil {
					b.Fatal(err)
				}
			}
			for i := 0; b.Loop(); i++ {
				for j, tb := range tables {
					k := tb.keys[i%len(tb.keys)]
					if i%2 == 0 {
						t0 := time.Now()
						bareLookup(tb, k)
						t1 := time.Now()
						storeLookup(tb, k)
						find[j] += time.Since(t1)
						bare[j] += t1.Sub(t0)
					} else {
						t0 := time.Now()
						storeLookup(tb, k)
						t1 := time.Now()
						bareLookup(tb, k)
						bare[j] += time.Since(t1)
						find[j] += t1.Sub(t0)
					}
					if tok.UserName != k.user || v[1].String != k.user {
						b.Fatalf("row %s: found %s and %s", k.id, tok.UserName, v[1].String)
					}
				}
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
			for j, tb := range tables {
				l := storetest.SizeLabel(tb.n)
				b.ReportMetric(per(find[j]), "ns/find-"+l)
				b.ReportMetric(per(bare[j]), "ns/bare-"+l)
				b.ReportMetric(per(find[j])/per(bare[j]), "x-bare-"+l)
			}
			b.ReportMetric(per(find[len(find)-1])/per(find[0]), "x-size")
		})
	}
}

// BenchmarkSave measures a save (an update of an existing user, and an
// insert, which looks up the greatest id) on tables of 1,000 and 100,000
// rows: both stay flat as the table grows.
func BenchmarkSave(b *testing.B) {
	for _, e := range engines() {
		for _, n := range []int{1_000, 100_000} {
			b.Run(fmt.Sprintf("%s/rows=%s", e.name, storetest.SizeLabel(n)), func(b *testing.B) {
				s := e.open(b)
				fill(b, s, n)
				ctx := context.Background()
				b.Run("update", func(b *testing.B) {
					for i := 0; b.Loop(); i++ {
						if err := s.SaveToken(ctx, &zohoauth.Token{UserName: benchUser(i % n), AccessToken: benchSecret("a2", i)}); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run("insert", func(b *testing.B) {
					for i := 0; b.Loop(); i++ {
						if err := s.SaveToken(ctx, &zohoauth.Token{UserName: fmt.Sprintf("new%d-%d@example.com:1", b.N, i), RefreshToken: "r"}); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}
