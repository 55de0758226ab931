package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// The environment variables that name the database servers of the
// benchmarks (as the storetest package reads them).
const (
	envMySQL    = "ZOHOAUTH_TEST_MYSQL_DSN"
	envPostgres = "ZOHOAUTH_TEST_POSTGRES_DSN"
	envRedis    = "ZOHOAUTH_TEST_REDIS_ADDR"
)

// servers are the database servers, for the report's "left out" lines.
var servers = []struct{ env, name string }{
	{envMySQL, "MySQL/MariaDB"},
	{envPostgres, "PostgreSQL"},
	{envRedis, "Redis"},
}

// A Job is one `go test -bench` run of one package.
type Job struct {
	Pkg       string   // a package pattern relative to the module root: ./memory
	Bench     string   // the -bench pattern
	Benchtime string   // the -benchtime
	Count     int      // the -count
	Rows      string   // ZOHOAUTH_BENCH_ROWS for the job, "" for none
	Needs     []string // environment variables without which the job is left out
}

// Args returns the arguments of the go command that runs the job.
func (j Job) Args() []string {
	return []string{"test", "-run", "^$", "-bench", j.Bench, "-benchtime", j.Benchtime,
		"-count", strconv.Itoa(j.Count), "-timeout", "30m", j.Pkg}
}

// Env returns the variables the job adds to the environment.
func (j Job) Env() []string {
	if j.Rows == "" {
		return nil
	}
	return []string{"ZOHOAUTH_BENCH_ROWS=" + j.Rows}
}

// Command returns the job as a shell command, for the report.
func (j Job) Command() string {
	var b strings.Builder
	for _, e := range j.Env() {
		b.WriteString(e + " ")
	}
	b.WriteString("go")
	for _, a := range j.Args() {
		if a == "" || strings.ContainsAny(a, " ^$|()*?[]'\"\\") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		b.WriteString(" " + a)
	}
	return b.String()
}

// Plan returns the jobs of a report size: "small" takes a few minutes on
// two cores, "full" about ten.
func Plan(size string) ([]Job, error) {
	type p struct {
		micro, db, file, cluster string // -benchtime
		count, dbCount           int
		memRows, fileRows        string
		sqlRows, redisRows       string
	}
	var c p
	switch size {
	case "small":
		c = p{micro: "100ms", db: "100ms", file: "10x", cluster: "3x", count: 3, dbCount: 2,
			memRows: "1000,10000,100000", fileRows: "100,1000,10000", sqlRows: "1000,10000", redisRows: "1000,10000"}
	case "full":
		c = p{micro: "500ms", db: "300ms", file: "30x", cluster: "10x", count: 5, dbCount: 3,
			memRows: "1000,10000,100000,1000000", fileRows: "100,1000,10000,100000", sqlRows: "1000,10000,100000", redisRows: "1000,10000,100000"}
	default:
		return nil, fmt.Errorf("unknown size %q: want small or full", size)
	}
	return []Job{
		{Pkg: "./auth", Bench: "^BenchmarkValidToken$", Benchtime: c.micro, Count: c.count},
		{Pkg: "./memory", Bench: "^BenchmarkReportFind$", Benchtime: c.micro, Count: c.count, Rows: c.memRows},
		{Pkg: "./filestore", Bench: "^BenchmarkReportFind$", Benchtime: c.micro, Count: c.count, Rows: c.fileRows},
		{Pkg: "./filestore", Bench: "^BenchmarkReportSave$", Benchtime: c.file, Count: c.dbCount, Rows: c.fileRows},
		{Pkg: "./sqlstore", Bench: "^(BenchmarkLookup|BenchmarkReportSave)$", Benchtime: c.db, Count: c.dbCount, Rows: c.sqlRows},
		{Pkg: "./redisstore", Bench: "^(BenchmarkReportFind|BenchmarkReportSave)$", Benchtime: c.db, Count: c.dbCount, Rows: c.redisRows,
			Needs: []string{envRedis}},
		{Pkg: "./cluster", Bench: "^BenchmarkCoordinatedRefreshProcs$", Benchtime: c.cluster, Count: 1},
	}, nil
}

// A Runner runs a job and returns what it wrote to its standard output.
type Runner interface {
	Run(ctx context.Context, j Job) ([]byte, error)
}

// goRunner runs jobs with the go command in the module root Dir, echoing
// their output to Echo when it is not nil. The end of the standard error
// of a failed job goes to Log, not into the error: it may name a server.
type goRunner struct {
	Dir            string
	Echo, Log, Raw io.Writer // Raw receives the standard output of every job
}

func (g goRunner) Run(ctx context.Context, j Job) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", j.Args()...)
	cmd.Dir = g.Dir
	cmd.Env = append(os.Environ(), j.Env()...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if g.Echo != nil {
		cmd.Stdout = io.MultiWriter(&out, g.Echo)
		cmd.Stderr = io.MultiWriter(&errOut, g.Echo)
	}
	if g.Raw != nil {
		defer func() { _, _ = g.Raw.Write(out.Bytes()) }()
	}
	if err := cmd.Run(); err != nil {
		if msg := lastLines(errOut.String(), 5); msg != "" && g.Log != nil && g.Echo == nil {
			fmt.Fprintf(g.Log, "go test %s: %s\n", j.Pkg, msg)
		}
		return out.Bytes(), fmt.Errorf("go test %s: %w", j.Pkg, err)
	}
	return out.Bytes(), nil
}

// lastLines returns the last n non-empty lines of s, joined by "; ".
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}
