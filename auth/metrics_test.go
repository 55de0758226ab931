package auth_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/zohotest"
)

// otelEnv installs the SDK's in-memory metric reader and span recorder.
type otelEnv struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	mp     *sdkmetric.MeterProvider
	tp     *sdktrace.TracerProvider
}

func newOtel(t testing.TB) *otelEnv {
	o := &otelEnv{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	o.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(o.reader))
	o.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(o.spans))
	t.Cleanup(func() {
		_ = o.mp.Shutdown(context.Background())
		_ = o.tp.Shutdown(context.Background())
	})
	return o
}

func (o *otelEnv) options(opts *auth.Options) {
	opts.MeterProvider, opts.TracerProvider = o.mp, o.tp
}

// collect returns the metrics by name.
func (o *otelEnv) collect(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := o.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != auth.ScopeName {
			t.Errorf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// key names a data point by its attributes, "k=v,k=v" in key order.
func key(set attribute.Set) string {
	var b []string
	for _, kv := range set.ToSlice() {
		b = append(b, string(kv.Key)+"="+kv.Value.Emit())
	}
	return strings.Join(b, ",")
}

func sums(t *testing.T, a metricdata.Aggregation) map[string]int64 {
	t.Helper()
	s, ok := a.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("%T is not a Sum[int64]", a)
	}
	out := map[string]int64{}
	for _, dp := range s.DataPoints {
		out[key(dp.Attributes)] = dp.Value
	}
	return out
}

func counts(t *testing.T, a metricdata.Aggregation) map[string]uint64 {
	t.Helper()
	h, ok := a.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%T is not a Histogram[float64]", a)
	}
	out := map[string]uint64{}
	for _, dp := range h.DataPoints {
		out[key(dp.Attributes)] = dp.Count
	}
	return out
}

func gauge(t *testing.T, a metricdata.Aggregation) map[string]int64 {
	t.Helper()
	g, ok := a.(metricdata.Gauge[int64])
	if !ok {
		t.Fatalf("%T is not a Gauge[int64]", a)
	}
	out := map[string]int64{}
	for _, dp := range g.DataPoints {
		out[key(dp.Attributes)] = dp.Value
	}
	return out
}

