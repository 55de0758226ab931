package auth_test

import (
	"context"
	"testing"
	"time"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/memory"
)

// validHandleWith is validHandle with options.
func validHandleWith(tb testing.TB, opts auth.Options) (*auth.Handle, *auth.Authenticator) {
	tb.Helper()
	st := memory.New()
	tok := &zohoauth.Token{ClientID: "c", ClientSecret: "s", RefreshToken: "r", AccessToken: "1000.valid",
		Expiry: time.Now().Add(24 * time.Hour), APIDomain: "https://www.zohoapis.com", UserName: "u@example.com:1"}
	if err := st.SaveToken(context.Background(), tok); err != nil {
		tb.Fatal(err)
	}
	opts.Clock = clock.System()
	a := mustNew(st, opts)
	h := a.For(&zohoauth.Token{ID: tok.ID})
	if got, err := h.AccessToken(context.Background()); err != nil || got != "1000.valid" {
		tb.Fatalf("%q %v", got, err)
	}
	return h, a
}

// The observed variants of the valid-token path: events and a no-op
// meter, and the OpenTelemetry SDK's meter and tracer installed.
func observedVariants(tb testing.TB) map[string]auth.Options {
	o := newOtel(tb)
	hook := func(context.Context, auth.Event) {}
	return map[string]auth.Options{
		"events+noop-meter": {OnEvent: hook, MeterProvider: metricnoop.NewMeterProvider(), TracerProvider: tracenoop.NewTracerProvider()},
		"events+sdk-meter":  {OnEvent: hook, MeterProvider: o.mp, TracerProvider: o.tp},
	}
}

// The valid-token path allocates nothing with events and a meter, no-op
// or the SDK's: it records nothing.
func TestHotPathAllocatesNothingObserved(t *testing.T) {
	for name, opts := range observedVariants(t) {
		h, a := validHandleWith(t, opts)
		c := context.Background()
		if n := testing.AllocsPerRun(1000, func() { _, _ = h.AccessToken(c) }); n != 0 {
			t.Errorf("%s: %v allocs per call", name, n)
		}
		_ = a.Close()
	}
}

// BenchmarkValidTokenObserved runs the valid-token path without options
// (the global providers, no hook), with events and a no-op meter, and with
// the SDK's meter and tracer, in the same run.
func BenchmarkValidTokenObserved(b *testing.B) {
	variants := observedVariants(b)
	variants["plain"] = auth.Options{}
	for _, name := range []string{"plain", "events+noop-meter", "events+sdk-meter"} {
		h, a := validHandleWith(b, variants[name])
		c := context.Background()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.AccessToken(c); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = a.Close()
	}
}
