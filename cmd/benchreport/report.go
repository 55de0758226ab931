package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Report is everything the Markdown report says.
type Report struct {
	Date       time.Time
	Elapsed    time.Duration
	Size       string
	Source     string // the file of saved output it was rendered from, "" when measured
	Machine    Machine
	LoadBefore string // load averages when the run started and ended
	LoadAfter  string
	Notes      []string // stores left out, failed runs, in Markdown
	Commands   []string
	Sections   []Section
}

// Markdown writes the report; its figures are the files its sections name.
func (r Report) Markdown() string {
	var b strings.Builder
	b.WriteString("# zohoauth benchmark report\n\n")
	if r.Source != "" {
		fmt.Fprintf(&b, "Rendered %s UTC from the saved benchmark output %s, on %s.\n\n",
			r.Date.UTC().Format("2006-01-02 15:04"), mdEscape(r.Source), mdEscape(r.Machine.String()))
	} else {
		fmt.Fprintf(&b, "Measured on %s, %s UTC, by `go run ./cmd/benchreport -size %s` in %s.\n\n",
			mdEscape(r.Machine.String()), r.Date.UTC().Format("2006-01-02 15:04"), mdEscape(r.Size), r.Elapsed.Round(time.Second))
	}
	if r.LoadBefore != "" || r.LoadAfter != "" {
		fmt.Fprintf(&b, "Load average (1, 5, 15 min) before the run: %s; after: %s.", mdEscape(r.LoadBefore), mdEscape(r.LoadAfter))
		if busy(r.LoadBefore, r.Machine.CPUs) || busy(r.LoadAfter, r.Machine.CPUs) {
			b.WriteString(" **The machine was busy** (a load above its CPU count): the figures are noisier than on a quiet machine.")
		}
		b.WriteString("\n\n")
	}
	b.WriteString("Every figure is a ratio to a baseline measured in the same run, most of them in the same " +
		"iterations, so that a busy or drifting machine moves both sides. Points and bars are medians over the runs " +
		"(`-count`); whiskers span the fastest and the slowest run.\n\n")
	for _, n := range r.Notes {
		b.WriteString("- " + n + "\n")
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	for _, s := range r.Sections {
		b.WriteString("## " + mdEscape(s.Title) + "\n\n")
		b.WriteString(mdEscape(s.Text) + "\n\n")
		if s.Missing != "" {
			b.WriteString("_" + mdEscape(s.Missing) + "_\n\n")
			continue
		}
		for _, f := range s.Figures {
			fmt.Fprintf(&b, "![%s](%s)\n\n", mdEscape(f.Alt), f.File)
		}
		if t := s.Table.Markdown(); t != "" {
			b.WriteString(t + "\n")
		}
	}
	b.WriteString("## How to reproduce\n\n")
	b.WriteString("From the module root, with the servers named by `" + envMySQL + "`, `" + envPostgres + "` and `" +
		envRedis + "` when they are to be measured:\n\n```sh\n")
	for _, c := range r.Commands {
		b.WriteString(c + "\n")
	}
	b.WriteString("```\n")
	return b.String()
}

// busy reports whether the 1-minute load of a load-average line exceeds cpus.
func busy(load string, cpus int) bool {
	f := strings.Fields(load)
	if len(f) == 0 || cpus <= 0 {
		return false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return err == nil && v > float64(cpus)
}

// Write writes the report (report.md) and its figures into dir.
func (r Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	for _, s := range r.Sections {
		for _, f := range s.Figures {
			if f.File != filepath.Base(f.File) {
				return fmt.Errorf("write report: figure name %q is not a file name", f.File)
			}
			if err := os.WriteFile(filepath.Join(dir, f.File), f.Chart.SVG(), 0o644); err != nil {
				return fmt.Errorf("write report: %w", err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte(r.Markdown()), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
