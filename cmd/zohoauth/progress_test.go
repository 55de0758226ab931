package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/clock"
)

func TestMeter(t *testing.T) {
	fake := clock.NewFake(t0)
	var b bytes.Buffer
	m := &meter{w: &b, label: "x", now: fake.Now}
	m.draw(0, 100)
	fake.Advance(2 * time.Second)
	m.draw(50, 100)
	fake.Advance(2 * time.Second)
	m.draw(100, 100)
	m.draw(100, 100) // after the end: nothing
	want := "\rx [------------------------------] 0/100   0%\x1b[K" +
		"\rx [###############---------------] 50/100  50% 25/s ETA 2s\x1b[K" +
		"\rx [##############################] 100/100 100% 25/s\x1b[K\n"
	if b.String() != want {
		t.Errorf("meter = %q, want %q", b.String(), want)
	}

	// Unknown total: the running count and the rate; -1 ends the line.
	b.Reset()
	m = &meter{w: &b, label: "y", now: fake.Now}
	m.draw(0, -1)
	fake.Advance(time.Second)
	m.draw(300, -1)
	m.draw(-1, -1)
	if want := "\ry 0\x1b[K\ry 300 300/s\x1b[K\n"; b.String() != want {
		t.Errorf("meter = %q, want %q", b.String(), want)
	}
}

// migrate shows the copy and the verification on a terminal, and nothing
// when standard error is not a terminal. A file store is a Pager, so its
// count is not known beforehand: the copy counts up, then ends with the
// bar at the count it reached; the verification, which knows the count,
// draws the bar throughout.
func TestMigrateProgress(t *testing.T) {
	h := newHarness(t)
	from, _ := writeTokenFile(t, 25)
	h.isTerm = true
	r := h.must("migrate", "--from", from, "--to", "memory:", "--batch", "10")
	for _, want := range []string{
		"\rcopying   0\x1b[K",
		"\rcopying   10",
		"\rcopying   [##############################] 25/25 100%",
		"\rverifying [############------------------] 10/25  40%",
		"\rverifying [##############################] 25/25 100%",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("migrate on a terminal lacks %q:\n%q", want, r.stderr)
		}
	}
	h.isTerm = false
	r = h.must("migrate", "--from", from, "--to", "memory:", "--batch", "10")
	if strings.Contains(r.stderr, "\r") || strings.Contains(r.stderr, "[#") {
		t.Errorf("progress without a terminal: %q", r.stderr)
	}
}
