package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/storetest"
)

// tinyResults parses testdata/tiny.txt, the output of a run of every job at
// a tiny -benchtime with every server configured.
func tinyResults(t *testing.T) *Results {
	t.Helper()
	data, err := os.ReadFile("testdata/tiny.txt")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return Summarize(out.Samples)
}

// wellFormed decodes an SVG document whole and returns its character data.
func wellFormed(t *testing.T, name string, doc []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var text strings.Builder
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v\n%s", name, err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 && tok.Name.Local != "svg" {
				t.Fatalf("%s: root element %s", name, tok.Name.Local)
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			text.Write(tok)
		}
	}
	if depth != 0 {
		t.Fatalf("%s: unbalanced elements", name)
	}
	if bytes.Contains(doc, []byte("NaN")) || bytes.Contains(doc, []byte("Inf")) {
		t.Fatalf("%s holds a non-finite coordinate", name)
	}
	return text.String()
}

// Every section of the report has its figures from the canned output, and
// the numbers are the ratios of the output: the valid-token ratio is
// zohoauth's median ns/op ÷ x/oauth2's.
func TestSectionsFromTinyRun(t *testing.T) {
	r := tinyResults(t)
	secs := Sections(r)
	if len(secs) != 4 {
		t.Fatalf("%d sections", len(secs))
	}
	for _, s := range secs {
		if s.Missing != "" || len(s.Figures) == 0 || len(s.Table.Rows) == 0 {
			t.Errorf("section %q: missing %q, %d figures, %d rows", s.Title, s.Missing, len(s.Figures), len(s.Table.Rows))
		}
		for _, f := range s.Figures {
			wellFormed(t, f.File, f.Chart.SVG())
		}
	}
	z, _ := r.Get("auth", "BenchmarkValidToken/zohoauth").Metric("ns/op")
	x, _ := r.Get("auth", "BenchmarkValidToken/x-oauth2-ReuseTokenSource").Metric("ns/op")
	bars := secs[0].Figures[0].Chart.(BarChart).Groups[0].Bars
	if got, want := bars[0].Value, z.Median/x.Median; math.Abs(got-want) > 1e-12 || bars[1].Value != 1 {
		t.Errorf("valid-token ratio %v, want %v (and x/oauth2 at 1: %v)", got, want, bars[1].Value)
	}
	// Look-ups: one chart per key; by user, a line for each store.
	lookup := secs[1]
	if len(lookup.Figures) != 3 {
		t.Fatalf("%d look-up figures", len(lookup.Figures))
	}
	var labels []string
	for _, s := range lookup.Figures[0].Chart.(LineChart).Series {
		labels = append(labels, s.Label)
		for i := 1; i < len(s.Points); i++ {
			if s.Points[i].X <= s.Points[i-1].X {
				t.Errorf("%s: sizes out of order: %+v", s.Label, s.Points)
			}
		}
	}
	for _, want := range []string{"memory", "file", "SQLite", "MySQL", "PostgreSQL", "Redis"} {
		if !strings.Contains(strings.Join(labels, "\n"), want) {
			t.Errorf("no %s line in the look-up by user: %q", want, labels)
		}
	}
	// The SQLite save at 1k is the median of x-bare-1k over the runs.
	st, _ := r.Get("sqlstore", "BenchmarkReportSave/sqlite-file").Metric("x-bare-1k")
	found := false
	for _, s := range secs[2].Figures[0].Chart.(LineChart).Series {
		for _, p := range s.Points {
			if strings.HasPrefix(s.Label, "SQLite") && p.X == 1000 {
				found = p.Y == st.Median && p.Lo == st.Min && p.Hi == st.Max
			}
		}
	}
	if !found {
		t.Errorf("no SQLite save point at 1k of %+v", st)
	}
	// The followers: memory in one process (woken only), the other
	// stores across processes, woken and polling.
	groups := secs[3].Figures[0].Chart.(BarChart).Groups
	if len(groups) != 7 {
		t.Errorf("%d stores in the followers' figure, want 7", len(groups))
	}
	for _, g := range groups {
		want := 4
		if strings.HasPrefix(g.Label, "memory") {
			want = 2
		}
		if len(g.Bars) != want || !strings.Contains(g.Label, "process") {
			t.Errorf("followers' group %q: %d bars, want %d, and its processes named", g.Label, len(g.Bars), want)
		}
	}
	pg, _ := r.Get("cluster", "BenchmarkCoordinatedRefreshProcs/postgres").Metric("poll-p99/rtt")
	for _, row := range secs[3].Table.Rows {
		if row[0] == "postgres" && (row[1] != "4 OS processes" || row[8] != ratio(pg)) {
			t.Errorf("postgres row %q: want 4 OS processes and polling p99 %s", row, ratio(pg))
		}
		if row[0] == "memory" && (row[1] != "1 (in-process)" || row[7] != "–") {
			t.Errorf("memory row %q: want one process, no polling figure", row)
		}
	}
	if strings.Contains(secs[3].Text, "over one store ask") {
		t.Error("the followers' text still describes one process")
	}
}

