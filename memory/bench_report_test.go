package memory_test

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storetest"
)

// reportTable is a filled store, bare maps from each key to the same
// tokens, and the tokens to look up, spread over the table.
type reportTable struct {
	n                     int
	s                     *memory.Store
	byID, byUser, byFresh map[string]*zohoauth.Token
	keys                  []*zohoauth.Token
	users, refreshes      []*zohoauth.Token // the queries of keys
}

func newReportTable(b *testing.B, n int) *reportTable {
	b.Helper()
	toks := storetest.Tokens(n)
	s := memory.New()
	if err := s.Load(toks); err != nil {
		b.Fatal(err)
	}
	t := &reportTable{n: n, s: s,
		byID:    make(map[string]*zohoauth.Token, n),
		byUser:  make(map[string]*zohoauth.Token, n),
		byFresh: make(map[string]*zohoauth.Token, n),
	}
	for _, tok := range toks {
		t.byID[tok.ID] = tok
		t.byUser[tok.UserName] = tok
		t.byFresh[tok.RefreshToken] = tok
	}
	r := rand.New(rand.NewPCG(2, uint64(n)))
	for range 4096 {
		k := toks[r.IntN(n)]
		t.keys = append(t.keys, k)
		t.users = append(t.users, &zohoauth.Token{UserName: k.UserName})
		t.refreshes = append(t.refreshes, &zohoauth.Token{ClientID: k.ClientID, ClientSecret: "s", RefreshToken: k.RefreshToken})
	}
	return t
}

// BenchmarkReportFind measures the finds by id, user name and refresh token
// in stores of several sizes (reportSizes; 1k, 100k and 1M tokens unless
// ZOHOAUTH_BENCH_ROWS says otherwise) against a baseline in the same run:
// a bare Go map from the same key to the token, looked up and copied (the
// store hands out copies), the floor of an in-memory index. Every
// iteration times, for every size, a block of finds and a block of bare
// look-ups of the same keys, in alternating order, so that the ratios
// compare figures of the same moments; a block amortises the clock reads.
// Metrics: ns/find-SIZE and ns/bare-SIZE per look-up, x-bare-SIZE (find ÷
// bare), x-size (find at the largest size ÷ at the smallest) and
// x-size-bare (the same for the bare map: how much the hardware alone
// slows a look-up from the smallest size to the largest). The cpu-
// metrics are the same figures in the CPU time of the benchmark's thread
// (storetest.ThreadTime), which leaves out the time the thread waited for
// a CPU on a loaded machine.
func BenchmarkReportFind(b *testing.B) {
	var tables []*reportTable
	for _, n := range storetest.BenchSizes(1_000, 100_000, 1_000_000) {
		tables = append(tables, newReportTable(b, n))
	}
	if len(tables) == 0 {
		b.Skip("ZOHOAUTH_BENCH_ROWS names no size")
	}
	const block = 64
	ops := []struct {
		name string
		find func(t *reportTable, i int) (*zohoauth.Token, error)
		bare func(t *reportTable, i int) *zohoauth.Token
	}{
		{"by-id",
			func(t *reportTable, i int) (*zohoauth.Token, error) {
				return t.s.FindTokenByID(b.Context(), t.keys[i].ID)
			},
			func(t *reportTable, i int) *zohoauth.Token { return t.byID[t.keys[i].ID].Clone() }},
		{"by-user",
			func(t *reportTable, i int) (*zohoauth.Token, error) { return t.s.FindToken(b.Context(), t.users[i]) },
			func(t *reportTable, i int) *zohoauth.Token { return t.byUser[t.users[i].UserName].Clone() }},
		{"by-refresh",
			func(t *reportTable, i int) (*zohoauth.Token, error) {
				return t.s.FindToken(b.Context(), t.refreshes[i])
			},
			func(t *reportTable, i int) *zohoauth.Token { return t.byFresh[t.refreshes[i].RefreshToken].Clone() }},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			find := make([]time.Duration, len(tables))
			bare := make([]time.Duration, len(tables))
			cpuFind := make([]time.Duration, len(tables))
			cpuBare := make([]time.Duration, len(tables))
			var got, want *zohoauth.Token
			finds := func(t *reportTable, i int) {
				for j := range block {
					var err error
					if got, err = op.find(t, (i*block+j)%len(t.keys)); err != nil {
						b.Fatal(err)
					}
				}
			}
			bares := func(t *reportTable, i int) {
				for j := range block {
					want = op.bare(t, (i*block+j)%len(t.keys))
				}
			}
			for i := 0; b.Loop(); i++ {
				for k, t := range tables {
					c0, _ := storetest.ThreadTime()
					t0 := time.Now()
					if i%2 == 0 {
						finds(t, i)
					} else {
						bares(t, i)
					}
					t1 := time.Now()
					c1, _ := storetest.ThreadTime()
					if i%2 == 0 {
						bares(t, i)
					} else {
						finds(t, i)
					}
					t2 := time.Now()
					c2, _ := storetest.ThreadTime()
					if i%2 == 0 {
						find[k] += t1.Sub(t0)
						bare[k] += t2.Sub(t1)
						cpuFind[k] += c1 - c0
						cpuBare[k] += c2 - c1
					} else {
						bare[k] += t1.Sub(t0)
						find[k] += t2.Sub(t1)
						cpuBare[k] += c1 - c0
						cpuFind[k] += c2 - c1
					}
					if got.ID != want.ID {
						b.Fatalf("found id %s, the map holds %s", got.ID, want.ID)
					}
				}
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*block) }
			last := len(tables) - 1
			for k, t := range tables {
				l := storetest.SizeLabel(t.n)
				b.ReportMetric(per(find[k]), "ns/find-"+l)
				b.ReportMetric(per(bare[k]), "ns/bare-"+l)
				b.ReportMetric(per(find[k])/per(bare[k]), "x-bare-"+l)
				if _, ok := storetest.ThreadTime(); ok {
					b.ReportMetric(per(cpuFind[k]), "cpu-ns/find-"+l)
					b.ReportMetric(per(cpuBare[k]), "cpu-ns/bare-"+l)
					b.ReportMetric(per(cpuFind[k])/per(cpuBare[k]), "cpu-x-bare-"+l)
				}
			}
			b.ReportMetric(per(find[last])/per(find[0]), "x-size")
			b.ReportMetric(per(bare[last])/per(bare[0]), "x-size-bare")
			if _, ok := storetest.ThreadTime(); ok {
				b.ReportMetric(per(cpuFind[last])/per(cpuFind[0]), "cpu-x-size")
				b.ReportMetric(per(cpuBare[last])/per(cpuBare[0]), "cpu-x-size-bare")
			}
		})
	}
}
