package filestore_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storetest"
)

// bareRewrite replaces path with data the way any careful program does:
// a temporary file in the same directory, written, synced, closed and
// renamed over path, then the directory synced.
func bareRewrite(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".bare-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// BenchmarkReportSave measures a save that updates one token's access token
// and expiry in files of several sizes (reportSizes; 100 and 10,000 tokens
// unless ZOHOAUTH_BENCH_ROWS says otherwise) against a baseline in the same
// run: a bare atomic rewrite of a file of the same bytes in the same
// directory (bareRewrite), the floor of a save that keeps the file whole
// through a crash. Every iteration times, for every size, one save and one
// bare rewrite in alternating order. Metrics: ns/save-SIZE, ns/bare-SIZE,
// x-bare-SIZE (save ÷ bare) and x-size (save at the largest size ÷ at the
// smallest).
func BenchmarkReportSave(b *testing.B) {
	type file struct {
		n    int
		s    *filestore.Store
		toks []*zohoauth.Token
		data []byte // the bytes of the file, for the bare rewrite
		bare string
	}
	var files []file
	for _, n := range storetest.BenchSizes(100, 10_000) {
		toks := storetest.Tokens(n)
		s := benchFile(b, toks)
		data, err := filestore.Marshal(toks)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, file{n: n, s: s, toks: toks, data: data, bare: filepath.Join(filepath.Dir(s.Path()), "bare.txt")})
	}
	if len(files) == 0 {
		b.Skip("ZOHOAUTH_BENCH_ROWS names no size")
	}
	ctx := b.Context()
	save := make([]time.Duration, len(files))
	bare := make([]time.Duration, len(files))
	for i := 0; b.Loop(); i++ {
		for k, f := range files {
			t := f.toks[(i*7919)%f.n]
			up := &zohoauth.Token{UserName: t.UserName, AccessToken: fmt.Sprintf("1000.%032x.access", i),
				Expiry: t.Expiry.Add(time.Duration(i+1) * time.Second)}
			doSave := func() {
				if err := f.s.SaveToken(ctx, up); err != nil {
					b.Fatal(err)
				}
			}
			doBare := func() {
				if err := bareRewrite(f.bare, f.data); err != nil {
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
	for k, f := range files {
		l := storetest.SizeLabel(f.n)
		b.ReportMetric(per(save[k]), "ns/save-"+l)
		b.ReportMetric(per(bare[k]), "ns/bare-"+l)
		b.ReportMetric(per(save[k])/per(bare[k]), "x-bare-"+l)
	}
	b.ReportMetric(per(save[len(save)-1])/per(save[0]), "x-size")
}

// BenchmarkReportFind measures a find by id, user name and refresh token in
// files of several sizes (reportSizes; 100 and 10,000 tokens unless
// ZOHOAUTH_BENCH_ROWS says otherwise), its cache warmed before the timing,
// against a baseline in the same run: the same find in a memory store of
// the same tokens, the floor of a store that caches the whole file. Every
// iteration times, for every size, a block of finds in each store in
// alternating order; a block amortises the clock reads. Metrics:
// ns/find-SIZE and ns/bare-SIZE (the memory store) per find, x-bare-SIZE
// (file ÷ memory) and x-size (file at the largest size ÷ at the smallest).
func BenchmarkReportFind(b *testing.B) {
	type pair struct {
		n         int
		file, mem zohoauth.Store
		ids       []string
		users     []*zohoauth.Token
		refreshes []*zohoauth.Token
	}
	var pairs []pair
	for _, n := range storetest.BenchSizes(100, 10_000) {
		toks := storetest.Tokens(n)
		mem := memory.New()
		if err := mem.Load(toks); err != nil {
			b.Fatal(err)
		}
		p := pair{n: n, file: benchFile(b, toks), mem: mem}
		for i := range 1024 {
			t := toks[(i*7919)%n]
			p.ids = append(p.ids, t.ID)
			p.users = append(p.users, &zohoauth.Token{UserName: t.UserName})
			p.refreshes = append(p.refreshes, &zohoauth.Token{ClientID: t.ClientID, ClientSecret: "s", RefreshToken: t.RefreshToken})
		}
		if _, err := p.file.FindTokenByID(b.Context(), p.ids[0]); err != nil { // reads and parses the file
			b.Fatal(err)
		}
		pairs = append(pairs, p)
	}
	if len(pairs) == 0 {
		b.Skip("ZOHOAUTH_BENCH_ROWS names no size")
	}
	const block = 64
	ops := []struct {
		name string
		find func(s zohoauth.Store, p *pair, i int) (*zohoauth.Token, error)
	}{
		{"by-id", func(s zohoauth.Store, p *pair, i int) (*zohoauth.Token, error) {
			return s.FindTokenByID(b.Context(), p.ids[i])
		}},
		{"by-user", func(s zohoauth.Store, p *pair, i int) (*zohoauth.Token, error) {
			return s.FindToken(b.Context(), p.users[i])
		}},
		{"by-refresh", func(s zohoauth.Store, p *pair, i int) (*zohoauth.Token, error) {
			return s.FindToken(b.Context(), p.refreshes[i])
		}},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			file := make([]time.Duration, len(pairs))
			mem := make([]time.Duration, len(pairs))
			finds := func(s zohoauth.Store, p *pair, i int) time.Duration {
				t0 := time.Now()
				for j := range block {
					if _, err := op.find(s, p, (i*block+j)%len(p.ids)); err != nil {
						b.Fatal(err)
					}
				}
				return time.Since(t0)
			}
			for i := 0; b.Loop(); i++ {
				for k := range pairs {
					p := &pairs[k]
					if i%2 == 0 {
						file[k] += finds(p.file, p, i)
						mem[k] += finds(p.mem, p, i)
					} else {
						mem[k] += finds(p.mem, p, i)
						file[k] += finds(p.file, p, i)
					}
				}
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*block) }
			for k, p := range pairs {
				l := storetest.SizeLabel(p.n)
				b.ReportMetric(per(file[k]), "ns/find-"+l)
				b.ReportMetric(per(mem[k]), "ns/bare-"+l)
				b.ReportMetric(per(file[k])/per(mem[k]), "x-bare-"+l)
			}
			b.ReportMetric(per(file[len(file)-1])/per(file[0]), "x-size")
		})
	}
}
