package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress returns a function that draws a progress bar on standard error
// when it is a terminal, and does nothing otherwise. The function takes
// done and total (-1 while unknown); done -1 ends the bar where it is.
func (a *app) progress(label string) func(done, total int) {
	if !a.isTerminal(a.stderr) {
		return func(int, int) {}
	}
	m := &meter{w: a.stderr, label: label, now: a.clock.Now}
	return m.draw
}

// meter draws the progress of one pass on a terminal line:
//
//	label [##########--------------------] 5000/15000  33% 2500/s ETA 4s
//
// or, while the total is unknown, "label 5000 2500/s". The rate is the
// mean since the first draw; the line ends when done reaches total.
type meter struct {
	w     io.Writer
	label string
	now   func() time.Time
	start time.Time
	drawn bool // start is set
	ended bool // the line is ended: draw nothing more
}

// barWidth is the width of the bar between the brackets.
const barWidth = 30

func (m *meter) draw(done, total int) {
	if m.ended {
		return
	}
	now := m.now()
	if !m.drawn {
		m.start, m.drawn = now, true
	}
	if done < 0 {
		fmt.Fprintln(m.w)
		m.ended = true
		return
	}
	speed := ""
	if elapsed := now.Sub(m.start); elapsed >= 100*time.Millisecond && done > 0 {
		rate := float64(done) / elapsed.Seconds()
		speed = fmt.Sprintf(" %.0f/s", rate)
		if total > done {
			eta := time.Duration(float64(total-done) / rate * float64(time.Second))
			speed += " ETA " + shortDuration(eta.Round(time.Second))
		}
	}
	if total < 0 {
		fmt.Fprintf(m.w, "\r%s %d%s\x1b[K", m.label, done, speed)
		return
	}
	pct := 100
	if total > 0 && done < total {
		pct = done * 100 / total
	}
	fill := pct * barWidth / 100
	fmt.Fprintf(m.w, "\r%s [%s%s] %d/%d %3d%%%s\x1b[K", m.label, strings.Repeat("#", fill), strings.Repeat("-", barWidth-fill), done, total, pct, speed)
	if done >= total {
		fmt.Fprintln(m.w)
		m.ended = true
	}
}
