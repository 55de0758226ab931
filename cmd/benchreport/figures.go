package main

import (
	"slices"
	"strings"
)

// A Chart renders itself as an SVG document.
type Chart interface {
	SVG() []byte
}

// A Figure is a chart and the file it is written to.
type Figure struct {
	File  string // base name, e.g. lookup-by-user.svg
	Alt   string
	Chart Chart
}

// A Table is a Markdown table.
type Table struct {
	Header []string
	Rows   [][]string
}

// A Section of the report: a question, its figures, and the numbers.
type Section struct {
	Title   string
	Text    string
	Figures []Figure
	Table   Table
	Missing string // why there is no figure, when there is none
}

// ratio formats a ratio stat: the median and, over several runs, the span.
func ratio(s Stat) string {
	out := tick(s.Median) + "×"
	if s.N > 1 && s.Min < s.Max {
		out += " (" + tick(s.Min) + "–" + tick(s.Max) + ")"
	}
	return out
}

// duration formats nanoseconds.
func duration(ns float64) string {
	switch {
	case ns >= 1e9:
		return tick(ns/1e9) + " s"
	case ns >= 1e6:
		return tick(ns/1e6) + " ms"
	case ns >= 1e3:
		return tick(ns/1e3) + " µs"
	}
	return tick(ns) + " ns"
}