// The SDK's in-memory reader sees the numbers of a known lifecycle: one
// exchange, one refresh, one throttled and one failed renewal, each
// renewal of a stored token after a wait for its lock, the store calls by
// operation, the tokens by state, the logins; and each renewal and store
// call has its span, the store calls inside their renewal's.
func TestMetricsAndSpans(t *testing.T) {
	o := newOtel(t)
	e, _ := lockEnv(t, false, o.options)
	h, _ := e.login() // exchanged: find (not found), save
	m := o.collect(t)
	if g := gauge(t, m[auth.MetricTokens]); g["zohoauth.token.state=fresh"] != 1 || g["zohoauth.token.state=expired"] != 0 {
		t.Errorf("tokens by state after the login: %v", g)
	}
	e.clk.Advance(56 * time.Minute) // stale: in the 5-minute margin
	m = o.collect(t)
	if g := gauge(t, m[auth.MetricTokens]); g["zohoauth.token.state=stale"] != 1 {
		t.Errorf("tokens by state in the margin: %v", g)
	}
	e.clk.Advance(2 * time.Hour)
	if _, err := h.AccessToken(ctx); err != nil { // refreshed
		t.Fatal(err)
	}
	e.srv.Inject(zohoTestFault("/oauth/v2/token", 200))
	e.srv.Inject(zohoTestFault("/oauth/v2/token", 503))
	if _, err := h.Refresh(ctx); err == nil {
		t.Fatal("a malformed answer passed")
	}
	e.clk.Advance(time.Minute)
	if _, err := h.Refresh(ctx); err == nil {
		t.Fatal("a 503 passed")
	}
	e.clk.Advance(time.Minute)
	e.srv.Inject(zohotestThrottle())
	if _, err := h.Refresh(ctx); err == nil {
		t.Fatal("the throttle passed")
	}
	for range 3 { // remembered: no request
		if _, err := h.Refresh(ctx); err == nil {
			t.Fatal("the remembered throttle passed")
		}
	}

	m = o.collect(t)
	want := map[string]int64{
		"zohoauth.action=exchange,zohoauth.outcome=exchanged": 1,
		"zohoauth.action=refresh,zohoauth.outcome=refreshed":  1,
		"zohoauth.action=refresh,zohoauth.outcome=failed":     2,
		"zohoauth.action=refresh,zohoauth.outcome=throttled":  1,
	}
	got := sums(t, m[auth.MetricRefreshes])
	for k, n := range want {
		if got[k] != n {
			t.Errorf("refreshes %s = %d, want %d (all: %v)", k, got[k], n, got)
		}
	}
	var total int64
	for _, n := range got {
		total += n
	}
	var durations uint64
	for _, n := range counts(t, m[auth.MetricRefreshDuration]) {
		durations += n
	}
	if uint64(total) != durations {
		t.Errorf("%d renewals counted, %d durations", total, durations)
	}
	// Every renewal of the stored token waited for its lock (a remembered
	// throttle answers before the lock).
	if lw := counts(t, m[auth.MetricLockWait]); lw["zohoauth.outcome=acquired"] != 4 {
		t.Errorf("lock waits %v, want 4 acquired", lw)
	}
	st := counts(t, m[auth.MetricStoreDuration])
	if st["zohoauth.outcome=ok,zohoauth.store.operation=save"] != 2 || st["zohoauth.outcome=ok,zohoauth.store.operation=find_by_id"] < 4 ||
		st["zohoauth.outcome=not_found,zohoauth.store.operation=find"] < 1 {
		t.Errorf("store calls %v", st)
	}
	if g := gauge(t, m[auth.MetricTokens]); g["zohoauth.token.state=failing"] != 1 || g["zohoauth.token.state=fresh"] != 0 {
		t.Errorf("tokens by state after the throttle: %v", g)
	}
	if l := sums(t, m[auth.MetricLogins]); l["zohoauth.client_id="+clientID] != 1 {
		t.Errorf("logins %v", l)
	}

	// Spans: one per renewal, the store calls inside.
	spans := o.spans.Ended()
	byID := map[string]sdktrace.ReadOnlySpan{}
	names := map[string]int{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID().String()] = s
		names[s.Name()]++
	}
	if names["zohoauth.refresh"] != int(total) || names["zohoauth.store.lock"] != 4 || names["zohoauth.store.save"] != 2 {
		t.Errorf("spans %v", names)
	}
	inside := 0
	var failed int
	for _, s := range spans {
		if s.Name() == "zohoauth.refresh" && s.Status().Code == codes.Error {
			failed++
		}
		if strings.HasPrefix(s.Name(), "zohoauth.store.") {
			if p, ok := byID[s.Parent().SpanID().String()]; ok && p.Name() == "zohoauth.refresh" {
				inside++
			}
		}
		var attrs []string
		for _, kv := range s.Attributes() {
			attrs = append(attrs, kv.Value.Emit())
		}
		for _, ev := range s.Events() {
			for _, kv := range ev.Attributes {
				attrs = append(attrs, kv.Value.Emit())
			}
		}
		tok := e.stored(h.ID())
		assertNoSecret(t, "span "+s.Name(), fmt.Sprint(attrs), tok.AccessToken, tok.RefreshToken, clientSecret)
	}
	if inside < 6 {
		t.Errorf("%d store spans inside a renewal span", inside)
	}
	if failed != 3 {
		t.Errorf("%d renewal spans with an error status, want 3", failed)
	}
}

func zohotestThrottle() zohotest.Fault {
	return zohotest.Fault{Path: "/oauth/v2/token", Body: throttleBody}
}
