package tokenserver

// chart is the console's bar chart of an Activity, laid out for an inline
// SVG: one column per bucket, refreshes stacked under failures.
type chart struct {
	Width, Height int
	Bars          []chartBar
	Refreshed     int // totals over the span
	Failed        int
	Max           int // the tallest column's count (the scale)
	From, To      string
	Empty         bool // nothing happened in the span
}

type chartBar struct {
	X, W       int
	RefreshedY int // top of the refreshes' rectangle
	RefreshedH int
	FailedY    int
	FailedH    int
	Label      string // the bucket's start and counts, for a tooltip
	Refreshed  int
	Failed     int
}

// Geometry of the chart, in SVG user units.
const (
	chartBarWidth = 6
	chartGap      = 1
	chartHeight   = 120
)

func newChart(bars []ActivityBar) *chart {
	c := &chart{Height: chartHeight, Width: len(bars) * (chartBarWidth + chartGap), Empty: true}
	for _, b := range bars {
		c.Max = max(c.Max, b.Refreshed+b.Failed)
		c.Refreshed += b.Refreshed
		c.Failed += b.Failed
	}
	if len(bars) > 0 {
		c.From = bars[0].Start.Format("2006-01-02 15:04")
		end := bars[len(bars)-1].Start
		if len(bars) > 1 {
			end = end.Add(bars[1].Start.Sub(bars[0].Start))
		}
		c.To = end.Format("2006-01-02 15:04") + " UTC"
	}
	if c.Max == 0 {
		return c
	}
	c.Empty = false
	scale := func(n int) int {
		h := n * chartHeight / c.Max
		if n > 0 && h == 0 {
			h = 1 // a single event stays visible beside a tall column
		}
		return h
	}
	for i, b := range bars {
		rh, fh := scale(b.Refreshed), scale(b.Failed)
		c.Bars = append(c.Bars, chartBar{
			X: i * (chartBarWidth + chartGap), W: chartBarWidth,
			RefreshedY: chartHeight - rh, RefreshedH: rh,
			FailedY: max(0, chartHeight-rh-fh), FailedH: fh,
			Label:     b.Start.Format("15:04") + " UTC",
			Refreshed: b.Refreshed, Failed: b.Failed,
		})
	}
	return c
}
