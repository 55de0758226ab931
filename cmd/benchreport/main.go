// Command benchreport runs the benchmarks of the zohoauth module and writes
// a Markdown report with SVG figures, every figure a ratio to a baseline
// measured in the same run:
//
//	go run ./cmd/benchreport [-size small|full] [-out docs/bench] [-v]
//
// It runs `go test -bench` on the packages of the stores, the authenticator
// and the cluster, from the module root. The database servers are those of
// the test suites (ZOHOAUTH_TEST_MYSQL_DSN, ZOHOAUTH_TEST_POSTGRES_DSN,
// ZOHOAUTH_TEST_REDIS_ADDR); a server that is not configured is left out of
// the report, which says so. "small" takes a few minutes on two cores,
// "full" about ten. The report is out/report.md and its figures out/*.svg.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "small", "how long to measure: small (a few minutes on two cores) or full (about ten)")
	out := fs.String("out", filepath.Join("docs", "bench"), "the directory of the report, relative to the module root")
	verbose := fs.Bool("v", false, "echo the output of go test")
	raw := fs.String("raw", "", "also write the output of go test to this file (for benchstat)")
	from := fs.String("from", "", "write the report from this saved output of go test -bench instead of running the benchmarks")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	jobs, err := Plan(*size)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	var rep Report
	if *from != "" {
		if rep, err = fromFile(ctx, *from, time.Now()); err != nil {
			return err
		}
	} else {
		r := goRunner{Dir: root, Log: stderr}
		if *verbose {
			r.Echo = stderr
		}
		var rawOut bytes.Buffer
		if *raw != "" {
			r.Raw = &rawOut
		}
		rep, err = Generate(ctx, r, jobs, os.Getenv, time.Now, stderr)
		if *raw != "" {
			if werr := os.WriteFile(*raw, rawOut.Bytes(), 0o644); werr != nil && err == nil {
				err = werr
			}
		}
		if err != nil {
			return err
		}
		rep.Size = *size
	}
	dir := *out
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	if err := rep.Write(dir); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s\n", filepath.Join(dir, "report.md"))
	return nil
}

// fromFile returns the report of a saved output of go test -bench (-raw);
// the CPU is the output's, the rest of the machine this one's, and the
// date the time of the rendering.
func fromFile(ctx context.Context, path string, now time.Time) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	out, err := Parse(f)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Date: now, Source: filepath.Base(path)}
	rep.Machine = readMachine(ctx, out.Config["cpu"])
	rep.Sections = Sections(Summarize(out.Samples))
	return rep, nil
}

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module root: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("find the module root: not inside a module; run from the zohoauth repository")
	}
	return filepath.Dir(mod), nil
}

// Generate runs the jobs with r, except those that need a server getenv
// does not name, and returns the report of their results. now is the
// clock; progress lines go to log.
func Generate(ctx context.Context, r Runner, jobs []Job, getenv func(string) string, now func() time.Time, log io.Writer) (Report, error) {
	start := now()
	rep := Report{Date: start, LoadBefore: loadAverage()}
	for _, s := range servers {
		if getenv(s.env) == "" {
			rep.Notes = append(rep.Notes, s.name+" is left out: `"+s.env+"` is not set.")
		}
	}
	var samples []Sample
	cpu := ""
	for _, j := range jobs {
		missing := false
		for _, e := range j.Needs {
			missing = missing || getenv(e) == ""
		}
		rep.Commands = append(rep.Commands, j.Command())
		if missing {
			continue
		}
		t0 := now()
		fmt.Fprintf(log, "%s\n", j.Command())
		data, runErr := r.Run(ctx, j)
		parsed, err := Parse(bytes.NewReader(data))
		if err != nil {
			return rep, err
		}
		samples = append(samples, parsed.Samples...)
		if c := parsed.Config["cpu"]; c != "" && cpu == "" {
			cpu = c
		}
		switch {
		case ctx.Err() != nil:
			return rep, ctx.Err()
		case runErr != nil:
			rep.Notes = append(rep.Notes, fmt.Sprintf("`go test %s -bench %s` failed (%s); %d results of it are kept.", j.Pkg, j.Bench, mdEscape(fmt.Sprint(errors.Unwrap(runErr))), len(parsed.Samples)))
		case len(parsed.Failures) > 0:
			rep.Notes = append(rep.Notes, fmt.Sprintf("`go test %s -bench %s` reported %d failures.", j.Pkg, j.Bench, len(parsed.Failures)))
		}
		fmt.Fprintf(log, "  %d results in %s\n", len(parsed.Samples), now().Sub(t0).Round(time.Second))
	}
	rep.Machine = readMachine(ctx, cpu)
	rep.Sections = Sections(Summarize(samples))
	rep.LoadAfter = loadAverage()
	rep.Elapsed = now().Sub(start)
	return rep, nil
}
