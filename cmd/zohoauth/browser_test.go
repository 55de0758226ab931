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

// startChromium starts headless Chromium with the flags of
// shared/services.md and a new empty profile, and returns a context to open
// tabs from.
func startChromium(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
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
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil { // start the browser
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	return browserCtx
}

// clickOutcome is what the browser saw.
type clickOutcome struct {
	consent, result string
	err             error
}

// clickingBrowser returns a browser hook that opens the consent URL in a
// new tab, clicks the button with the given id and reads the page the
// redirect lands on (the login's own answer page).
func clickingBrowser(browserCtx context.Context, button string, out chan<- clickOutcome) func(context.Context, string) error {
	return func(_ context.Context, u string) error {
		go func() {
			var o clickOutcome
			defer func() { out <- o }()
			tab, cancel := chromedp.NewContext(browserCtx)
			defer cancel()
			if o.err = chromedp.Do(tab, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.ID(button))); o.err != nil {
				return
			}
			if o.consent, o.err = chromedp.Run(tab, chromedp.Text(chromedp.CSS("body"))); o.err != nil {
				return
			}
			if o.err = chromedp.Do(tab, chromedp.Click(chromedp.ID(button)), chromedp.WaitVisible(chromedp.ID("result"))); o.err != nil {
				return
			}
			o.result, o.err = chromedp.Run(tab, chromedp.Text(chromedp.ID("result")))
		}()
		return nil
	}
}

// TestLoginInChromium runs login's browser flow end to end in headless
// Chromium: the command opens the emulator's consent page in the browser,
// the test clicks Accept (or Reject), the browser follows the redirect to
// the command's loopback listener, and the command exchanges the code and
// saves the token (or reports the refusal).
func TestLoginInChromium(t *testing.T) {
	needChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	browserCtx := startChromium(t, ctx)

	t.Run("accept", func(t *testing.T) {
		h := &harness{t: t, clock: clock.NewFake(t0)}
		h.start(zohotest.Options{}) // the consent page, not auto-approval
		clicked := make(chan clickOutcome, 1)
		h.browser = clickingBrowser(browserCtx, "approve", clicked)

		r := h.must("login", "--timeout", "60s")
		o := <-clicked
		if o.err != nil {
			t.Fatalf("browser: %v", o.err)
		}
		if !strings.Contains(o.consent, testClientID) || !strings.Contains(o.consent, "ZohoCRM.modules.ALL") {
			t.Errorf("consent page does not name the client and scopes: %q", o.consent)
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
		if r := h.must("api", "/crm/v8/users?type=CurrentUser"); !strings.Contains(r.stdout, testEmail) {
			t.Errorf("api: %s", r.stdout)
		}
	})

	t.Run("reject", func(t *testing.T) {
		h := &harness{t: t, clock: clock.NewFake(t0)}
		h.start(zohotest.Options{})
		clicked := make(chan clickOutcome, 1)
		h.browser = clickingBrowser(browserCtx, "deny", clicked)

		r := h.run("login", "--timeout", "60s")
		o := <-clicked
		if o.err != nil {
			t.Fatalf("browser: %v", o.err)
		}
		if r.code != exitAuth || !strings.Contains(r.stderr, "access_denied") {
			t.Errorf("login after Reject: %+v", r)
		}
		if !strings.Contains(o.result, "access_denied") {
			t.Errorf("redirect page says %q", o.result)
		}
		if n := len(h.tokens()); n != 0 {
			t.Errorf("%d tokens saved after Reject", n)
		}
	})
}
