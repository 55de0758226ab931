package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A Point of a line chart: Y at X, with whiskers from Lo to Hi (the
// smallest and greatest run); Lo == Hi draws no whisker.
type Point struct {
	X, Y, Lo, Hi float64
}

// A Series is one line of a line chart.
type Series struct {
	Label  string
	Points []Point
}

// A Ref is a horizontal (line chart) or vertical (bar chart) reference
// line: the baseline at 1, a goal.
type Ref struct {
	At    float64
	Label string
}

// A LineChart plots ratios against a size on a logarithmic axis.
type LineChart struct {
	Title, XLabel, YLabel string
	Series                []Series
	Refs                  []Ref
}

// A Bar of a bar chart, with whiskers from Lo to Hi as a Point's.
type Bar struct {
	Label         string
	Value, Lo, Hi float64
}

// A BarGroup is a labelled group of bars.
type BarGroup struct {
	Label string
	Bars  []Bar
}

// A BarChart draws horizontal bars of ratios, in groups.
type BarChart struct {
	Title, XLabel string
	Groups        []BarGroup
	Refs          []Ref
}

// palette is the Okabe–Ito palette, told apart by colour-blind readers;
// dashes tell the lines apart in grey print.
var palette = [...]string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}
var dashes = [...]string{"", "6 3", "2 3", "8 3 2 3", "4 4", "1 2", "10 4"}

