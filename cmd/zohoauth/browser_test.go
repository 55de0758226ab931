package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/zohotest"
)

// chromiumPath is Debian's chromium (apt-get install -y chromium).
const chromiumPath = "/usr/bin/chromium"

// needChromium skips the test outside CI when Chromium is missing, and fails
// it in CI.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; CI must install it (apt-get install -y chromium)", chromiumPath)
		}
		t.Skipf("%s is missing (apt-get install -y chromium); skipping the browser test", chromiumPath)
	}
}

// TestLoginInChromium runs login's browser flow end to end in headless
// Chromium: the command opens the emulator's consent page in the browser,
// the test clicks Accept, the browser follows the redirect to the command's
// loopback listener, and the command exchanges the code and saves the token.
func TestLoginInChromium(t *testing.T) {
	needChromium(t)
	h := &harness{t: t, clock: clock.NewFake(t0)}
	h.start(zohotest.Options{}) // the consent page, not auto-approval

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
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
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browserCtx); err != nil { // start the browser
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}

	type outcome struct {
		consentTitle, result string
		err                  error
	}
	clicked := make(chan outcome, 1)
	h.browser = func(_ context.Context, u string) error {
		go func() {
			var o outcome
			defer func() { clicked <- o }()
			if o.err = chromedp.Do(browserCtx,
				chromedp.Navigate(u),
				chromedp.WaitVisible(chromedp.ID("approve")),
			); o.err != nil {
				return
			}
			if o.consentTitle, o.err = chromedp.Run(browserCtx, chromedp.Text(chromedp.CSS("body"))); o.err != nil {
				return
			}
			if o.err = chromedp.Do(browserCtx,
				chromedp.Click(chromedp.ID("approve")),
				chromedp.WaitVisible(chromedp.ID("result")),
			); o.err != nil {
				return
			}
			o.result, o.err = chromedp.Run(browserCtx, chromedp.Text(chromedp.ID("result")))
		}()
		return nil
	}

	r := h.must("login", "--timeout", "60s")
	o := <-clicked
	if o.err != nil {
		t.Fatalf("browser: %v", o.err)
	}
	if !strings.Contains(o.consentTitle, testClientID) {
		t.Errorf("consent page does not name the client: %q", o.consentTitle)
	}
	if !strings.Contains(o.result, "close this window") {
		t.Errorf("redirect page says %q", o.result)
	}
	if !strings.Contains(r.stderr, "logged in as "+testEmail) {
		t.Errorf("login: %q", r.stderr)
	}
	all := h.tokens()
	if len(all) != 1 || all[0].Email() != testEmail || all[0].RefreshToken == "" || all[0].AccessToken == "" {
		t.Fatalf("stored tokens: %v", all)
	}
	noSecrets(t, r, tokenSecrets(all[0])...)
	if st := h.emu.Stats(); st.ConsentPages != 1 || st.Consents != 1 || st.GrantExchanges != 1 {
		t.Errorf("emulator stats: %+v", st)
	}
	// The token works.
	if r := h.must("api", "/crm/v8/users?type=CurrentUser"); !strings.Contains(r.stdout, testEmail) {
		t.Errorf("api: %s", r.stdout)
	}
}