// A run without results leaves every section with a line saying why, and
// no figure.
func TestSectionsEmpty(t *testing.T) {
	for _, s := range Sections(Summarize(nil)) {
		if s.Missing == "" || len(s.Figures) != 0 {
			t.Errorf("section %q of an empty run: %+v", s.Title, s)
		}
	}
}

// fakeRunner answers each job with canned output, or fails it.
type fakeRunner struct {
	out  map[string]string // by Job.Bench
	fail map[string]bool
	ran  []string
}

func (f *fakeRunner) Run(_ context.Context, j Job) ([]byte, error) {
	f.ran = append(f.ran, j.Bench)
	if f.fail[j.Bench] {
		return []byte(f.out[j.Bench]), fmt.Errorf("go test %s: %w", j.Pkg, errors.New("exit status 1"))
	}
	return []byte(f.out[j.Bench]), nil
}

// cannedJobs splits testdata/tiny.txt into one job per go test run.
func cannedJobs(t *testing.T) ([]Job, map[string]string) {
	t.Helper()
	data, err := os.ReadFile("testdata/tiny.txt")
	if err != nil {
		t.Fatal(err)
	}
	var jobs []Job
	out := map[string]string{}
	for i, block := range strings.Split(string(data), "goos: ")[1:] {
		pkg := regexp.MustCompile(`(?m)^pkg: \S+/(\w+)$`).FindStringSubmatch(block)
		if pkg == nil {
			t.Fatalf("block %d has no package", i)
		}
		j := Job{Pkg: "./" + pkg[1], Bench: fmt.Sprintf("job%d", i), Benchtime: "1x", Count: 1}
		if pkg[1] == "redisstore" {
			j.Needs = []string{envRedis}
		}
		jobs = append(jobs, j)
		out[j.Bench] = "goos: " + block
	}
	return jobs, out
}

// Generate runs the jobs, leaves out those whose server is not configured
// with a line saying so, keeps the results of a failed run with a line
// saying so, and writes a report whose every figure link is a file.
func TestGenerateWithFakeRunner(t *testing.T) {
	jobs, out := cannedJobs(t)
	fr := &fakeRunner{out: out, fail: map[string]bool{}}
	var failed string
	for _, j := range jobs {
		if j.Pkg == "./sqlstore" {
			failed = j.Bench
			fr.fail[j.Bench] = true
		}
	}
	env := map[string]string{envMySQL: "root@tcp(127.0.0.1:3306)/test", envPostgres: "postgres://x"}
	clock := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	rep, err := Generate(context.Background(), fr, jobs, func(k string) string { return env[k] }, now, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	rep.Size = "small"
	for _, b := range fr.ran {
		if strings.Contains(out[b], "pkg: github.com/zohoauth/zohoauth/redisstore") {
			t.Errorf("the Redis job ran without %s", envRedis)
		}
	}
	if len(fr.ran) != len(jobs)-1 {
		t.Errorf("ran %d jobs of %d", len(fr.ran), len(jobs))
	}
	md := rep.Markdown()
	for _, want := range []string{
		"Redis is left out: `" + envRedis + "` is not set.",
		"2026-03-04 05:06 UTC",
		"./sqlstore -bench " + failed + "` failed (exit status 1)",
		"logical CPUs",
		"go test -run '^$' -bench job0 -benchtime 1x -count 1 -timeout 30m ./auth",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Redis ÷") || strings.Contains(md, "MySQL is left out") {
		t.Errorf("the report shows a store that was left out, or leaves out one that ran:\n%s", md)
	}
	if strings.Contains(md, env[envMySQL]) || strings.Contains(md, env[envPostgres]) {
		t.Error("the report names a server's address")
	}
	// The failed run's results are kept: SQLite is in the look-up figure.
	if !strings.Contains(md, "| user name | SQLite (file) | 1k |") {
		t.Errorf("the results of the failed run are lost:\n%s", md)
	}
	dir := t.TempDir()
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`!\[[^\]]*\]\(([^)]+)\)`).FindAllStringSubmatch(md, -1)
	if len(links) < 6 {
		t.Errorf("%d figures in the report", len(links))
	}
	for _, l := range links {
		doc, err := os.ReadFile(filepath.Join(dir, l[1]))
		if err != nil {
			t.Fatalf("figure %s: %v", l[1], err)
		}
		wellFormed(t, l[1], doc)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "report.md")); err != nil || string(got) != md {
		t.Errorf("report.md: %v", err)
	}
}

