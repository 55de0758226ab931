package accounts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/zohotest"
)

const (
	devClient = "1000.DEVICECLIENT"
	devSecret = "device-client-secret-0123456789"
	devEmail  = "ana@example.com"
)

// deviceEmulator starts an emulator on a fake clock with one client and
// one user (in data center loc, "" for the server's), and a Client pointed
// at it by BaseURL.
func deviceEmulator(t *testing.T, opts zohotest.Options, loc string) (*zohotest.Server, *accounts.Client, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(now)
	opts.Clock = clk
	s := zohotest.NewServer(opts)
	t.Cleanup(s.Close)
	s.AddClient(zohotest.Client{ID: devClient, Secret: devSecret})
	s.AddUser(zohotest.User{Email: devEmail, ZGID: "7001", Location: loc})
	return s, &accounts.Client{BaseURL: s.URL, Now: clk.Now}, clk
}

func devToken() *zohoauth.Token { return &zohoauth.Token{ClientID: devClient, ClientSecret: devSecret} }

var crmScopes = accounts.DeviceOptions{Scopes: []string{"ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ"}, Offline: true}

// waiter runs WaitDevice in a goroutine.
type waiter struct {
	done chan struct{}
	tok  *zohoauth.Token
	err  error
}

func startWait(ctx context.Context, c *accounts.Client, clk clock.Clock, tok *zohoauth.Token, d *accounts.Device) *waiter {
	w := &waiter{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.tok, w.err = c.WaitDevice(ctx, clk, tok, d)
	}()
	return w
}

// tick waits until the waiter sleeps on clk (or has finished), then moves
// clk by d. It reports false when the waiter has finished.
func (w *waiter) tick(t *testing.T, clk *clock.Fake, d time.Duration) bool {
	t.Helper()
	for len(clk.Pending()) == 0 {
		select {
		case <-w.done:
			return false
		case <-time.After(time.Millisecond):
		}
	}
	clk.Advance(d)
	return true
}

// result waits for the waiter's end.
func (w *waiter) result(t *testing.T) (*zohoauth.Token, error) {
	t.Helper()
	select {
	case <-w.done:
		return w.tok, w.err
	case <-time.After(30 * time.Second):
		t.Fatal("WaitDevice did not return")
		return nil, nil
	}
}

