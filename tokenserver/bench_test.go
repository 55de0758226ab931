package tokenserver_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/tokenserver"
)

// BenchmarkTokenEndpoint measures GET /v1/token on a valid token through
// the whole service (key check, rate limiter, scope, authenticator) beside a
// bare Go handler that writes a constant JSON answer, both over loopback
// HTTP with parallel keep-alive clients in the same run. It reports
// requests/s and the 99th percentile latency of each; "token+metrics" is
// the service recording its metrics and the authenticator's into a
// PrometheusMetrics.
func BenchmarkTokenEndpoint(b *testing.B) {
	e := newEnv(b, envOpts{})
	defer e.http.Close()
	tok := e.login("ann@example.com", clientA, secretA)
	key := e.key(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}, Rate: 1e9, Burst: 1e9})
	m := newEnv(b, envOpts{store: e.store, emu: e.emu, keys: e.keys.Path(), metrics: true})
	defer m.http.Close()

	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"1000.0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef","expires_in":3599}`+"\n")
	}))
	defer bare.Close()

	run := func(b *testing.B, url string, auth bool) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		var mu sync.Mutex
		var lat []time.Duration
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			req, _ := http.NewRequest("GET", url, nil)
			if auth {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			mine := make([]time.Duration, 0, 1024)
			for pb.Next() {
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
		elapsed := time.Since(start)
		b.StopTimer()
		if len(lat) == 0 {
			return
		}
		slices.Sort(lat)
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
	b.Run("bare", func(b *testing.B) { run(b, bare.URL+"/v1/token", false) })
	b.Run("token", func(b *testing.B) { run(b, e.http.URL+"/v1/token?user="+tok.UserName+"&client_id="+clientA, true) })
	b.Run("token+metrics", func(b *testing.B) { run(b, m.http.URL+"/v1/token?user="+tok.UserName+"&client_id="+clientA, true) })
}
