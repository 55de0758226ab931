package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var consentURLRe = regexp.MustCompile(`http://\S+/oauth/v2/auth\?\S+`)

// consentURL waits for the consent URL on the command's output.
func (r *asyncRun) consentURL(t *testing.T, onStdout bool) string {
	t.Helper()
	var u string
	waitFor(t, "the consent URL", func() bool {
		out := r.stderr.String()
		if onStdout {
			out = r.stdout.String()
		}
		u = consentURLRe.FindString(out)
		return u != ""
	})
	return u
}

// redirected follows the consent URL as a browser on another machine
// would, up to the redirect it cannot load: it returns the URL the browser
// would land on (the emulator approves at once).
func redirected(t *testing.T, consent string) string {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(consent)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode/100 != 3 || !strings.Contains(loc, "code=") {
		t.Fatalf("consent answered %s, Location %q", resp.Status, loc)
	}
	return loc
}

// withState returns u with its state replaced.
func withState(t *testing.T, u, state string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	q.Set("state", state)
	p.RawQuery = q.Encode()
	return p.String()
}

// TestLoginPastedURL: login --no-browser prints the consent URL on
// standard output and takes the redirected URL pasted on standard input,
// checking its state as the listener does: a URL with another state, and
// the consent page's own URL, are refused (and the login keeps waiting);
// the right one logs in, with no request to the loopback listener.
func TestLoginPastedURL(t *testing.T) {
	h := newHarness(t)
	pr, pw := io.Pipe()
	defer pw.Close()
	run := h.background(pr, "login", "--no-browser", "--timeout", "1h")
	consent := run.consentURL(t, true)
	good := redirected(t, consent)
	for _, line := range []string{
		withState(t, good, "0123456789abcdef0123456789abcdef"),
		withState(t, good, ""),
		consent,
		"not a code!",
	} {
		if _, err := io.WriteString(pw, line+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "four refusals", func() bool {
		return strings.Count(run.stderr.String(), "zohoauth: ") >= 4
	})
	if st := h.emu.Stats(); st.GrantExchanges != 0 {
		t.Fatalf("a refused paste was exchanged: %+v", st)
	}
	if _, err := io.WriteString(pw, "  "+good+"  \n"); err != nil {
		t.Fatal(err)
	}
	r := run.finish(t, h, time.Second)
	if r.code != 0 || !strings.Contains(r.stderr, "logged in as "+testEmail) {
		t.Fatalf("pasted URL: %+v", r)
	}
	for _, want := range []string{"state does not match", "carries no code", "neither the redirected URL nor a grant code"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if len(h.tokens()) != 1 {
		t.Errorf("tokens: %v", h.tokens())
	}
	if h.ln == nil {
		t.Log("the listener was taken") // taken by login, never connected to
	}
}

// TestLoginPastedBareCode: the code alone is accepted (the user copied
// it), and a pasted error answer is Zoho's refusal (exit 4).
func TestLoginPastedBareCode(t *testing.T) {
	h := newHarness(t)
	pr, pw := io.Pipe()
	defer pw.Close()
	run := h.background(pr, "login", "--no-browser", "--timeout", "1h")
	good, err := url.Parse(redirected(t, run.consentURL(t, true)))
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(pw, good.Query().Get("code")+"\n")
	if r := run.finish(t, h, time.Second); r.code != 0 {
		t.Fatalf("pasted code: %+v", r)
	}

	pr2, pw2 := io.Pipe()
	defer pw2.Close()
	run = h.background(pr2, "login", "--no-browser", "--timeout", "1h")
	state, _ := url.Parse(run.consentURL(t, true))
	io.WriteString(pw2, h.redirectURI+"?error=access_denied&state="+state.Query().Get("state")+"\n")
	if r := run.finish(t, h, time.Second); r.code != exitAuth || !strings.Contains(r.stderr, "access_denied") {
		t.Errorf("pasted refusal: %+v", r)
	}
}

// TestLoginNoDisplay: with no display and no $BROWSER, login says at once
// that no browser can be opened, with the alternatives; without a terminal
// to paste on it fails at once (exit 2) instead of waiting out the
// timeout; on a terminal it takes the pasted URL.
func TestLoginNoDisplay(t *testing.T) {
	h := newHarness(t)
	system := func(a *app) { a.openBrowser = a.systemBrowser }
	r := h.backgroundWith(strings.NewReader(""), system, "login", "--timeout", "24h").finish(t, h, time.Second)
	if r.code != exitUsage || !strings.Contains(r.stderr, "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)") ||
		!strings.Contains(r.stderr, "zohoauth login --device") || !strings.Contains(r.stderr, "ssh -L") {
		t.Errorf("login without a display: %+v", r)
	}

	pr, pw := io.Pipe()
	defer pw.Close()
	run := h.backgroundWith(pr, func(a *app) {
		system(a)
		a.interactive = func() bool { return true }
	}, "login", "--timeout", "24h")
	waitFor(t, "the paste prompt", func() bool { return strings.Contains(run.stderr.String(), "paste its URL") })
	io.WriteString(pw, redirected(t, run.consentURL(t, false))+"\n")
	if r := run.finish(t, h, time.Second); r.code != 0 || !strings.Contains(r.stderr, "no display") {
		t.Errorf("login without a display, pasted: %+v", r)
	}
}

// TestLoginBrowserEnv: $BROWSER is a colon-separated list tried in turn,
// %s standing for the URL; a command that fails is said at once.
func TestLoginBrowserEnv(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	argsFile := filepath.Join(dir, "args")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+argsFile+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	h.env[envBrowser] = filepath.Join(dir, "missing") + ":" + script + " --new-window %s --literal=100%%"
	run := h.backgroundWith(strings.NewReader(""), func(a *app) { a.openBrowser = a.systemBrowser }, "login", "--timeout", "1h")
	var args []string
	waitFor(t, "the $BROWSER command", func() bool {
		b, err := os.ReadFile(argsFile)
		args = strings.Split(strings.TrimSpace(string(b)), "\n")
		return err == nil && len(args) == 3
	})
	if args[0] != "--new-window" || !strings.HasPrefix(args[1], h.emu.URL+"/oauth/v2/auth?") || args[2] != "--literal=100%" {
		t.Fatalf("$BROWSER got %q", args)
	}
	go http.Get(args[1]) // the browser follows the consent URL to the listener
	if r := run.finish(t, h, time.Second); r.code != 0 {
		t.Fatalf("login with $BROWSER: %+v", r)
	}

	h.env[envBrowser] = "false"
	r := h.backgroundWith(strings.NewReader(""), func(a *app) { a.openBrowser = a.systemBrowser }, "login", "--timeout", "24h").finish(t, h, time.Second)
	if r.code != exitUsage || !strings.Contains(r.stderr, "cannot open a browser here") || !strings.Contains(r.stderr, "--device") {
		t.Errorf("failing $BROWSER: %+v", r)
	}
}

func TestHeadless(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		env      map[string]string
		headless bool
	}{
		{map[string]string{}, true},
		{map[string]string{"DISPLAY": ":0"}, false},
		{map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, false},
		{map[string]string{"BROWSER": "w3m"}, false},
		{map[string]string{"BROWSER": "  "}, true},
		{map[string]string{"WSL_DISTRO_NAME": "Debian"}, false},
	} {
		a := h.app(nil, io.Discard, io.Discard)
		a.getenv = func(k string) string { return tt.env[k] }
		if got := a.headless() != ""; got != tt.headless {
			t.Errorf("headless(%v) = %v", tt.env, got)
		}
	}
}

func TestBrowserCommand(t *testing.T) {
	const u = "http://127.0.0.1/a?b=c&d=%20"
	for _, tt := range []struct {
		entry string
		want  []string
	}{
		{"firefox", []string{"firefox", u}},
		{"  firefox  --private-window ", []string{"firefox", "--private-window", u}},
		{"open -a Safari %s", []string{"open", "-a", "Safari", u}},
		{"x --url=%s --pct=%%s", []string{"x", "--url=" + u, "--pct=%s"}},
		{"   ", nil},
	} {
		got := browserCommand(tt.entry, u)
		if strings.Join(got, "\x00") != strings.Join(tt.want, "\x00") {
			t.Errorf("browserCommand(%q) = %q, want %q", tt.entry, got, tt.want)
		}
	}
}
