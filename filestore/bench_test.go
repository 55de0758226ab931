package filestore_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storetest"
)

// benchFile writes a token file of the given tokens and returns a store of
// it. The benchmarks measure finds and saves, not the fill.
func benchFile(b *testing.B, toks []*zohoauth.Token, opts ...filestore.Option) *filestore.Store {
	b.Helper()
	data, err := filestore.Marshal(toks)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), filestore.DefaultFile)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	s, err := filestore.New(path, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkFind compares a find by user name and by id in the file store,
// with its cache warm, against the memory store (the baseline, in the same
// run), at 100 and 10,000 tokens. store=file-recheck0 checks the file on
// every read (WithRecheck(0)): the cost of a stat(2) per find.
func BenchmarkFind(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		toks := storetest.Tokens(n)
		users := make([]*zohoauth.Token, 1024)
		ids := make([]string, 1024)
		for i := range users {
			t := toks[(i*7919)%n]
			users[i] = &zohoauth.Token{UserName: t.UserName}
			ids[i] = t.ID
		}
		mem := memory.New()
		if err := mem.Load(toks); err != nil {
			b.Fatal(err)
		}
		stores := []struct {
			name string
			s    zohoauth.Store
		}{
			{"memory", mem},
			{"file", benchFile(b, toks)},
			{"file-recheck0", benchFile(b, toks, filestore.WithRecheck(0))},
		}
		for _, st := range stores {
			b.Run(fmt.Sprintf("by=user/n=%d/store=%s", n, st.name), func(b *testing.B) {
				ctx := b.Context()
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := st.s.FindToken(ctx, users[i&1023]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			b.Run(fmt.Sprintf("by=id/n=%d/store=%s", n, st.name), func(b *testing.B) {
				ctx := b.Context()
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := st.s.FindTokenByID(ctx, ids[i&1023]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// BenchmarkSave measures a save that updates one token's access token: the
// whole file is written to a temporary file, synced and renamed. SetBytes
// is the size of the file written, so MB/s is the write rate; file-bytes is
// that size.
func BenchmarkSave(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		toks := storetest.Tokens(n)
		s := benchFile(b, toks)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ctx := b.Context()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				t := toks[(i*7919)%n]
				up := &zohoauth.Token{UserName: t.UserName, AccessToken: fmt.Sprintf("1000.%032x.access", i)}
				if err := s.SaveToken(ctx, up); err != nil {
					b.Fatal(err)
				}
				i++
			}
			fi, err := os.Stat(s.Path())
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(fi.Size())
			b.ReportMetric(float64(fi.Size()), "file-bytes")
		})
	}
}

// BenchmarkParse measures the parse of a whole file, the main cost of a
// read after another process changed the file.
func BenchmarkParse(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		toks := storetest.Tokens(n)
		data, err := filestore.Marshal(toks)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := filestore.Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLock measures an uncontended Lock and Unlock of one name (two
// read-modify-writes of its lease file, each an open, flock(2), read, write
// and close) against a baseline in the same run: a bare exclusive OS lock
// taken and released on a file (open, flock, unlock, close), the floor of
// any lock between processes through a file. Each iteration runs both, one
// after the other, so that the ratio ("x-flock") holds on a machine whose
// speed drifts; "op-ns" and "flock-ns" are the two times per operation.
// Lease files are not synced, so no disk write is waited for.
func BenchmarkLock(b *testing.B) {
	s := benchFile(b, storetest.Tokens(1))
	fl := flock.New(s.Path() + ".bench")
	ctx := b.Context()
	var opTime, baseTime time.Duration
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		lk, err := s.Lock(ctx, storekit.LockName("1"), time.Second)
		if err != nil {
			b.Fatal(err)
		}
		if err := lk.Unlock(ctx); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := fl.Lock(); err != nil {
			b.Fatal(err)
		}
		if err := fl.Unlock(); err != nil {
			b.Fatal(err)
		}
		opTime += mid.Sub(start)
		baseTime += time.Since(mid)
		n++
	}
	b.ReportMetric(float64(opTime)/float64(n), "op-ns")
	b.ReportMetric(float64(baseTime)/float64(n), "flock-ns")
	b.ReportMetric(float64(opTime)/float64(baseTime), "x-flock")
}

// BenchmarkWalk measures a walk of a file of 20,000 tokens a page of 1,000
// at a time (zohoauth.EachPage, as migrate reads its source) against a
// baseline in the same run: Parse of the same bytes, one pass over the
// text. A walk checks the version first (a second pass) and reads the
// file from the disk; its bytes read per byte of the file should stay near
// that.
func BenchmarkWalk(b *testing.B) {
	toks := storetest.Tokens(20_000)
	data, err := filestore.Marshal(toks)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-Parse", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := filestore.Parse(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("walk", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), filestore.DefaultFile)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		old := time.Now().Add(-time.Minute) // not racy: streamed
		if err := os.Chtimes(path, old, old); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			s, err := filestore.New(path) // a new store: the version is checked again
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			if err := zohoauth.EachPage(b.Context(), s, 1000, func(page []*zohoauth.Token) error {
				n += len(page)
				return nil
			}); err != nil || n != len(toks) {
				b.Fatalf("walked %d tokens, %v", n, err)
			}
			_ = s.Close()
		}
	})
}
