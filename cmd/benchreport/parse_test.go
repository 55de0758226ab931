package main

import (
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

// Result lines as go test writes them, custom metrics included, parse into
// their name, GOMAXPROCS, iterations and values.
func TestParseRealLines(t *testing.T) {
	tests := []struct {
		line string
		want Sample
	}{
		{"BenchmarkValidToken/zohoauth-2         \t 2766284\t         9.206 ns/op\t       0 B/op\t       0 allocs/op",
			Sample{Name: "BenchmarkValidToken/zohoauth", Procs: 2, Iters: 2766284,
				Vals: []Value{{9.206, "ns/op"}, {0, "B/op"}, {0, "allocs/op"}}}},
		{"BenchmarkLock-2   \t      10\t     85104 ns/op\t     15526 flock-ns\t     69363 op-ns\t         4.467 x-flock\t    1212 B/op\t      20 allocs/op",
			Sample{Name: "BenchmarkLock", Procs: 2, Iters: 10,
				Vals: []Value{{85104, "ns/op"}, {15526, "flock-ns"}, {69363, "op-ns"}, {4.467, "x-flock"}, {1212, "B/op"}, {20, "allocs/op"}}}},
		{"BenchmarkLookup/mysql/by-id-2         \t      10\t    334070 ns/op\t    173728 ns/bare-100\t     74745 ns/bare-1k\t     42329 ns/find-100\t     42335 ns/find-1k\t         0.2437 x-bare-100\t         0.5664 x-bare-1k\t         1.000 x-size",
			Sample{Name: "BenchmarkLookup/mysql/by-id", Procs: 2, Iters: 10,
				Vals: []Value{{334070, "ns/op"}, {173728, "ns/bare-100"}, {74745, "ns/bare-1k"}, {42329, "ns/find-100"}, {42335, "ns/find-1k"},
					{0.2437, "x-bare-100"}, {0.5664, "x-bare-1k"}, {1, "x-size"}}}},
		{"BenchmarkCoordinatedRefresh/memory/zoho-delay=100ms-2         \t       1\t 113930490 ns/op\t         1.009 p50/rtt\t       108.5 refresh-rtt-ms\t         1.000 token-calls/expiry",
			Sample{Name: "BenchmarkCoordinatedRefresh/memory/zoho-delay=100ms", Procs: 2, Iters: 1,
				Vals: []Value{{113930490, "ns/op"}, {1.009, "p50/rtt"}, {108.5, "refresh-rtt-ms"}, {1, "token-calls/expiry"}}}},
		// MB/s from SetBytes, a ratio, and no GOMAXPROCS suffix (GOMAXPROCS=1).
		{"BenchmarkParse/n=100\t    5000\t    240000 ns/op\t  87.50 MB/s\t 1.23 ratio",
			Sample{Name: "BenchmarkParse/n=100", Iters: 5000, Vals: []Value{{240000, "ns/op"}, {87.5, "MB/s"}, {1.23, "ratio"}}}},
		// CRLF line endings, and a name of sub-benchmarks with '=' and '-'.
		{"BenchmarkFind/by=user/n=100/store=file-recheck0-16 \t 6632\t 1955 ns/op\r",
			Sample{Name: "BenchmarkFind/by=user/n=100/store=file-recheck0", Procs: 16, Iters: 6632, Vals: []Value{{1955, "ns/op"}}}},
		// Exponents, as ReportMetric may print very large or small values.
		{"BenchmarkX-4\t1\t1.5e+09 ns/op\t3e-05 x-bare-1M",
			Sample{Name: "BenchmarkX", Procs: 4, Iters: 1, Vals: []Value{{1.5e9, "ns/op"}, {3e-5, "x-bare-1M"}}}},
	}
	for _, tt := range tests {
		out, err := Parse(strings.NewReader("pkg: github.com/zohoauth/zohoauth/memory\n" + tt.line + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		tt.want.Pkg = "github.com/zohoauth/zohoauth/memory"
		if len(out.Samples) != 1 || !reflect.DeepEqual(out.Samples[0], tt.want) {
			t.Errorf("Parse(%q) =\n%+v\nwant\n%+v", tt.line, out.Samples, tt.want)
		}
	}
}

// Lines that are not results (logs, failures, prose, broken fields) are
// not read as results.
func TestParseNotResults(t *testing.T) {
	for _, line := range []string{
		"BenchmarkLookup/sqlite-file-2   \t--- FAIL: BenchmarkLookup/sqlite-file",
		"    bench_test.go:151: filled 1000 rows in 12ms",
		"Benchmarks are measured below",
		"BenchmarkX-2",
		"BenchmarkX-2\t10",                            // no value
		"BenchmarkX-2\t10\t5 ns/op\t7",                // a value without a unit
		"BenchmarkX-2\t0\t5 ns/op",                    // no iteration
		"BenchmarkX-2\t-3\t5 ns/op",                   // negative iterations
		"BenchmarkX-2\t1.5\t5 ns/op",                  // fractional iterations
		"BenchmarkX-2\t10\tfast ns/op",                // not a number
		"BenchmarkX-2\t10\t5 6",                       // a unit that is a number
		"BenchmarkX-2\t10\t5 ns/\xff",                 // invalid UTF-8
		"Benchmark\xffX-2\t10\t5 ns/op",               // invalid UTF-8
		"benchmarkX-2\t10\t5 ns/op",                   // lower case
		"  BenchmarkX-2\t10\t5 ns/op",                 // indented (a log)
		"BenchmarkX-2\t99999999999999999999\t5 ns/op", // overflow
	} {
		out, err := Parse(strings.NewReader(line + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Samples) != 0 {
			t.Errorf("Parse(%q) = %+v, want no result", line, out.Samples)
		}
	}
}

// The configuration lines are kept, the package of each result is the last
// "pkg:" line before it, and failures are collected.
func TestParseConfigPackagesFailures(t *testing.T) {
	in := "goos: linux\ngoarch: amd64\npkg: example.com/a\ncpu: Intel(R) Xeon(R) Processor @ 2.0GHz\n" +
		"BenchmarkA-2\t10\t5 ns/op\nPASS\nok  \texample.com/a\t0.1s\n" +
		"pkg: example.com/b\nBenchmarkB-2\t10\t6 ns/op\n--- FAIL: BenchmarkB/sub\n    b_test.go:9: boom\nFAIL\nFAIL\texample.com/b\t0.2s\n" +
		"Not a Key: x\nkey:nospace\n"
	out, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if out.Config["cpu"] != "Intel(R) Xeon(R) Processor @ 2.0GHz" || out.Config["goos"] != "linux" || out.Config["pkg"] != "example.com/b" {
		t.Errorf("config %v", out.Config)
	}
	if _, ok := out.Config["Not a Key"]; ok {
		t.Errorf("config holds a line that is not one: %v", out.Config)
	}
	if _, ok := out.Config["key"]; ok {
		t.Errorf("config holds a line that is not one: %v", out.Config)
	}
	if len(out.Samples) != 2 || out.Samples[0].Pkg != "example.com/a" || out.Samples[1].Pkg != "example.com/b" {
		t.Errorf("samples %+v", out.Samples)
	}
	want := []string{"--- FAIL: BenchmarkB/sub", "FAIL", "FAIL\texample.com/b\t0.2s"}
	if !reflect.DeepEqual(out.Failures, want) {
		t.Errorf("failures %q, want %q", out.Failures, want)
	}
}

// A line longer than maxLine is skipped whole; the lines after it are read.
func TestParseLongLine(t *testing.T) {
	in := "BenchmarkA-2\t10\t5 ns/op" + strings.Repeat("\t1 x", maxLine/4) + "\nBenchmarkB-2\t10\t6 ns/op"
	out, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Samples) != 1 || out.Samples[0].Name != "BenchmarkB" {
		t.Errorf("samples %+v", out.Samples)
	}
}

// The canned output of a tiny run parses whole: every line that starts
// with "Benchmark" is a result.
func TestParseTestdata(t *testing.T) {
	data, err := os.ReadFile("testdata/tiny.txt")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Parse(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Count(string(data), "\nBenchmark"); len(out.Samples) != want {
		t.Errorf("%d results, want %d", len(out.Samples), want)
	}
	if len(out.Failures) != 0 {
		t.Errorf("failures %q", out.Failures)
	}
}

// The median, smallest and greatest value of each metric over runs;
// non-finite values are left out.
func TestSummarize(t *testing.T) {
	s := func(v float64) Sample {
		return Sample{Pkg: "p", Name: "BenchmarkA", Iters: 1, Vals: []Value{{v, "x"}, {math.NaN(), "y"}}}
	}
	r := Summarize([]Sample{s(3), s(1), s(math.Inf(1)), s(2), s(10)})
	b := r.Get("p", "BenchmarkA")
	st, ok := b.Metric("x")
	if !ok || st != (Stat{Median: 2.5, Min: 1, Max: 10, N: 4}) {
		t.Errorf("x: %+v %v", st, ok)
	}
	if _, ok := b.Metric("y"); ok {
		t.Error("a metric of only NaN is summarised")
	}
	if r.Get("q", "BenchmarkA") != nil || r.Get("p", "BenchmarkB") != nil {
		t.Error("Get found a benchmark that did not run")
	}
	r = Summarize([]Sample{{Pkg: "github.com/zohoauth/zohoauth/sqlstore", Name: "BenchmarkA", Iters: 1, Vals: []Value{{1, "x"}}}})
	if r.Get("sqlstore", "BenchmarkA") == nil || r.Get("store", "BenchmarkA") != nil {
		t.Error("Get matches a package by a part of its last element")
	}
}

// FuzzParse: Parse never fails or panics on any input, every result it
// reads is well formed, and a result written back with Format parses into
// itself.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/tiny.txt"); err == nil {
		f.Add(string(data))
	}
	f.Add("BenchmarkX-2\t10\t1.23 ratio\t5 ns/op\n")
	f.Add("pkg: a\nBenchmark-2\t1\tNaN x\t+Inf y\n")
	f.Add("BenchmarkA/b=-1-2\t1\t1 ns/op\r\n--- FAIL: x\n")
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Parse(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.Samples {
			if !strings.HasPrefix(s.Name, "Benchmark") || s.Iters <= 0 || len(s.Vals) == 0 || s.Procs < 0 {
				t.Fatalf("malformed %+v", s)
			}
			for _, v := range s.Vals {
				if v.Unit == "" || strings.ContainsAny(v.Unit, " \t\n\r") {
					t.Fatalf("unit %q", v.Unit)
				}
			}
			again, err := Parse(strings.NewReader("pkg: " + s.Pkg + "\n" + s.Format() + "\n"))
			if err != nil || len(again.Samples) != 1 {
				t.Fatalf("%q parses into %+v, %v", s.Format(), again, err)
			}
			if !sameSample(again.Samples[0], s) {
				t.Fatalf("%+v\nwritten and read again is\n%+v", s, again.Samples[0])
			}
		}
	})
}

func sameSample(a, b Sample) bool {
	if a.Pkg != b.Pkg || a.Name != b.Name || a.Procs != b.Procs || a.Iters != b.Iters || len(a.Vals) != len(b.Vals) {
		return false
	}
	for i := range a.Vals {
		x, y := a.Vals[i], b.Vals[i]
		if x.Unit != y.Unit || !(x.Value == y.Value || math.IsNaN(x.Value) && math.IsNaN(y.Value)) {
			return false
		}
	}
	return true
}
