package sqlstore_test

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storetest"
)

// BenchmarkReportSave measures a save that updates one user's access token
// and expiry, on tables of several sizes (benchSizes), against a baseline
// in the same run: the bare driver's single-row UPDATE of the same two
// columns by primary key, on the same connection pool (so with the same
// durability settings), the floor of any save of a refresh. Every
// iteration times, for every size, one save and one bare UPDATE of the
// same random row in alternating order. Metrics: ns/save-SIZE,
// ns/bare-SIZE, x-bare-SIZE (save ÷ bare) and x-size (save at the largest
// size ÷ at the smallest).
func BenchmarkReportSave(b *testing.B) {
	for _, e := range engines() {
		if e.name == "sqlite-memory" {
			continue
		}
		b.Run(e.name, func(b *testing.B) {
			type table struct {
				n    int
				s    *sqlstore.Store
				bare *sql.Stmt
				r    *rand.Rand
			}
			var tables []table
			first := e.open(b) // skips when the engine's server is not configured
			for j, n := range benchSizes(first.Dialect()) {
				s := first
				if j > 0 {
					s = e.open(b)
				}
				fill(b, s, n)
				d := s.Dialect()
				bare, err := s.DB().PrepareContext(context.Background(), "UPDATE "+s.Table()+" SET access_token = "+ph1(d, 1)+
					", expiry_time = "+ph1(d, 2)+" WHERE id = "+ph1(d, 3))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = bare.Close() })
				tables = append(tables, table{n: n, s: s, bare: bare, r: rand.New(rand.NewPCG(3, uint64(n)))})
			}
			if len(tables) == 0 {
				b.Skip("ZOHOAUTH_BENCH_ROWS names no size")
			}
			ctx := context.Background()
			save := make([]time.Duration, len(tables))
			bare := make([]time.Duration, len(tables))
			for i := 0; b.Loop(); i++ {
				for k, tb := range tables {
					row := tb.r.IntN(tb.n)
					// The save and the bare UPDATE write different values, so
					// that neither finds the row already as it would write it
					// (a save that changes nothing writes nothing).
					access := benchSecret("a3", i)
					bareAccess := benchSecret("b3", i)
					expiry := time.UnixMilli(1795879420612 + int64(i+1)*1000)
					doSave := func() {
						if err := tb.s.SaveToken(ctx, &zohoauth.Token{UserName: benchUser(row), AccessToken: access, Expiry: expiry}); err != nil {
							b.Fatal(err)
						}
					}
					doBare := func() {
						if _, err := tb.bare.ExecContext(ctx, bareAccess, strconv.FormatInt(expiry.UnixMilli(), 10), strconv.Itoa(row+1)); err != nil {
							b.Fatal(err)
						}
					}
					t0 := time.Now()
					if i%2 == 0 {
						doSave()
					} else {
						doBare()
					}
					t1 := time.Now()
					if i%2 == 0 {
						doBare()
					} else {
						doSave()
					}
					t2 := time.Now()
					if i%2 == 0 {
						save[k] += t1.Sub(t0)
						bare[k] += t2.Sub(t1)
					} else {
						bare[k] += t1.Sub(t0)
						save[k] += t2.Sub(t1)
					}
				}
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
			for k, tb := range tables {
				l := storetest.SizeLabel(tb.n)
				b.ReportMetric(per(save[k]), "ns/save-"+l)
				b.ReportMetric(per(bare[k]), "ns/bare-"+l)
				b.ReportMetric(per(save[k])/per(bare[k]), "x-bare-"+l)
			}
			b.ReportMetric(per(save[len(save)-1])/per(save[0]), "x-size")
		})
	}
}

// ph1 returns the n-th placeholder of the dialect: ? or $n.
func ph1(d sqlstore.Dialect, n int) string {
	if d == sqlstore.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}