// A cancelled run stops at the job it was in and returns the context's error.
func TestGenerateCancelled(t *testing.T) {
	jobs, out := cannedJobs(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fr := &fakeRunner{out: out}
	_, err := Generate(ctx, fr, jobs, func(string) string { return "set" }, time.Now, io.Discard)
	if !errors.Is(err, context.Canceled) || len(fr.ran) != 1 {
		t.Fatalf("err %v after %d jobs", err, len(fr.ran))
	}
}

// Labels and titles are escaped: a label with markup, quotes, control
// characters and invalid UTF-8 leaves the SVG well formed, and its text
// reads back as written (less what XML cannot hold).
func TestSVGEscapes(t *testing.T) {
	evil := `<script>alert("x")</script> & 'quotes' ]]>`
	charts := map[string]Chart{
		"line": LineChart{Title: evil, XLabel: evil, YLabel: evil, Refs: []Ref{{1, evil}},
			Series: []Series{{Label: evil + "\x00\x1b\xff", Points: []Point{{X: 100, Y: 1, Lo: 0.5, Hi: 2}, {X: 1000, Y: 2, Lo: 2, Hi: 2}}}}},
		"bar": BarChart{Title: evil, XLabel: evil, Refs: []Ref{{1, evil}},
			Groups: []BarGroup{{Label: evil, Bars: []Bar{{Label: evil + "\x00\xff", Value: 0.5, Lo: 0.4, Hi: 0.6}}}}},
	}
	for name, c := range charts {
		doc := c.SVG()
		text := wellFormed(t, name, doc)
		if !strings.Contains(text, evil) {
			t.Errorf("%s: the label does not read back", name)
		}
		if bytes.Contains(doc, []byte("<script")) {
			t.Errorf("%s: markup in a label became an element", name)
		}
	}
}

// Non-finite and non-positive values are left out of the drawing, never
// written as coordinates.
func TestSVGNonFinite(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	charts := map[string]Chart{
		"line": LineChart{Series: []Series{{Label: "s", Points: []Point{{X: 100, Y: nan, Lo: nan, Hi: nan},
			{X: inf, Y: 1, Lo: 1, Hi: 1}, {X: 0, Y: 1, Lo: 1, Hi: 1}, {X: 1000, Y: 1, Lo: 1, Hi: inf}}}}, Refs: []Ref{{nan, "r"}}},
		"line-log": LineChart{Series: []Series{{Label: "s", Points: []Point{{X: 100, Y: 0.001, Lo: 0.001, Hi: 0.001},
			{X: 1000, Y: 100, Lo: 0, Hi: 100}}}}},
		"bar":     BarChart{Groups: []BarGroup{{Label: "g", Bars: []Bar{{Label: "a", Value: nan}, {Label: "b", Value: inf, Lo: 1, Hi: 1}}}}},
		"bar-log": BarChart{Groups: []BarGroup{{Label: "g", Bars: []Bar{{Label: "a", Value: 0.0001, Lo: 0, Hi: 1}, {Label: "b", Value: 10, Lo: 10, Hi: 10}}}}},
		"empty":   LineChart{},
	}
	for name, c := range charts {
		wellFormed(t, name, c.SVG())
	}
}

// Sizes read and write as the benchmarks name them.
func TestSizes(t *testing.T) {
	for _, tt := range []struct {
		text string
		n    float64
	}{{"100", 100}, {"1k", 1000}, {"10k", 10_000}, {"100k", 100_000}, {"1M", 1_000_000}, {"2500", 2500}} {
		if n, ok := parseSize(tt.text); !ok || n != tt.n {
			t.Errorf("parseSize(%q) = %v, %v", tt.text, n, ok)
		}
		if got := sizeLabel(tt.n); got != tt.text {
			t.Errorf("sizeLabel(%v) = %q, want %q", tt.n, got, tt.text)
		}
	}
	for _, bad := range []string{"", "k", "M", "size", "-1k", "0", "1e3", "NaN", "Inf", "0x10", "1_000"} {
		if n, ok := parseSize(bad); ok {
			t.Errorf("parseSize(%q) = %v", bad, n)
		}
	}
}

// Markdown cells escape what would break the table or start markup.
func TestTableMarkdown(t *testing.T) {
	md := Table{Header: []string{"a", "b"}, Rows: [][]string{{"x|y", "<b>*z*</b>\nnext"}}}.Markdown()
	want := "| a | b |\n| --- | --- |\n| x\\|y | \\<b\\>\\*z\\*\\</b\\> next |\n"
	if md != want {
		t.Errorf("got\n%s\nwant\n%s", md, want)
	}
}

// The names of the servers' variables are those the test suites read.
func TestServerVariables(t *testing.T) {
	if envMySQL != storetest.EnvMySQL || envPostgres != storetest.EnvPostgres || envRedis != storetest.EnvRedis {
		t.Error("the server variables differ from storetest's")
	}
}

// Plan knows the two sizes, and each job's command quotes its pattern.
func TestPlan(t *testing.T) {
	for _, size := range []string{"small", "full"} {
		jobs, err := Plan(size)
		if err != nil || len(jobs) == 0 {
			t.Fatalf("Plan(%s): %v", size, err)
		}
		for _, j := range jobs {
			if !strings.Contains(j.Command(), "-bench '"+j.Bench+"'") {
				t.Errorf("%s", j.Command())
			}
		}
	}
	if _, err := Plan("huge"); err == nil {
		t.Error("Plan accepts an unknown size")
	}
}

// One real run: the memory store's report benchmark at a tiny size and a
// single iteration, through the go command, parsed into a look-up series.
// It builds and runs a test binary, so -short leaves it out.
func TestRealRunMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a benchmark binary")
	}
	root, err := moduleRoot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	j := Job{Pkg: "./memory", Bench: "^BenchmarkReportFind$", Benchtime: "1x", Count: 1, Rows: "100,1000"}
	data, err := goRunner{Dir: root}.Run(t.Context(), j)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	out, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sec := lookupSection(Summarize(out.Samples))
	if len(sec.Figures) != 3 {
		t.Fatalf("%d figures from\n%s", len(sec.Figures), data)
	}
	s := sec.Figures[0].Chart.(LineChart).Series
	if len(s) != 1 || len(s[0].Points) != 2 || s[0].Points[0].X != 100 || s[0].Points[1].X != 1000 {
		t.Fatalf("series %+v from\n%s", s, data)
	}
}