// pollsReach waits until the emulator has seen n polls.
func pollsReach(t *testing.T, s *zohotest.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.Stats().DevicePolls < n {
		if time.Now().After(deadline) {
			t.Fatalf("polls = %d, want %d", s.Stats().DevicePolls, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestDeviceFlowApproved(t *testing.T) {
	s, c, clk := deviceEmulator(t, zohotest.Options{}, "")
	ctx := context.Background()
	d, err := c.StartDevice(ctx, devToken(), crmScopes)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[A-Z0-9]{4}-[A-Z0-9]{4}$`).MatchString(d.UserCode) {
		t.Errorf("user code %q", d.UserCode)
	}
	if d.VerificationURL != s.URL+"/oauth/v3/device" || d.VerificationURLComplete != d.VerificationURL+"?user_code="+d.UserCode {
		t.Errorf("verification URLs %q %q", d.VerificationURL, d.VerificationURLComplete)
	}
	// The emulator gives interval and expires_in in milliseconds, as Zoho documents.
	if d.Interval != 5*time.Second || !d.Expiry.Equal(now.Add(5*time.Minute)) || d.Server != s.URL {
		t.Errorf("interval %v expiry %v server %q", d.Interval, d.Expiry, d.Server)
	}

	w := startWait(ctx, c, clk, devToken(), d)
	w.tick(t, clk, d.Interval)
	pollsReach(t, s, 1) // authorization_pending
	if err := s.ApproveDevice(d.UserCode, devEmail); err != nil {
		t.Fatal(err)
	}
	w.tick(t, clk, d.Interval)
	tok, err := w.result(t)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.APIDomain != s.URL || tok.ClientSecret != devSecret {
		t.Errorf("token %#v", tok)
	}
	if want := now.Add(10 * time.Second).Add(time.Hour); !tok.Expiry.Equal(want) {
		t.Errorf("expiry %v, want %v", tok.Expiry, want)
	}
	if st := s.Stats(); st.DevicePolls != 2 || st.SlowDowns != 0 || st.DeviceCodes != 1 {
		t.Errorf("stats %+v", st)
	}
	sig, err := c.UserSignature(ctx, tok)
	if err != nil || sig != devEmail+":7001" {
		t.Errorf("the token does not work: %q %v", sig, err)
	}
	// The device code is spent.
	if _, err := c.PollDevice(ctx, devToken(), d); err == nil {
		t.Error("a spent device login polled again")
	}
}

func TestDeviceFlowRefreshTokenOnlyOnFirstConsent(t *testing.T) {
	s, c, clk := deviceEmulator(t, zohotest.Options{}, "")
	ctx := context.Background()
	login := func(o accounts.DeviceOptions) *zohoauth.Token {
		t.Helper()
		d, err := c.StartDevice(ctx, devToken(), o)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ApproveDevice(strings.ToLower(d.UserCode), devEmail); err != nil { // typed in lower case
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		tok, err := c.PollDevice(ctx, devToken(), d)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	if tok := login(crmScopes); tok.RefreshToken == "" {
		t.Error("first offline login: no refresh token")
	}
	if tok := login(crmScopes); tok.RefreshToken != "" {
		t.Error("second offline login without prompt=consent: a refresh token")
	}
	o := crmScopes
	o.Consent = true
	if tok := login(o); tok.RefreshToken == "" {
		t.Error("offline login with prompt=consent: no refresh token")
	}
}

func TestDeviceSlowDown(t *testing.T) {
	s, c, clk := deviceEmulator(t, zohotest.Options{}, "")
	ctx := context.Background()
	d, err := c.StartDevice(ctx, devToken(), crmScopes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PollDevice(ctx, devToken(), d); !errors.Is(err, accounts.ErrAuthorizationPending) {
		t.Fatalf("first poll: %v", err)
	}
	clk.Advance(time.Second) // too soon
	_, err = c.PollDevice(ctx, devToken(), d)
	if !errors.Is(err, accounts.ErrSlowDown) {
		t.Fatalf("second poll 1 s later: %v", err)
	}
	if d.Interval != accounts.SlowDownInterval {
		t.Errorf("interval after slow_down %v", d.Interval)
	}
	// Once slowed down, even the first interval is too soon for Zoho.
	clk.Advance(10 * time.Second)
	if _, err := c.PollDevice(ctx, devToken(), d); !errors.Is(err, accounts.ErrSlowDown) {
		t.Fatalf("poll 10 s after a slow_down: %v", err)
	}
	if d.Interval != accounts.SlowDownInterval+5*time.Second {
		t.Errorf("interval after a second slow_down %v", d.Interval)
	}
	// WaitDevice keeps to the raised interval: no further slow_down.
	w := startWait(ctx, c, clk, devToken(), d)
	w.tick(t, clk, d.Interval)
	pollsReach(t, s, 4)
	if err := s.ApproveDevice(d.UserCode, ""); err != nil {
		t.Fatal(err)
	}
	w.tick(t, clk, d.Interval)
	if _, err := w.result(t); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.SlowDowns != 2 || st.DevicePolls != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestDeviceAccessDenied(t *testing.T) {
	s, c, clk := deviceEmulator(t, zohotest.Options{}, "")
	ctx := context.Background()
	d, err := c.StartDevice(ctx, devToken(), crmScopes)
	if err != nil {
		t.Fatal(err)
	}
	w := startWait(ctx, c, clk, devToken(), d)
	w.tick(t, clk, d.Interval)
	pollsReach(t, s, 1)
	if err := s.DenyDevice(d.UserCode); err != nil {
		t.Fatal(err)
	}
	w.tick(t, clk, d.Interval)
	_, err = w.result(t)
	var e *accounts.Error
	if !errors.Is(err, accounts.ErrAccessDenied) || errors.Is(err, accounts.ErrThrottled) || !errors.As(err, &e) || e.Code != "access_denied" {
		t.Fatalf("denied: %v", err)
	}
	if err := s.ApproveDevice(d.UserCode, ""); !errors.Is(err, zohotest.ErrUnknownUserCode) {
		t.Errorf("a denied code approved later: %v", err)
	}
}

func TestDeviceExpired(t *testing.T) {
	s, c, clk := deviceEmulator(t, zohotest.Options{DeviceInterval: time.Minute}, "")
	ctx := context.Background()
	d, err := c.StartDevice(ctx, devToken(), crmScopes)
	if err != nil {
		t.Fatal(err)
	}
	w := startWait(ctx, c, clk, devToken(), d)
	for w.tick(t, clk, d.Interval) {
	}
	_, err = w.result(t)
	if !errors.Is(err, accounts.ErrDeviceExpired) {
		t.Fatalf("WaitDevice after the expiry: %v", err)
	}
	// Four polls (minutes 1 to 4); at minute 5 the code has expired and
	// WaitDevice stops without polling.
	if n := s.Stats().DevicePolls; n != 4 {
		t.Errorf("polls %d", n)
	}
	// Zoho's own answer to a poll after the expiry.
	_, err = c.PollDevice(ctx, devToken(), d)
	var e *accounts.Error
	if !errors.Is(err, accounts.ErrDeviceExpired) || !errors.As(err, &e) || e.Code != "expired" {
		t.Fatalf("poll after the expiry: %v", err)
	}
	if err := s.ApproveDevice(d.UserCode, ""); !errors.Is(err, zohotest.ErrUnknownUserCode) {
		t.Errorf("an expired code approved: %v", err)
	}
}

// hostRecorder records the host of every request.
type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
	next  http.RoundTripper
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Scheme+"://"+r.URL.Host+r.URL.Path)
	h.mu.Unlock()
	return h.next.RoundTrip(r)
}

// TestDeviceOtherDC: the client is registered in the emulator's data
// center (us); the user approves from the EU. The first poll after the
// approval answers other_dc with user_location eu, and the next goes to
// https://accounts.zoho.eu (routed to the emulator by its Transport).
func TestDeviceOtherDC(t *testing.T) {
	s, _, clk := deviceEmulator(t, zohotest.Options{}, "eu")
	rec := &hostRecorder{next: s.Transport(nil)}
	c := &accounts.Client{Environment: s.Environment(), HTTPClient: &http.Client{Transport: rec}, Now: clk.Now}
	ctx := context.Background()
	d, err := c.StartDevice(ctx, devToken(), crmScopes)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApproveDevice(d.UserCode, devEmail); err != nil {
		t.Fatal(err)
	}
	w := startWait(ctx, c, clk, devToken(), d)
	w.tick(t, clk, d.Interval)
	pollsReach(t, s, 1)
	w.tick(t, clk, d.Interval)
	tok, err := w.result(t)
	if err != nil {
		t.Fatal(err)
	}
	if d.Location != "eu" || d.Server != "https://accounts.zoho.eu" || tok.AccessToken == "" {
		t.Errorf("location %q server %q token %v", d.Location, d.Server, tok)
	}
	want := []string{s.URL + "/oauth/v3/device/code", s.URL + "/oauth/v3/device/token", "https://accounts.zoho.eu/oauth/v3/device/token"}
	if fmt.Sprint(rec.hosts) != fmt.Sprint(want) {
		t.Errorf("requests went to %v, want %v", rec.hosts, want)
	}
}

// TestDeviceOtherDCRepeated: with BaseURL every data center is the same
// server, so the user's data center cannot be reached: the second other_dc
// is final instead of a poll loop until the code expires.
func TestDeviceOtherDCRepeated(t *testing.T) {
	s, c, clk := deviceEmulator(t, zohotest.Options{}, "eu")
	ctx := context.Background()
	d, err := c.StartDevice(ctx, devToken(), crmScopes)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ApproveDevice(d.UserCode, devEmail); err != nil {
		t.Fatal(err)
	}
	w := startWait(ctx, c, clk, devToken(), d)
	for w.tick(t, clk, d.Interval) {
	}
	_, err = w.result(t)
	if !errors.Is(err, accounts.ErrOtherDC) || !strings.Contains(err.Error(), "again") {
		t.Fatalf("WaitDevice: %v", err)
	}
	if n := s.Stats().DevicePolls; n != 2 || d.Server != s.URL {
		t.Errorf("polls %d server %q", n, d.Server)
	}
}

// fakeAccounts answers the device-code request with codeBody and each poll
// with the next of polls (the last one repeats).
func fakeAccounts(t *testing.T, codeBody string, polls ...string) (*accounts.Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/device/code") {
			_, _ = io.WriteString(w, codeBody)
			return
		}
		i := int(n.Add(1)) - 1
		body := polls[min(i, len(polls)-1)]
		if strings.HasPrefix(body, "503 ") {
			w.WriteHeader(http.StatusServiceUnavailable)
			body = body[4:]
		}
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return &accounts.Client{BaseURL: srv.URL, Now: func() time.Time { return now }}, &n
}

const deviceCodeSecret = "1000.devicecode.secret0123456789"

var goodCode = `{"user_code":"ABCD-EFGH","device_code":"` + deviceCodeSecret + `","verification_url":"https://accounts.zoho.com/oauth/v3/device","interval":5000,"expires_in":300000}`

// TestDeviceOtherDCHostile: an other_dc naming anything but a known data
// center is refused with a typed error, and nothing is sent anywhere else.
func TestDeviceOtherDCHostile(t *testing.T) {
	for _, loc := range []string{"https://evil.example", "evil.example", "", "accounts.zoho.eu.evil.example", "eu\x1b[2J"} {
		t.Run(fmt.Sprintf("%q", loc), func(t *testing.T) {
			b, _ := json.Marshal(map[string]string{"error": "other_dc", "user_location": loc})
			body := string(b)
			c, n := fakeAccounts(t, goodCode, body, `{"access_token":"x","api_domain":"https://www.zohoapis.com"}`)
			c.HTTPClient = &http.Client{Transport: &onlyHost{host: strings.TrimPrefix(c.BaseURL, "http://")}}
			c.BaseURL, c.Environment = "", zohoauth.Environment{DC: "us", AccountsURL: c.BaseURL, APIURL: c.BaseURL}
			ctx := context.Background()
			d, err := c.StartDevice(ctx, devToken(), crmScopes)
			if err != nil {
				t.Fatal(err)
			}
			server := d.Server
			clk := clock.NewFake(now)
			w := startWait(ctx, c, clk, devToken(), d)
			for w.tick(t, clk, d.Interval) {
			}
			_, err = w.result(t)
			if !errors.Is(err, accounts.ErrOtherDC) || !errors.Is(err, zohoauth.ErrUnknownEnvironment) {
				t.Fatalf("err = %v", err)
			}
			if strings.ContainsAny(err.Error(), "\x1b") {
				t.Errorf("control character in the error: %q", err)
			}
			if n.Load() != 1 || d.Server != server || d.Location != "" {
				t.Errorf("polls %d server %q location %q", n.Load(), d.Server, d.Location)
			}
		})
	}
}

// onlyHost refuses every request to another host than host.
type onlyHost struct{ host string }

func (o *onlyHost) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != o.host {
		return nil, fmt.Errorf("request to %s refused", r.URL.Host)
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestDeviceUntrustedAPIDomain(t *testing.T) {
	c, _ := fakeAccounts(t, goodCode, `{"access_token":"`+access+`","refresh_token":"`+refresh+`","api_domain":"https://www.zohoapis.com.evil.example","expires_in":3600}`)
	ctx := context.Background()
	d, err := c.StartDevice(ctx, devToken(), crmScopes)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PollDevice(ctx, devToken(), d)
	if !errors.Is(err, zohoauth.ErrUntrustedAPIDomain) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), access) || strings.Contains(err.Error(), refresh) {
		t.Errorf("secret in the error: %v", err)
	}
}

// TestDeviceSecretsHidden: the device code and the client secret, echoed by
// a hostile server, are scrubbed from errors, and the Device never prints
// its device code.
func TestDeviceSecretsHidden(t *testing.T) {
	echo := `{"error":"invalid_client_secret","error_description":"bad ` + devSecret + ` for ` + deviceCodeSecret + `"}`
	c, _ := fakeAccounts(t, goodCode, echo)
	ctx := context.Background()
	d, err := c.StartDevice(ctx, devToken(), crmScopes)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PollDevice(ctx, devToken(), d)
	if !errors.Is(err, accounts.ErrInvalidClient) {
		t.Fatalf("err = %v", err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("device", "d", d)
	for _, out := range []string{err.Error(), fmt.Sprintf("%v %+v %#v %s", d, d, d, d), buf.String()} {
		if strings.Contains(out, devSecret) || strings.Contains(out, deviceCodeSecret) {
			t.Errorf("secret in %q", out)
		}
	}
	if !strings.Contains(buf.String(), "ABCD-EFGH") {
		t.Errorf("log lacks the user code: %s", buf.String())
	}
}

func TestDeviceContextCanceled(t *testing.T) {
	_, c, clk := deviceEmulator(t, zohotest.Options{}, "")
	ctx, cancel := context.WithCancel(context.Background())
	d, err := c.StartDevice(ctx, devToken(), crmScopes)
	if err != nil {
		t.Fatal(err)
	}
	w := startWait(ctx, c, clk, devToken(), d)
	for len(clk.Pending()) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if _, err := w.result(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestDeviceTransientRetried(t *testing.T) {
	ok := `{"access_token":"` + access + `","api_domain":"https://www.zohoapis.com","expires_in":3600}`
	c, n := fakeAccounts(t, goodCode, "503 {}", "503 {}", `{"error":"authorization_pending"}`, "503 {}", ok)
	ctx := context.Background()
	d, err := c.StartDevice(ctx, devToken(), crmScopes)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(now)
	w := startWait(ctx, c, clk, devToken(), d)
	for w.tick(t, clk, d.Interval) {
	}
	tok, err := w.result(t)
	if err != nil || tok.AccessToken != access || n.Load() != 5 {
		t.Fatalf("tok %v err %v polls %d", tok, err, n.Load())
	}

	c, n = fakeAccounts(t, goodCode, "503 {}")
	d, err = c.StartDevice(ctx, devToken(), crmScopes)
	if err != nil {
		t.Fatal(err)
	}
	w = startWait(ctx, c, clk, devToken(), d)
	for w.tick(t, clk, d.Interval) {
	}
	if _, err := w.result(t); !errors.Is(err, accounts.ErrTransient) || n.Load() != 3 {
		t.Fatalf("err %v polls %d", err, n.Load())
	}
}

// TestDeviceRequests checks what is sent: the code request carries no
// secret; the poll carries the client secret and device code in the body,
// never in the URL.
func TestDeviceRequests(t *testing.T) {
	var mu sync.Mutex
	var seen []*http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		seen = append(seen, r)
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/device/code") {
			_, _ = io.WriteString(w, goodCode)
			return
		}
		_, _ = io.WriteString(w, `{"error":"authorization_pending"}`)
	}))
	defer srv.Close()
	c := &accounts.Client{BaseURL: srv.URL}
	ctx := context.Background()
	o := crmScopes
	o.Consent = true
	d, err := c.StartDevice(ctx, devToken(), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PollDevice(ctx, devToken(), d); !errors.Is(err, accounts.ErrAuthorizationPending) {
		t.Fatal(err)
	}
	code, poll := seen[0], seen[1]
	check := func(r *http.Request, path string, want map[string]string, absent ...string) {
		t.Helper()
		if r.Method != http.MethodPost || r.URL.Path != path || r.URL.RawQuery != "" {
			t.Errorf("%s %s?%s", r.Method, r.URL.Path, r.URL.RawQuery)
		}
		for k, v := range want {
			if got := r.PostForm.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", path, k, got, v)
			}
		}
		for _, k := range absent {
			if r.PostForm.Has(k) {
				t.Errorf("%s: %s sent", path, k)
			}
		}
	}
	check(code, "/oauth/v3/device/code", map[string]string{"grant_type": "device_request", "client_id": devClient,
		"scope": "ZohoCRM.modules.ALL,ZohoCRM.users.READ,ZohoCRM.org.READ", "access_type": "offline", "prompt": "consent"}, "client_secret")
	check(poll, "/oauth/v3/device/token", map[string]string{"grant_type": "device_token", "client_id": devClient,
		"client_secret": devSecret, "code": deviceCodeSecret})
}

func TestStartDeviceAnswers(t *testing.T) {
	cases := []struct {
		name, body string
		kind       error
		interval   time.Duration
		lifetime   time.Duration
	}{
		{"zoho milliseconds", goodCode, nil, 5 * time.Second, 5 * time.Minute},
		{"rfc seconds", `{"user_code":"AB12","device_code":"d","verification_uri":"https://accounts.zoho.com/oauth/v3/device","interval":30,"expires_in":600}`, nil, 30 * time.Second, 10 * time.Minute},
		{"defaults", `{"user_code":"AB12","device_code":"d","verification_url":"https://accounts.zoho.com/oauth/v3/device"}`, nil, accounts.DefaultDeviceInterval, accounts.DefaultDeviceLifetime},
		{"huge", `{"user_code":"AB12","device_code":"d","verification_url":"https://a.example/x","interval":99999999999,"expires_in":99999999999}`, nil, 5 * time.Minute, 30 * time.Minute},
		{"invalid client", `{"error":"invalid_client"}`, accounts.ErrInvalidClient, 0, 0},
		{"escape in user code", `{"user_code":"\u001b[31mAB","device_code":"d","verification_url":"https://accounts.zoho.com/x"}`, accounts.ErrMalformed, 0, 0},
		{"javascript URL", `{"user_code":"AB12","device_code":"d","verification_url":"javascript:alert(1)"}`, accounts.ErrMalformed, 0, 0},
		{"URL with newline", `{"user_code":"AB12","device_code":"d","verification_url":"https://a.example/\nrm -rf"}`, accounts.ErrMalformed, 0, 0},
		{"no device code", `{"user_code":"AB12","verification_url":"https://a.example/"}`, accounts.ErrMalformed, 0, 0},
		{"not JSON", `<html>`, accounts.ErrMalformed, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := fakeAccounts(t, tc.body, `{}`)
			d, err := c.StartDevice(context.Background(), devToken(), crmScopes)
			if tc.kind != nil {
				if !errors.Is(err, tc.kind) {
					t.Fatalf("err = %v, want %v", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Interval != tc.interval || !d.Expiry.Equal(now.Add(tc.lifetime)) {
				t.Errorf("interval %v lifetime %v", d.Interval, d.Expiry.Sub(now))
			}
		})
	}
	c, _ := fakeAccounts(t, goodCode, `{}`)
	if _, err := c.StartDevice(context.Background(), devToken(), accounts.DeviceOptions{Scopes: []string{" "}}); err == nil {
		t.Error("no scope accepted")
	}
}