// sizeMetrics returns the sizes of the x-bare-SIZE metrics of b, sorted.
func sizeMetrics(b *Bench) []string {
	var labels []string
	for unit := range b.Metrics {
		if l, ok := strings.CutPrefix(unit, "x-bare-"); ok {
			if _, ok := parseSize(l); ok {
				labels = append(labels, l)
			}
		}
	}
	slices.SortFunc(labels, func(a, b string) int {
		x, _ := parseSize(a)
		y, _ := parseSize(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return labels
}

// sized is a benchmark that reports, for every size, its time
// (ns/OP-SIZE), its baseline's (ns/bare-SIZE) and their ratio
// (x-bare-SIZE), as the report benchmarks and sqlstore's BenchmarkLookup do.
type sized struct {
	label, baseline string
	op              string // the OP of ns/OP-SIZE
	b               *Bench
}

// series returns the ratio at each size, and adds the numbers to t.
func (s sized) series(t *Table) Series {
	out := Series{Label: s.label + " ÷ " + s.baseline}
	for _, l := range sizeMetrics(s.b) {
		st, _ := s.b.Metric("x-bare-" + l)
		n, _ := parseSize(l)
		out.Points = append(out.Points, Point{X: n, Y: st.Median, Lo: st.Min, Hi: st.Max})
		opNs, _ := s.b.Metric("ns/" + s.op + "-" + l)
		bareNs, _ := s.b.Metric("ns/bare-" + l)
		t.Rows = append(t.Rows, []string{s.label, l, duration(opNs.Median), s.baseline, duration(bareNs.Median), ratio(st)})
	}
	return out
}

// engines are the SQL engines of sqlstore's benchmarks.
var engines = []struct{ name, label string }{
	{"sqlite-file", "SQLite (file)"},
	{"mysql", "MySQL/MariaDB"},
	{"postgres", "PostgreSQL"},
}

// lookupSection plots look-up time against store size, one chart per key.
func lookupSection(r *Results) Section {
	sec := Section{
		Title: "Look-up time against store size",
		Text: "A find by id, by user name and by refresh token, against the floor of each medium measured in the same " +
			"iterations: a Go map look-up and copy for the memory store, the bare driver's SELECT by primary key for " +
			"the SQL engines, an HGETALL of the token's hash for Redis; the file store (cache warm) against the memory " +
			"store. 1× is as fast as the floor; a flat line is a look-up that does not slow as the store grows.",
		Table: Table{Header: []string{"find by", "store", "size", "find", "baseline", "baseline time", "ratio"}},
	}
	for _, key := range []struct{ name, label string }{{"user", "user name"}, {"id", "id"}, {"refresh", "refresh token"}} {
		var ss []Series
		add := func(s sized) {
			if s.b != nil {
				var t Table
				if se := s.series(&t); len(se.Points) > 0 {
					ss = append(ss, se)
				}
				for _, row := range t.Rows {
					sec.Table.Rows = append(sec.Table.Rows, append([]string{key.label}, row...))
				}
			}
		}
		add(sized{"memory", "map look-up and copy", "find", r.Get("memory", "BenchmarkReportFind/by-"+key.name)})
		add(sized{"file (cache warm)", "memory store", "find", r.Get("filestore", "BenchmarkReportFind/by-"+key.name)})
		for _, e := range engines {
			add(sized{e.label, "SELECT by primary key", "find", r.Get("sqlstore", "BenchmarkLookup/"+e.name+"/by-"+key.name)})
		}
		add(sized{"Redis", "HGETALL", "find", r.Get("redisstore", "BenchmarkReportFind/by-"+key.name)})
		if len(ss) == 0 {
			continue
		}
		sec.Figures = append(sec.Figures, Figure{
			File: "lookup-by-" + key.name + ".svg",
			Alt:  "find by " + key.label + " ÷ baseline, against store size",
			Chart: LineChart{
				Title:  "Find by " + key.label + ": time ÷ the medium's floor, same run",
				XLabel: "tokens in the store", YLabel: "× baseline (lower is faster)",
				Series: ss, Refs: []Ref{{1, "baseline"}},
			},
		})
	}
	if len(sec.Figures) == 0 {
		sec.Missing = "No look-up benchmark ran."
	}
	return sec
}

// saveSection plots save time against store size.
func saveSection(r *Results) Section {
	sec := Section{
		Title: "Save time against store size",
		Text: "A save of a refresh (a new access token and expiry for a user), against the floor of each medium " +
			"measured in the same iterations: an atomic rewrite of a file of the same bytes (temporary file, write, " +
			"fsync, rename, fsync of the directory) for the file store, the bare driver's UPDATE of the same two " +
			"columns by primary key for the SQL engines, an HSET of the same two fields for Redis.",
		Table: Table{Header: []string{"store", "size", "save", "baseline", "baseline time", "ratio"}},
	}
	var ss []Series
	add := func(s sized) {
		if s.b != nil {
			if se := s.series(&sec.Table); len(se.Points) > 0 {
				ss = append(ss, se)
			}
		}
	}
	add(sized{"file", "atomic rewrite", "save", r.Get("filestore", "BenchmarkReportSave")})
	for _, e := range engines {
		add(sized{e.label, "bare UPDATE", "save", r.Get("sqlstore", "BenchmarkReportSave/"+e.name)})
	}
	add(sized{"Redis", "HSET", "save", r.Get("redisstore", "BenchmarkReportSave")})
	if len(ss) == 0 {
		sec.Missing = "No save benchmark ran."
		return sec
	}
	sec.Figures = []Figure{{
		File: "save.svg",
		Alt:  "save ÷ baseline, against store size",
		Chart: LineChart{
			Title:  "Save of a refresh: time ÷ the medium's floor, same run",
			XLabel: "tokens in the store", YLabel: "× baseline (lower is faster)",
			Series: ss, Refs: []Ref{{1, "baseline"}},
		},
	}}
	return sec
}

// followersSection plots the callers' wait against the refresh round trip
// of cluster's BenchmarkCoordinatedRefreshProcs: followers in other OS
// processes, woken by the holder's release and polling, with the memory
// store's in-process run as the floor.
func followersSection(r *Results) Section {
	sec := Section{
		Title: "Followers' wait against the refresh round trip, across processes",
		Text: "4 OS processes × 250 goroutines, each process with its own authenticator and store connections, ask for a " +
			"token at the moment it expires; one refresh reaches the Zoho emulator (with a 100 ms delay) under the store " +
			"lock, and the other processes wait for that lock, then read the new token. The processes live through the " +
			"rounds, as a fleet does. Rounds alternate between the stores' waiters woken by the holder's release " +
			"(PostgreSQL LISTEN/NOTIFY, Redis pub/sub, MySQL GET_LOCK on the holder's named lock, the lease file or the " +
			"SQLite database watched with inotify) and the same waiters polling (every 10 to 50 ms). The bars are the " +
			"callers' median and 99th-percentile wait from the expiry ÷ the round trip of that refresh, measured in the " +
			"same rounds: 1× is a wait no longer than the refresh itself. A memory store cannot be shared by processes: " +
			"its row is 4 authenticators over one store in one process, the floor.",
		Table: Table{Header: []string{"store", "processes", "refresh round trip", "wait p50", "wait p99", "p50 ÷ round trip",
			"p99 ÷ round trip", "polling: p50 ÷ round trip", "polling: p99 ÷ round trip", "token requests per expiry"}},
	}
	var groups []BarGroup
	for _, b := range r.Each("cluster", "BenchmarkCoordinatedRefreshProcs/") {
		p50, ok1 := b.Metric("p50/rtt")
		p99, ok2 := b.Metric("p99/rtt")
		if !ok1 || !ok2 {
			continue
		}
		store := strings.TrimPrefix(b.Name, "BenchmarkCoordinatedRefreshProcs/")
		procs := "4 OS processes"
		if name, ok := strings.CutSuffix(store, "/in-process"); ok {
			store, procs = name, "1 (in-process)"
		}
		bars := []Bar{
			{Label: "median wait, woken", Value: p50.Median, Lo: p50.Min, Hi: p50.Max},
			{Label: "99th percentile, woken", Value: p99.Median, Lo: p99.Min, Hi: p99.Max},
		}
		poll50, ok3 := b.Metric("poll-p50/rtt")
		poll99, ok4 := b.Metric("poll-p99/rtt")
		pollCells := []string{"–", "–"}
		if ok3 && ok4 {
			bars = append(bars,
				Bar{Label: "median wait, polling", Value: poll50.Median, Lo: poll50.Min, Hi: poll50.Max},
				Bar{Label: "99th percentile, polling", Value: poll99.Median, Lo: poll99.Min, Hi: poll99.Max})
			pollCells = []string{ratio(poll50), ratio(poll99)}
		}
		groups = append(groups, BarGroup{Label: store + ", " + procs, Bars: bars})
		rtt, _ := b.Metric("refresh-rtt-ms")
		w50, _ := b.Metric("wait-p50-ms")
		w99, _ := b.Metric("wait-p99-ms")
		calls, _ := b.Metric("token-calls/expiry")
		sec.Table.Rows = append(sec.Table.Rows, []string{store, procs, duration(rtt.Median * 1e6), duration(w50.Median * 1e6),
			duration(w99.Median * 1e6), ratio(p50), ratio(p99), pollCells[0], pollCells[1], tick(calls.Median)})
	}
	if len(groups) == 0 {
		sec.Missing = "The coordinated-refresh benchmark did not run."
		return sec
	}
	sec.Figures = []Figure{{
		File: "followers.svg",
		Alt:  "followers' wait ÷ refresh round trip, per store, woken and polling",
		Chart: BarChart{
			Title:  "Callers' wait ÷ the one refresh's round trip, across processes, same run",
			XLabel: "× refresh round trip (1 = no longer than the refresh)",
			Groups: groups, Refs: []Ref{{1, "round trip"}, {1.1, "goal p50"}, {1.3, "goal p99"}},
		},
	}}
	return sec
}

// validTokenSection plots the valid-token path beside golang.org/x/oauth2's
// ReuseTokenSource.
func validTokenSection(r *Results) Section {
	sec := Section{
		Title: "The valid-token path beside golang.org/x/oauth2",
		Text: "The call made before every API request when the token is valid: zohoauth's Handle.AccessToken against " +
			"x/oauth2's ReuseTokenSource.Token, in the same run, on one goroutine and on all CPUs at once.",
		Table: Table{Header: []string{"path", "zohoauth", "x/oauth2 ReuseTokenSource", "ratio", "allocs/op (zohoauth)"}},
	}
	var groups []BarGroup
	for _, v := range []struct{ suffix, label string }{{"", "one goroutine"}, {"-parallel", "all CPUs in parallel"}} {
		z := r.Get("auth", "BenchmarkValidToken/zohoauth"+v.suffix)
		x := r.Get("auth", "BenchmarkValidToken/x-oauth2-ReuseTokenSource"+v.suffix)
		zs, ok1 := z.Metric("ns/op")
		xs, ok2 := x.Metric("ns/op")
		if !ok1 || !ok2 || xs.Median <= 0 {
			continue
		}
		ratioStat := Stat{Median: zs.Median / xs.Median, Min: zs.Min / xs.Max, Max: zs.Max / xs.Min, N: min(zs.N, xs.N)}
		groups = append(groups, BarGroup{Label: v.label, Bars: []Bar{
			{Label: "zohoauth", Value: ratioStat.Median, Lo: ratioStat.Min, Hi: ratioStat.Max},
			{Label: "x/oauth2 ReuseTokenSource", Value: 1, Lo: 1, Hi: 1},
		}})
		allocs, _ := z.Metric("allocs/op")
		sec.Table.Rows = append(sec.Table.Rows, []string{v.label, duration(zs.Median), duration(xs.Median), ratio(ratioStat), tick(allocs.Median)})
	}
	if len(groups) == 0 {
		sec.Missing = "The valid-token benchmark did not run."
		return sec
	}
	sec.Figures = []Figure{{
		File: "valid-token.svg",
		Alt:  "valid-token path ÷ x/oauth2 ReuseTokenSource",
		Chart: BarChart{
			Title:  "Valid-token path: time ÷ x/oauth2's ReuseTokenSource, same run",
			XLabel: "× x/oauth2 ReuseTokenSource.Token (lower is faster)",
			Groups: groups, Refs: []Ref{{1, "x/oauth2"}},
		},
	}}
	return sec
}

// Sections returns the sections of the report, in order.
func Sections(r *Results) []Section {
	return []Section{validTokenSection(r), lookupSection(r), saveSection(r), followersSection(r)}
}

// mdEscape escapes text for a Markdown table cell or paragraph.
func mdEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '\\', '|', '*', '_', '`', '[', ']', '<', '>', '#':
			b.WriteString(`\` + string(c))
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// Markdown writes the table.
func (t Table) Markdown() string {
	if len(t.Rows) == 0 {
		return ""
	}
	var b strings.Builder
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + mdEscape(c) + " |")
		}
		b.WriteString("\n")
	}
	row(t.Header)
	b.WriteString("|" + strings.Repeat(" --- |", len(t.Header)) + "\n")
	for _, r := range t.Rows {
		row(r)
	}
	return b.String()
}
