package tokenserver

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// ScopeName is the instrumentation scope of the service's own meter.
const ScopeName = "github.com/zohoauth/zohoauth/tokenserver"

// The service's own instruments, recorded through Config.MeterProvider.
// Their attributes hold no secret and no user name: a route is the
// pattern the request matched (never its path, which may hold a token id),
// and an API key appears by its id, the public part of the key.
const (
	// MetricRequests counts the answered requests by http.route (the
	// matched pattern, such as "/v1/token" or "/v1/tokens/{id}", or
	// "other" for a path the service does not serve),
	// http.request.method (a standard method, or "_OTHER") and
	// http.response.status_code.
	MetricRequests = "zohoauth.server.requests"
	// MetricDenied counts the refused calls by zohoauth.reason (the
	// Reason… constants).
	MetricDenied = "zohoauth.server.denied"
	// MetricRateLimited counts the calls refused by an API key's rate
	// limit, by zohoauth.key.id.
	MetricRateLimited = "zohoauth.server.rate_limited"
)

// Reasons of a denied call: the values of the zohoauth.reason attribute
// of MetricDenied, also logged with each denial.
const (
	ReasonNoKey       = "no_key"       // no Authorization: Bearer header
	ReasonInvalidKey  = "invalid_key"  // malformed, unknown or wrong key
	ReasonRevokedKey  = "revoked_key"  // a revoked key
	ReasonExpiredKey  = "expired_key"  // a key past its expiry
	ReasonRateLimited = "rate_limited" // the key's rate limit
	ReasonOutOfScope  = "out_of_scope" // a key acting outside its scope
	ReasonNotAdmin    = "not_admin"    // a console login with a key that is not an admin key
	ReasonCSRF        = "csrf"         // a console form without its CSRF token
	ReasonNoSession   = "no_session"   // a console form without a session
)

// Attribute keys of the service's metrics.
const (
	attrRoute  = attribute.Key("http.route")
	attrMethod = attribute.Key("http.request.method")
	attrStatus = attribute.Key("http.response.status_code")
	attrReason = attribute.Key("zohoauth.reason")
	attrKeyID  = attribute.Key("zohoauth.key.id")
)

// serverTelemetry holds the service's instruments.
type serverTelemetry struct {
	requests    metric.Int64Counter
	denied      metric.Int64Counter
	rateLimited metric.Int64Counter
}

func newServerTelemetry(mp metric.MeterProvider) *serverTelemetry {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(ScopeName)
	t := &serverTelemetry{}
	// An instrument the provider refuses is still a usable no-op one.
	t.requests, _ = m.Int64Counter(MetricRequests, metric.WithUnit("{request}"), metric.WithDescription("Requests answered, by route, method and status."))
	t.denied, _ = m.Int64Counter(MetricDenied, metric.WithUnit("{call}"), metric.WithDescription("Calls refused, by reason."))
	t.rateLimited, _ = m.Int64Counter(MetricRateLimited, metric.WithUnit("{call}"), metric.WithDescription("Calls refused by an API key's rate limit, by key id."))
	return t
}

// methodLabel returns the method as counted: a standard method by name,
// any other as "_OTHER", so that a caller cannot make up label values.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

// statusWriter remembers the status of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// counted wraps the handler of a route so that its answers are counted
// (MetricRequests) under route.
func (s *Server) counted(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.tel.requests.Add(r.Context(), 1, metric.WithAttributeSet(attribute.NewSet(
			attrRoute.String(route), attrMethod.String(methodLabel(r.Method)), attrStatus.Int(status))))
	})
}

// metrics answers GET /metrics with Config.Metrics: to a key with
// Scope.Metrics or Scope.Admin, or to anyone on loopback when
// Config.MetricsPublic is set.
func (s *Server) metrics() http.Handler {
	withKey := s.api(methods{
		http.MethodGet:  s.metricsWithKey,
		http.MethodHead: s.metricsWithKey,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.MetricsPublic && r.Header.Get("Authorization") == "" && loopbackRemote(r) &&
			(r.Method == http.MethodGet || r.Method == http.MethodHead) {
			s.cfg.Metrics.ServeHTTP(w, r)
			return
		}
		withKey.ServeHTTP(w, r)
	})
}

func (s *Server) metricsWithKey(w http.ResponseWriter, r *http.Request, k *Key) *apiError {
	if !k.Admin && !k.Metrics {
		return errorf(http.StatusForbidden, ReasonOutOfScope, "this API key may not read the metrics (it needs the metrics or admin right)")
	}
	s.cfg.Metrics.ServeHTTP(w, r)
	return nil
}

// loopbackRemote reports whether the request came from a loopback address.
func loopbackRemote(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// PrometheusMetrics is an OpenTelemetry MeterProvider whose metrics are
// read from its own Prometheus registry at each scrape, never from the
// process-wide default registry. Give Provider to auth.Options and
// Config.MeterProvider, and Handler to Config.Metrics.
type PrometheusMetrics struct {
	// Provider records the metrics; Shutdown stops it.
	Provider *sdkmetric.MeterProvider
	// Registry holds the provider's metrics, the Go runtime's and the
	// process's.
	Registry *prometheus.Registry
}

// NewPrometheusMetrics returns a MeterProvider exported to a new
// Prometheus registry, with the Go runtime and process collectors.
func NewPrometheusMetrics() (*PrometheusMetrics, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("tokenserver: metrics: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("tokenserver: metrics: %w", err)
	}
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("tokenserver: metrics: %w", err)
	}
	return &PrometheusMetrics{Provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp)), Registry: reg}, nil
}

// Handler returns the scrape handler of the registry: the OpenMetrics text
// format to a scraper that asks for it (Accept:
// application/openmetrics-text), Prometheus's text format otherwise.
func (m *PrometheusMetrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Shutdown stops the provider; later recordings are dropped.
func (m *PrometheusMetrics) Shutdown(ctx context.Context) error {
	return m.Provider.Shutdown(ctx)
}
