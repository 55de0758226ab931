package zohotest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/zohotest"
)

func deviceCodeForm(extra ...string) url.Values {
	v := url.Values{"grant_type": {"device_request"}, "client_id": {clientID}, "scope": {"ZohoCRM.modules.ALL"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

func pollForm(code string) url.Values {
	return url.Values{"grant_type": {"device_token"}, "client_id": {clientID}, "client_secret": {clientSecret}, "code": {code}}
}

func TestDeviceCodeAnswer(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	status, m := call(t, "POST", s.URL+"/oauth/v3/device/code", deviceCodeForm("access_type", "offline"), nil)
	if status != 200 {
		t.Fatalf("%d %v", status, m)
	}
	uc, _ := m["user_code"].(string)
	if !regexp.MustCompile(`^[B-Z2-9]{4}-[B-Z2-9]{4}$`).MatchString(uc) || m["device_code"] == "" {
		t.Errorf("codes %v", m)
	}
	if m["verification_url"] != s.URL+"/oauth/v3/device" || m["verification_uri_complete"] != s.URL+"/oauth/v3/device?user_code="+uc {
		t.Errorf("urls %v", m)
	}
	if m["interval"] != float64(5000) || m["expires_in"] != float64(300000) {
		t.Errorf("interval and expires_in are not Zoho's milliseconds: %v", m)
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{deviceCodeForm("client_id", "1000.NOPE"), "invalid_client"},
		{deviceCodeForm("client_id", ""), "invalid_client"},
		{deviceCodeForm("scope", ""), "invalid_scope"},
		{deviceCodeForm("grant_type", "authorization_code"), "unsupported_grant_type"},
	} {
		if status, m := call(t, "POST", s.URL+"/oauth/v3/device/code", tc.form, nil); status != 200 || m["error"] != tc.want {
			t.Errorf("%v: %d %v, want %s", tc.form, status, m, tc.want)
		}
	}
	if status, _ := call(t, "GET", s.URL+"/oauth/v3/device/code", nil, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", status)
	}
	if st := s.Stats(); st.DeviceCodes != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestDevicePollAnswers(t *testing.T) {
	s, clk := newServer(t, zohotest.Options{})
	_, m := call(t, "POST", s.URL+"/oauth/v3/device/code", deviceCodeForm(), nil)
	code, uc := m["device_code"].(string), m["user_code"].(string)
	poll := func(f url.Values) string {
		t.Helper()
		clk.Advance(5 * time.Second)
		status, m := call(t, "POST", s.URL+"/oauth/v3/device/token", f, nil)
		if status != 200 {
			t.Fatalf("poll: HTTP %d", status)
		}
		if m["access_token"] != nil {
			return "token"
		}
		e, _ := m["error"].(string)
		return e
	}
	bad := pollForm(code)
	bad.Set("client_secret", "wrong")
	other := pollForm(code)
	s.AddClient(zohotest.Client{ID: "1000.OTHER", Secret: "other"})
	other.Set("client_id", "1000.OTHER")
	other.Set("client_secret", "other")
	for _, tc := range []struct {
		f    url.Values
		want string
	}{
		{bad, "invalid_client_secret"},
		{pollForm("1000.unknown"), "invalid_code"},
		{pollForm(""), "invalid_code"},
		{other, "invalid_code"}, // another client's device code
		{pollForm(code), "authorization_pending"},
	} {
		if got := poll(tc.f); got != tc.want {
			t.Errorf("poll %v: %s, want %s", tc.f, got, tc.want)
		}
	}
	if err := s.ApproveDevice(" "+strings.ToLower(strings.ReplaceAll(uc, "-", ""))+" ", email); err != nil {
		t.Fatalf("approve with the code typed loosely: %v", err)
	}
	if got := poll(pollForm(code)); got != "token" {
		t.Fatalf("after approval: %s", got)
	}
	if got := poll(pollForm(code)); got != "invalid_code" {
		t.Errorf("spent device code: %s", got)
	}
}

// devicePage loads the verification page and returns its form token.
func devicePage(t *testing.T, s *zohotest.Server, query string) (string, string) {
	t.Helper()
	resp, err := http.Get(s.URL + "/oauth/v3/device" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`name="form" value="([^"]+)"`).FindSubmatch(b)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("page: %d %s", resp.StatusCode, b)
	}
	return string(m[1]), string(b)
}

func postDevice(t *testing.T, s *zohotest.Server, form url.Values, origin string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/oauth/v3/device/approve", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDevicePageForgery: the approval needs a form token the page issued,
// once, and refuses a POST from another origin.
func TestDevicePageForgery(t *testing.T) {
	s, clk := newServer(t, zohotest.Options{})
	_, m := call(t, "POST", s.URL+"/oauth/v3/device/code", deviceCodeForm(), nil)
	uc := m["user_code"].(string)
	form, page := devicePage(t, s, "?user_code="+uc)
	if !strings.Contains(page, `value="`+uc+`"`) {
		t.Errorf("code not prefilled: %s", page)
	}
	if _, page := devicePage(t, s, `?user_code="><script>`); strings.Contains(page, "<script>") {
		t.Errorf("prefill not escaped: %s", page)
	}
	approve := url.Values{"form": {form}, "user_code": {uc}, "user": {email}, "action": {"approve"}}

	noForm := url.Values{"user_code": {uc}, "user": {email}, "action": {"approve"}}
	if status, _ := postDevice(t, s, noForm, ""); status != http.StatusForbidden {
		t.Errorf("no form token: %d", status)
	}
	if status, _ := postDevice(t, s, approve, "https://evil.example"); status != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", status)
	}
	wrong := url.Values{"form": {form}, "user_code": {"BBBB-BBBB"}, "user": {email}, "action": {"approve"}}
	if status, _ := postDevice(t, s, wrong, s.URL); status != http.StatusBadRequest {
		t.Errorf("wrong code: %d", status)
	}
	if status, _ := postDevice(t, s, approve, s.URL); status != http.StatusForbidden {
		t.Errorf("form token used twice: %d", status)
	}
	form, _ = devicePage(t, s, "")
	clk.Advance(11 * time.Minute) // the form and the code expire
	approve.Set("form", form)
	if status, _ := postDevice(t, s, approve, s.URL); status != http.StatusForbidden {
		t.Errorf("expired form: %d", status)
	}

	_, m = call(t, "POST", s.URL+"/oauth/v3/device/code", deviceCodeForm(), nil)
	code, uc := m["device_code"].(string), m["user_code"].(string)
	form, _ = devicePage(t, s, "")
	status, body := postDevice(t, s, url.Values{"form": {form}, "user_code": {uc}, "user": {email}, "action": {"approve"}}, s.URL)
	if status != 200 || !strings.Contains(body, `id="result"`) {
		t.Fatalf("approve: %d %s", status, body)
	}
	clk.Advance(time.Minute)
	if _, m := call(t, "POST", s.URL+"/oauth/v3/device/token", pollForm(code), nil); m["access_token"] == nil {
		t.Errorf("after approval on the page: %v", m)
	}
}

// TestDeviceTransportRefusesOtherHosts: the test transport reaches only
// the emulator and Zoho's known hosts.
func TestDeviceTransportRefusesOtherHosts(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	c := &http.Client{Transport: s.Transport(nil)}
	for _, u := range []string{"https://evil.example/", "http://accounts.zoho.eu/", "https://accounts.zoho.eu.evil.example/"} {
		if _, err := c.Get(u); !errors.Is(err, zohotest.ErrNotZoho) {
			t.Errorf("%s: %v", u, err)
		}
	}
	resp, err := c.Get("https://www.zohoapis.eu/crm/v8/org")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("routed CRM call: %d", resp.StatusCode)
	}
}

// chromiumPath is Debian's chromium (apt-get install -y chromium).
const chromiumPath = "/usr/bin/chromium"

// TestDeviceLoginInChromium: the poller (accounts.Client.WaitDevice) waits
// while headless Chromium opens the emulator's verification page, types
// the user code and clicks Approve; the next poll gets the token.
func TestDeviceLoginInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; CI must install it (apt-get install -y chromium)", chromiumPath)
		}
		t.Skipf("%s is missing (apt-get install -y chromium); skipping the browser test", chromiumPath)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, clk := newServer(t, zohotest.Options{})
	c := &accounts.Client{BaseURL: s.URL, Now: clk.Now}
	tok := &zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret}
	d, err := c.StartDevice(ctx, tok, accounts.DeviceOptions{Scopes: []string{"ZohoCRM.users.READ", "ZohoCRM.org.READ"}, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		tok *zohoauth.Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		tk, err := c.WaitDevice(ctx, clk, tok, d)
		done <- result{tk, err}
	}()
	waitPending := func() {
		for len(clk.Pending()) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	waitPending()
	clk.Advance(d.Interval) // one poll before the user acts: authorization_pending
	for s.Stats().DevicePolls < 1 {
		time.Sleep(time.Millisecond)
	}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browser, chromedp.Navigate(d.VerificationURL), chromedp.WaitVisible(chromedp.ID("user_code"))); err != nil {
		t.Fatalf("browser: %v", err)
	}
	page, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if err := chromedp.Do(browser, chromedp.SendKeys(chromedp.ID("user_code"), strings.ToLower(d.UserCode)),
		chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("result"))); err != nil {
		t.Fatalf("browser: %v", err)
	}
	res, err := chromedp.Run(browser, chromedp.Text(chromedp.ID("result")))
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(page, email) {
		t.Errorf("page does not show the signed-in user: %q", page)
	}
	if !strings.Contains(res, "Device connected") {
		t.Fatalf("result page: %q", res)
	}
	waitPending()
	clk.Advance(d.Interval)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.tok.AccessToken == "" || r.tok.RefreshToken == "" {
		t.Fatalf("token %v", r.tok)
	}
	if sig, err := c.UserSignature(ctx, r.tok); err != nil || sig != email+":700" {
		t.Errorf("user signature %q %v", sig, err)
	}
}
