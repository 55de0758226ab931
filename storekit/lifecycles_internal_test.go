package storekit

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/zohoauth/zohoauth"
)

// sortedAfter is After as Lifecycles did it before it kept its ids in
// order: every record after after, sorted, then cut to limit. It is the
// reference of TestLifecyclesAfterMatchesSort and the baseline of
// BenchmarkLifecyclesSweep.
func sortedAfter(t *Lifecycles, after string, limit int) []zohoauth.Lifecycle {
	if limit < 1 {
		return nil
	}
	var out []zohoauth.Lifecycle
	for id, l := range t.m {
		if after == "" || CompareLifecycleIDs(id, after) > 0 {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b zohoauth.Lifecycle) int { return CompareLifecycleIDs(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// TestLifecyclesAfterMatchesSort runs random puts, deletes (enough to
// compact the tombstones several times), zero puts and resets, and after
// each step compares pages of After, from random and existing ids, with the
// sort of every record.
func TestLifecyclesAfterMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	id := func() string {
		s := strconv.Itoa(r.IntN(400))
		if r.IntN(8) == 0 {
			s = "0" + s // ids of one value: "7" and "07"
		}
		return s
	}
	var l Lifecycles
	for step := 0; step < 20000; step++ {
		switch op := r.IntN(100); {
		case op < 50:
			l.Put(zohoauth.Lifecycle{ID: id(), Failures: step + 1})
		case op < 90:
			l.Delete(id())
		case op < 98:
			l.Put(zohoauth.Lifecycle{ID: id()}) // zero: a delete
		case op < 99 && step%500 == 0:
			l.Reset()
		}
		if len(l.order) < len(l.m) {
			t.Fatalf("step %d: %d ids in order for %d records", step, len(l.order), len(l.m))
		}
		if step%50 != 0 {
			continue
		}
		for _, after := range []string{"", id(), "0", "9999999999"} {
			limit := 1 + r.IntN(40)
			got, want := l.After(after, limit), sortedAfter(&l, after, limit)
			if len(got) != len(want) {
				t.Fatalf("step %d: After(%q, %d) has %d records, want %d", step, after, limit, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("step %d: After(%q, %d)[%d] = %+v, want %+v", step, after, limit, i, got[i], want[i])
				}
			}
		}
		if all := l.All(); len(all) != l.Len() {
			t.Fatalf("step %d: All has %d records, Len %d", step, len(all), l.Len())
		}
	}
}

// BenchmarkLifecyclesSweep pages through 100k records, 1000 a page, as a
// sweeper does: ordered (After now) against sorted (After before this
// change, sortedAfter), in the same run. One op is a whole sweep.
func BenchmarkLifecyclesSweep(b *testing.B) {
	var l Lifecycles
	for i := 1; i <= 100_000; i++ {
		l.Put(zohoauth.Lifecycle{ID: strconv.Itoa(i), Failures: 1})
	}
	for _, bc := range []struct {
		name  string
		after func(*Lifecycles, string, int) []zohoauth.Lifecycle
	}{
		{"ordered", (*Lifecycles).After},
		{"sorted", sortedAfter},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				n, after := 0, ""
				for {
					page := bc.after(&l, after, 1000)
					n += len(page)
					if len(page) < 1000 {
						break
					}
					after = page[len(page)-1].ID
				}
				if n != 100_000 {
					b.Fatalf("swept %d records", n)
				}
			}
		})
	}
}
