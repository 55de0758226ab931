//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storetest"
)

// BenchmarkMigrateVsImport measures `zohoauth migrate` of a token file into
// a new SQLite database, as a process of its own, against a baseline in
// the same run: the sqlite3 shell's `.import --csv` of the same file into
// a database with the same schema and indexes (made by the SQLite store,
// in WAL mode as the store leaves it). The file holds 100,000 tokens
// (ZOHOAUTH_BENCH_ROWS sets other sizes; the first is used), its times
// set in the past (a file changed a moment ago is read whole, not
// streamed). Every iteration runs both, in alternating order.
//
// Metrics, per run: s-cpu-migrate and s-cpu-import (user + system CPU
// seconds of the process), s-wall-migrate and s-wall-import, x-cpu and
// x-wall (migrate ÷ import), and MB-rss-migrate and MB-rss-import (the
// greatest peak resident size of any run), as GNU time reports them.
//
// It needs the sqlite3 shell on PATH and GNU time, and builds the command;
// it is skipped under -short.
func BenchmarkMigrateVsImport(b *testing.B) {
	if testing.Short() {
		b.Skip("builds the command and migrates 100,000 tokens")
	}
	shell, err := exec.LookPath("sqlite3")
	if err != nil {
		b.Skip("no sqlite3 shell on PATH")
	}
	const gnuTime = "/usr/bin/time" // GNU time, for the child's CPU and peak size
	if _, err := os.Stat(gnuTime); err != nil {
		b.Skip("no GNU time at " + gnuTime)
	}
	n := 100_000
	if sizes := storetest.BenchSizes(n); len(sizes) > 0 {
		n = sizes[0]
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "zohoauth")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	src := filepath.Join(dir, "sdk_tokens.txt")
	if err := writeBenchTokens(src, n); err != nil {
		b.Fatal(err)
	}
	// The schema, made once by the store and copied for every run.
	schema := filepath.Join(dir, "schema.db")
	s, err := stores().Open(context.Background(), "sqlite:"+schema)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	empty, err := os.ReadFile(schema)
	if err != nil {
		b.Fatal(err)
	}
	type run struct {
		wall, cpu time.Duration
		rss       int64 // KiB
	}
	// GNU time runs each command: a child of this process would report
	// this process's resident size as its own peak (the memory it was
	// forked with), a child of time that of time.
	exe := func(db string, args ...string) run {
		_ = os.Remove(db)
		_ = os.Remove(db + "-wal")
		_ = os.Remove(db + "-shm")
		if err := os.WriteFile(db, empty, 0o600); err != nil {
			b.Fatal(err)
		}
		usage := filepath.Join(dir, "usage")
		c := exec.Command(gnuTime, append([]string{"-f", "%U %S %M", "-o", usage}, args...)...)
		start := time.Now()
		out, err := c.CombinedOutput()
		wall := time.Since(start)
		if err != nil {
			b.Fatalf("%s: %v\n%s", args[0], err, out)
		}
		data, err := os.ReadFile(usage)
		if err != nil {
			b.Fatal(err)
		}
		var user, sys float64
		var r run
		if _, err := fmt.Sscan(string(data), &user, &sys, &r.rss); err != nil {
			b.Fatalf("%s: %q: %v", gnuTime, data, err)
		}
		r.wall, r.cpu = wall, time.Duration((user+sys)*float64(time.Second))
		return r
	}
	migrate := func() run {
		db := filepath.Join(dir, "migrate.db")
		return exe(db, bin, "migrate", "--from", "file:"+src, "--to", "sqlite:"+db)
	}
	imp := func() run {
		db := filepath.Join(dir, "import.db")
		return exe(db, shell, db, ".import --csv --skip 1 "+src+" oauthtoken")
	}
	var m, im run
	add := func(sum *run, r run) {
		sum.wall += r.wall
		sum.cpu += r.cpu
		sum.rss = max(sum.rss, r.rss)
	}
	for i := 0; b.Loop(); i++ {
		if i%2 == 0 {
			add(&m, migrate())
			add(&im, imp())
		} else {
			add(&im, imp())
			add(&m, migrate())
		}
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(m.cpu), "s-cpu-migrate")
	b.ReportMetric(per(im.cpu), "s-cpu-import")
	b.ReportMetric(per(m.wall), "s-wall-migrate")
	b.ReportMetric(per(im.wall), "s-wall-import")
	b.ReportMetric(per(m.cpu)/per(im.cpu), "x-cpu")
	b.ReportMetric(per(m.wall)/per(im.wall), "x-wall")
	b.ReportMetric(float64(m.rss)/1024, "MB-rss-migrate")
	b.ReportMetric(float64(im.rss)/1024, "MB-rss-import")
}

// writeBenchTokens writes a token file of n tokens, in id order as the
// file store and Zoho's SDKs write it, with its times a minute in the past,
// a chunk of tokens at a time.
func writeBenchTokens(path string, n int) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	exp := time.UnixMilli(1_800_000_000_000)
	const chunk = 10_000
	for start := 0; start < n; start += chunk {
		tokens := make([]*zohoauth.Token, 0, chunk)
		for i := start; i < min(start+chunk, n); i++ {
			tokens = append(tokens, &zohoauth.Token{
				ID:           fmt.Sprint(i + 1),
				UserName:     fmt.Sprintf("user%d@example.com:%d", i, 700000+i),
				ClientID:     fmt.Sprintf("1000.MIGRATE%02d", i%50),
				ClientSecret: fmt.Sprintf("%040x", i%50),
				RefreshToken: fmt.Sprintf("1000.%032x.%032x", i, i*7919),
				AccessToken:  fmt.Sprintf("1000.%032x.%032x", i*31, i),
				Expiry:       exp.Add(time.Duration(i) * time.Second),
				RedirectURL:  "http://127.0.0.1:8910/callback",
				APIDomain:    "https://www.zohoapis.eu",
			})
		}
		data, err := filestore.Marshal(tokens)
		if err != nil {
			f.Close()
			return err
		}
		if start > 0 {
			data = data[len(filestore.Header):]
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	past := time.Now().Add(-time.Minute)
	return os.Chtimes(path, past, past)
}
