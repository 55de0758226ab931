package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A Value is one measurement of a result line: 12.5 ns/op, 1.23 x-bare-1k.
type Value struct {
	Value float64
	Unit  string
}

// A Sample is one result line of `go test -bench`.
type Sample struct {
	Pkg   string // the import path of the last "pkg:" line before it
	Name  string // the full name, "Benchmark…", without the -GOMAXPROCS suffix
	Procs int    // the -GOMAXPROCS suffix; 0 when the name has none
	Iters int64
	Vals  []Value
}

// Output is what Parse read from the output of `go test -bench`.
type Output struct {
	Config   map[string]string // the last value of each "key: value" line (goos, cpu, …)
	Samples  []Sample
	Failures []string // the "--- FAIL:" lines and the "FAIL" lines of packages
}

// maxLine bounds a line; a longer line is read whole but not parsed.
const maxLine = 1 << 20

// Parse reads the output of `go test -bench` in the standard benchmark
// format (one result per line: name, iterations, then value-unit pairs)
// and returns its results, its configuration lines and its failures.
// Anything else (logs, "--- BENCH:" blocks, PASS/ok lines) is ignored. It
// fails only when r fails.
func Parse(r io.Reader) (*Output, error) {
	out := &Output{Config: map[string]string{}}
	br := bufio.NewReader(r)
	pkg := ""
	for {
		line, err := br.ReadString('\n')
		if line != "" && len(line) <= maxLine {
			line = strings.TrimRight(line, "\r\n")
			switch {
			case strings.HasPrefix(line, "Benchmark"):
				if s, ok := parseResult(line); ok {
					s.Pkg = pkg
					out.Samples = append(out.Samples, s)
				}
			case strings.HasPrefix(strings.TrimSpace(line), "--- FAIL:"), line == "FAIL", strings.HasPrefix(line, "FAIL\t"):
				out.Failures = append(out.Failures, strings.TrimSpace(line))
			default:
				if k, v, ok := parseConfig(line); ok {
					out.Config[k] = v
					if k == "pkg" {
						pkg = v
					}
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("read benchmark output: %w", err)
		}
	}
}

// parseConfig parses a "key: value" line of the benchmark format: a key
// that starts with a lower-case letter and holds no space or upper-case
// letter.
func parseConfig(line string) (key, value string, ok bool) {
	key, value, ok = strings.Cut(line, ":")
	if !ok || key == "" || !utf8.ValidString(line) {
		return "", "", false
	}
	if c := key[0]; c < 'a' || c > 'z' {
		return "", "", false
	}
	for _, c := range key {
		if unicode.IsSpace(c) || unicode.IsUpper(c) {
			return "", "", false
		}
	}
	if value != "" && value[0] != ' ' {
		return "", "", false
	}
	return key, strings.TrimSpace(value), true
}

// parseResult parses a result line; ok is false when the line is not one.
func parseResult(line string) (Sample, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || len(f)%2 != 0 || !validName(f[0]) {
		return Sample{}, false
	}
	iters, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || iters <= 0 {
		return Sample{}, false
	}
	s := Sample{Iters: iters}
	s.Name, s.Procs = splitProcs(f[0])
	for i := 2; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return Sample{}, false
		}
		if !validUnit(f[i+1]) {
			return Sample{}, false
		}
		s.Vals = append(s.Vals, Value{Value: v, Unit: f[i+1]})
	}
	return s, true
}

// validName reports whether f is a benchmark name: "Benchmark", then
// nothing or a character that is not a lower-case letter, all valid UTF-8.
func validName(f string) bool {
	rest, ok := strings.CutPrefix(f, "Benchmark")
	if !ok || !utf8.ValidString(f) {
		return false
	}
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return !unicode.IsLower(r)
}

// validUnit reports whether u can be a unit: valid UTF-8 that does not
// parse as a number.
func validUnit(u string) bool {
	if !utf8.ValidString(u) {
		return false
	}
	_, err := strconv.ParseFloat(u, 64)
	return err != nil
}

// splitProcs splits the -GOMAXPROCS suffix off a benchmark name.
func splitProcs(name string) (string, int) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || i == len(name)-1 {
		return name, 0
	}
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return name, 0
		}
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil || n <= 0 {
		return name, 0
	}
	return name[:i], n
}

// Format writes s as a result line of the benchmark format.
func (s Sample) Format() string {
	var b strings.Builder
	b.WriteString(s.Name)
	if s.Procs > 0 {
		b.WriteString("-" + strconv.Itoa(s.Procs))
	}
	b.WriteString("\t" + strconv.FormatInt(s.Iters, 10))
	for _, v := range s.Vals {
		b.WriteString("\t" + strconv.FormatFloat(v.Value, 'g', -1, 64) + " " + v.Unit)
	}
	return b.String()
}

// A Stat summarises the values of one metric over the runs (-count) of
// one benchmark: the median, the smallest and the greatest finite value.
type Stat struct {
	Median, Min, Max float64
	N                int
}

// A Bench is one benchmark of a package, its metrics summarised over runs.
type Bench struct {
	Pkg, Name string
	Metrics   map[string]Stat
}

// Metric returns the stat of unit and whether the benchmark reported it.
func (b *Bench) Metric(unit string) (Stat, bool) {
	if b == nil {
		return Stat{}, false
	}
	s, ok := b.Metrics[unit]
	return s, ok
}

// Results is the summary of a set of samples, by package and name.
type Results struct {
	byKey map[[2]string]*Bench
	order [][2]string
}

// Summarize groups samples by package and name and summarises every
// metric; non-finite values (a division by zero in a benchmark) are left
// out of the summary.
func Summarize(samples []Sample) *Results {
	vals := map[[2]string]map[string][]float64{}
	res := &Results{byKey: map[[2]string]*Bench{}}
	for _, s := range samples {
		k := [2]string{s.Pkg, s.Name}
		if vals[k] == nil {
			vals[k] = map[string][]float64{}
			res.order = append(res.order, k)
		}
		for _, v := range s.Vals {
			if !math.IsNaN(v.Value) && !math.IsInf(v.Value, 0) {
				vals[k][v.Unit] = append(vals[k][v.Unit], v.Value)
			}
		}
	}
	for _, k := range res.order {
		b := &Bench{Pkg: k[0], Name: k[1], Metrics: map[string]Stat{}}
		for unit, vs := range vals[k] {
			b.Metrics[unit] = summarize(vs)
		}
		res.byKey[k] = b
	}
	return res
}

func summarize(vs []float64) Stat {
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Median: m, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// Get returns the benchmark name of package pkg (an import path ending in
// /pkg, or pkg itself), nil when the run has none.
func (r *Results) Get(pkg, name string) *Bench {
	for _, k := range r.order {
		if k[1] == name && (k[0] == pkg || strings.HasSuffix(k[0], "/"+pkg)) {
			return r.byKey[k]
		}
	}
	return nil
}

// Each returns the benchmarks of package pkg whose names start with
// prefix, in the order of the output.
func (r *Results) Each(pkg, prefix string) []*Bench {
	var out []*Bench
	for _, k := range r.order {
		if (k[0] == pkg || strings.HasSuffix(k[0], "/"+pkg)) && strings.HasPrefix(k[1], prefix) {
			out = append(out, r.byKey[k])
		}
	}
	return out
}