// The command renders a report from saved output (-from) into -out, and
// refuses an unknown size or stray arguments.
func TestRunFrom(t *testing.T) {
	dir := t.TempDir()
	var log bytes.Buffer
	if err := run([]string{"-from", "testdata/tiny.txt", "-out", dir}, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil || !strings.Contains(string(md), "from the saved benchmark output tiny.txt") {
		t.Fatalf("report.md: %v\n%s", err, md)
	}
	for _, f := range []string{"valid-token.svg", "lookup-by-user.svg", "save.svg", "followers.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if err := run([]string{"-size", "huge"}, io.Discard); err == nil {
		t.Error("an unknown size is accepted")
	}
	if err := run([]string{"-size", "small", "extra"}, io.Discard); err == nil {
		t.Error("a stray argument is accepted")
	}
}

// A load above the CPU count is called out in the report.
func TestBusyMachine(t *testing.T) {
	rep := Report{Machine: Machine{CPUs: 2}, LoadBefore: "14.41 11.88 6.97", LoadAfter: "1.0 1.0 1.0"}
	if !strings.Contains(rep.Markdown(), "The machine was busy") {
		t.Error("a load of 14 on 2 CPUs is not called out")
	}
	rep.LoadBefore = "0.50 0.40 0.30"
	if strings.Contains(rep.Markdown(), "The machine was busy") {
		t.Error("a quiet machine is called busy")
	}
}