// esc escapes s for XML text and attribute values (quotes included) and
// replaces what XML cannot hold.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// num formats a coordinate.
func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// tick formats a value of an axis or a label.
func tick(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	case a >= 0.1:
		return trimZeros(strconv.FormatFloat(v, 'f', 2, 64))
	}
	return strconv.FormatFloat(v, 'g', 2, 64)
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// finite reports whether every value is a finite number.
func finite(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// scale maps data values to pixels, linearly or on a logarithm.
type scale struct {
	lo, hi   float64 // the domain (of log10 values when log)
	p0, p1   float64 // the pixel range
	log      bool
	ticks    []float64
	tickText func(float64) string
}

func (s scale) px(v float64) float64 {
	if s.log {
		v = math.Log10(v)
	}
	if s.hi == s.lo {
		return (s.p0 + s.p1) / 2
	}
	return s.p0 + (v-s.lo)/(s.hi-s.lo)*(s.p1-s.p0)
}

// niceStep returns a step of 1, 2 or 5 times a power of ten near raw.
func niceStep(raw float64) float64 {
	if raw <= 0 || !finite(raw) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// valueScale returns a scale for values vs (all finite): linear from 0
// when they span less than a factor of 30, logarithmic otherwise.
func valueScale(vs []float64, p0, p1 float64) scale {
	lo, hi := math.Inf(1), 0.0
	for _, v := range vs {
		if v > 0 {
			lo = min(lo, v)
		}
		hi = max(hi, v)
	}
	if hi <= 0 {
		hi, lo = 1, 1
	}
	if hi/lo < 30 {
		step := niceStep(hi * 1.1 / 5)
		top := math.Ceil(hi*1.1/step) * step
		s := scale{lo: 0, hi: top, p0: p0, p1: p1, tickText: tick}
		for v := 0.0; v <= top+step/2; v += step {
			s.ticks = append(s.ticks, v)
		}
		return s
	}
	s := scale{lo: math.Floor(math.Log10(lo)), hi: math.Ceil(math.Log10(hi)), p0: p0, p1: p1, log: true, tickText: tick}
	for e := s.lo; e <= s.hi; e++ {
		s.ticks = append(s.ticks, math.Pow(10, e))
	}
	return s
}

type svgWriter struct {
	bytes.Buffer
}

func (w *svgWriter) f(format string, args ...any) { fmt.Fprintf(&w.Buffer, format, args...) }

func (w *svgWriter) open(width, height float64, title string) {
	w.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="sans-serif" font-size="12">`+"\n",
		num(width), num(height), num(width), num(height))
	w.f("<title>%s</title>\n", esc(title))
	w.f(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	w.f(`<text x="%s" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", num(12), esc(title))
}

func (w *svgWriter) text(x, y float64, anchor, s string, extra string) {
	w.f(`<text x="%s" y="%s" text-anchor="%s"%s>%s</text>`+"\n", num(x), num(y), anchor, extra, esc(s))
}

func (w *svgWriter) line(x1, y1, x2, y2 float64, style string) {
	w.f(`<line x1="%s" y1="%s" x2="%s" y2="%s" %s/>`+"\n", num(x1), num(y1), num(x2), num(y2), style)
}

// SVG draws the chart: X on a logarithmic axis ticked at the sizes of the
// data, Y linear from 0 (logarithmic when the values span more than a
// factor of 30), one line per series, the references dashed.
func (c LineChart) SVG() []byte {
	const width, height, left, right, top, bottom = 860.0, 420.0, 70.0, 300.0, 50.0, 60.0
	var xs, ys []float64
	for _, s := range c.Series {
		for _, p := range s.Points {
			if finite(p.X, p.Y, p.Lo, p.Hi) && p.X > 0 {
				xs = append(xs, p.X)
				ys = append(ys, p.Y, p.Lo, p.Hi)
			}
		}
	}
	for _, r := range c.Refs {
		if finite(r.At) {
			ys = append(ys, r.At)
		}
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	var w svgWriter
	w.open(width, height, c.Title)
	x := scale{lo: 0, hi: 1, p0: left + 20, p1: width - right - 20, log: true}
	if len(xs) > 0 {
		x.lo, x.hi = math.Log10(xs[0]), math.Log10(xs[len(xs)-1])
	}
	y := valueScale(ys, height-bottom, top)
	// Axes and grid.
	w.line(left, top, left, height-bottom, `stroke="#333333"`)
	w.line(left, height-bottom, width-right, height-bottom, `stroke="#333333"`)
	for _, t := range y.ticks {
		py := y.px(t)
		w.line(left, py, width-right, py, `stroke="#e5e5e5"`)
		w.text(left-6, py+4, "end", y.tickText(t), "")
	}
	for _, v := range xs {
		px := x.px(v)
		w.line(px, height-bottom, px, height-bottom+5, `stroke="#333333"`)
		w.text(px, height-bottom+18, "middle", sizeLabel(v), "")
	}
	w.text((left+width-right)/2, height-18, "middle", c.XLabel, "")
	w.f(`<text transform="translate(18 %s) rotate(-90)" text-anchor="middle">%s</text>`+"\n", num((top+height-bottom)/2), esc(c.YLabel))
	for _, r := range c.Refs {
		if !finite(r.At) || (y.log && r.At <= 0) {
			continue
		}
		py := y.px(r.At)
		w.line(left, py, width-right, py, `stroke="#777777" stroke-dasharray="3 3"`)
		w.text(width-right-4, py-4, "end", r.Label, ` fill="#555555" font-size="11"`)
	}
	// Series, then the legend.
	for i, s := range c.Series {
		color, dash := palette[i%len(palette)], dashes[i%len(dashes)]
		var pts []string
		for _, p := range s.Points {
			if !finite(p.X, p.Y, p.Lo, p.Hi) || p.X <= 0 || (y.log && (p.Y <= 0 || p.Lo <= 0)) {
				continue
			}
			pts = append(pts, num(x.px(p.X))+","+num(y.px(p.Y)))
		}
		style := `fill="none" stroke="` + color + `" stroke-width="2"`
		if dash != "" {
			style += ` stroke-dasharray="` + dash + `"`
		}
		if len(pts) > 1 {
			w.f(`<polyline points="%s" %s/>`+"\n", strings.Join(pts, " "), style)
		}
		for _, p := range s.Points {
			if !finite(p.X, p.Y, p.Lo, p.Hi) || p.X <= 0 || (y.log && (p.Y <= 0 || p.Lo <= 0)) {
				continue
			}
			px, py := x.px(p.X), y.px(p.Y)
			if p.Lo < p.Hi {
				w.line(px, y.px(p.Lo), px, y.px(p.Hi), `stroke="`+color+`" stroke-width="1"`)
			}
			w.f(`<circle cx="%s" cy="%s" r="3.5" fill="%s"><title>%s</title></circle>`+"\n", num(px), num(py), color,
				esc(fmt.Sprintf("%s at %s: %s× (runs %s–%s)", s.Label, sizeLabel(p.X), tick(p.Y), tick(p.Lo), tick(p.Hi))))
		}
		ly := top + 10 + float64(i)*20
		w.line(width-right+12, ly, width-right+40, ly, style)
		w.text(width-right+46, ly+4, "start", s.Label, "")
	}
	w.f("</svg>\n")
	return w.Bytes()
}

// SVG draws the chart: one row per bar, grouped, the value axis linear
// from 0 (logarithmic when the values span more than a factor of 30), each
// bar labelled with its value, the references dashed.
func (c BarChart) SVG() []byte {
	const width, left, right, top, row, gap = 800.0, 280.0, 70.0, 50.0, 22.0, 14.0
	var vs []float64
	rows := 0
	for _, g := range c.Groups {
		rows++
		for _, b := range g.Bars {
			rows++
			if finite(b.Value, b.Lo, b.Hi) {
				vs = append(vs, b.Value, b.Lo, b.Hi)
			}
		}
	}
	for _, r := range c.Refs {
		if finite(r.At) {
			vs = append(vs, r.At)
		}
	}
	plotH := float64(rows)*row + float64(len(c.Groups))*gap
	height := top + plotH + 60
	var w svgWriter
	w.open(width, height, c.Title)
	x := valueScale(vs, left, width-right)
	bottom := top + plotH
	for _, t := range x.ticks {
		px := x.px(t)
		w.line(px, top, px, bottom, `stroke="#e5e5e5"`)
		w.text(px, bottom+16, "middle", x.tickText(t), "")
	}
	w.line(left, top, left, bottom, `stroke="#333333"`)
	w.line(left, bottom, width-right, bottom, `stroke="#333333"`)
	w.text((left+width-right)/2, bottom+40, "middle", c.XLabel, "")
	y := top
	for _, g := range c.Groups {
		w.text(12, y+15, "start", g.Label, ` font-weight="bold"`)
		y += row
		for i, b := range g.Bars {
			w.text(left-8, y+15, "end", b.Label, "")
			if finite(b.Value, b.Lo, b.Hi) && (!x.log || b.Value > 0) {
				x0 := x.px(0)
				if x.log {
					x0 = left
				}
				px := x.px(b.Value)
				w.f(`<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s</title></rect>`+"\n",
					num(x0), num(y+3), num(max(px-x0, 1)), num(row-6), palette[i%len(palette)],
					esc(fmt.Sprintf("%s, %s: %s× (runs %s–%s)", g.Label, b.Label, tick(b.Value), tick(b.Lo), tick(b.Hi))))
				if b.Lo < b.Hi && (!x.log || b.Lo > 0) {
					w.line(x.px(b.Lo), y+row/2, x.px(b.Hi), y+row/2, `stroke="#333333"`)
				}
				w.text(max(px, x.px(b.Hi))+5, y+15, "start", tick(b.Value)+"×", "")
			}
			y += row
		}
		y += gap
	}
	for _, r := range c.Refs {
		if !finite(r.At) || (x.log && r.At <= 0) {
			continue
		}
		px := x.px(r.At)
		w.line(px, top-6, px, bottom, `stroke="#555555" stroke-dasharray="4 3"`)
		w.text(px, top-10, "middle", r.Label, ` fill="#555555" font-size="11"`)
	}
	w.f("</svg>\n")
	return w.Bytes()
}

// sizeLabel writes n as 100, 1k, 10k or 1M, as the benchmarks name sizes.
func sizeLabel(n float64) string {
	switch {
	case n >= 1e6 && math.Mod(n, 1e6) == 0:
		return strconv.FormatFloat(n/1e6, 'f', 0, 64) + "M"
	case n >= 1e3 && math.Mod(n, 1e3) == 0:
		return strconv.FormatFloat(n/1e3, 'f', 0, 64) + "k"
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// parseSize reads a size as the benchmarks write it: 100, 1k, 10k, 1M.
func parseSize(s string) (float64, bool) {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1e3, s[:len(s)-1]
	case strings.HasSuffix(s, "M"):
		mult, s = 1e6, s[:len(s)-1]
	}
	if s == "" || strings.ContainsAny(s, "+-eEnNiIxXpP_") {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || !finite(v) {
		return 0, false
	}
	return v * mult, true
}
