package tokenserver_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/memory"
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

// artifactDir is where the browser test keeps its screenshot:
// $ZOHOAUTH_TEST_ARTIFACTS when set, otherwise the test's temporary
// directory.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("ZOHOAUTH_TEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestConsoleInChromium logs in to the console in headless Chromium with an
// admin key, sees the token of a user with its time left, revokes it
// through the confirmation page, and checks that it is gone from the store
// and revoked at the emulator. The screenshot of the token list is kept in
// artifactDir as console.png.
func TestConsoleInChromium(t *testing.T) {
	needChromium(t)
	store := memory.New()
	e := newEnv(t, envOpts{store: store, activity: true})
	ann := e.login("ann@example.com", clientA, secretA)
	bob := e.login("bob@example.com", clientB, secretB)
	if _, err := store.UpdateLifecycle(context.Background(), bob.ID, func(l *zohoauth.Lifecycle) error {
		l.LastRefreshAt, l.LastFailureAt, l.Failures, l.FailureDays, l.LastError = time.Now().Add(-40*time.Minute), time.Now().Add(-5*time.Minute), 2, 1, "timeout"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 30 { // some history for the chart in the screenshot
		at := time.Now().Add(-time.Duration(i) * 37 * time.Minute)
		for j := range i % 5 {
			e.act.Record(context.Background(), auth.Event{Kind: auth.EventRefreshed, Time: at.Add(time.Duration(j) * time.Second)})
		}
		if i%7 == 3 {
			e.act.Record(context.Background(), auth.Event{Kind: auth.EventRefreshFailed, Time: at})
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()

	err := chromedp.Do(tab,
		chromedp.Navigate(e.http.URL+"/console/"),
		chromedp.WaitVisible(chromedp.ID("key")),
		chromedp.SendKeys(chromedp.ID("key"), e.admin),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("tokens")),
		chromedp.WaitVisible(chromedp.ID("chart")),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	tokens, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("tokens")))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tokens, "ann@example.com") || !strings.Contains(tokens, "bob@example.com") || !strings.Contains(tokens, clientA) {
		t.Errorf("token list: %q", tokens)
	}
	if !strings.Contains(tokens, "40m ago") || !strings.Contains(tokens, "2 (1 day), last 5m ago: timeout") {
		t.Errorf("lifecycle columns not shown: %q", tokens)
	}
	if !strings.Contains(tokens, "m") || strings.Contains(tokens, "expired") {
		t.Errorf("time left not shown: %q", tokens)
	}
	path := filepath.Join(artifactDir(t), "console.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("console screenshot: %s", path)

	err = chromedp.Do(tab,
		chromedp.Click(chromedp.ID("revoke-"+ann.ID)),
		chromedp.WaitVisible(chromedp.ID("confirm")),
		chromedp.Click(chromedp.ID("confirm")),
		chromedp.WaitVisible(chromedp.ID("message")),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	message, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("message")))
	if err != nil {
		t.Fatal(err)
	}
	if tokens, err = chromedp.Run(tab, chromedp.Text(chromedp.ID("tokens"))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(message, "revoked") || strings.Contains(tokens, "ann@example.com") || !strings.Contains(tokens, "bob@example.com") {
		t.Errorf("after revoke: message %q, tokens %q", message, tokens)
	}
	if _, err := e.store.FindTokenByID(ctx, ann.ID); err == nil {
		t.Error("the revoked token is still in the store")
	}
	if _, err := e.store.FindTokenByID(ctx, bob.ID); err != nil {
		t.Errorf("another token was deleted: %v", err)
	}
	if _, err := e.ac.Refresh(ctx, ann); err == nil {
		t.Error("the revoked refresh token still works at the emulator")
	}
	if st := e.emu.Stats(); st.Revokes != 1 {
		t.Errorf("%d revokes at the emulator, want 1", st.Revokes)
	}
}
