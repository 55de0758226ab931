package main

import (
	"bufio"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/zohoauth/zohoauth/accounts"
)

// ExitCode is 2: the login cannot run as asked on this machine.
func (e *noBrowserError) ExitCode() int { return exitUsage }

// pasteEvent is one line pasted on standard input: the consent it
// carries, or why it was refused.
type pasteEvent struct {
	res     consentResult
	refusal string
}

// awaitConsent shows the consent URL (opening the browser unless
// --no-browser) and waits for the redirect: on the loopback listener
// (results), or pasted on standard input, with --no-browser or once the
// browser could not be opened on a terminal. When no browser can be opened
// and no one can paste, it fails at once with the alternatives.
func (a *app) awaitConsent(ctx context.Context, o loginOptions, authURL, state string, results <-chan consentResult) (consent, error) {
	done := make(chan struct{})
	defer close(done)
	var pasted chan pasteEvent
	startPaste := func() {
		if pasted == nil {
			pasted = make(chan pasteEvent)
			go readPasted(a.stdin, state, pasted, done)
		}
	}
	browserFailed := make(chan error, 1)
	if o.noBrowser {
		fmt.Fprintln(a.stderr, "Open this URL in a browser, on any machine, and accept:")
		fmt.Fprintln(a.stdout, authURL)
		fmt.Fprintln(a.stderr, pasteHint(o.redirectURI))
		startPaste()
	} else {
		fmt.Fprintln(a.stderr, "Opening the consent page in your browser; if it does not open, visit:")
		fmt.Fprintln(a.stderr, authURL)
		if err := a.openBrowser(ctx, authURL); err != nil {
			browserFailed <- err
		}
	}
	wait, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	for {
		select {
		case r := <-results:
			return r.consent, r.err
		case ev := <-pasted:
			if ev.refusal != "" {
				fmt.Fprintln(a.stderr, "zohoauth: "+ev.refusal)
				continue
			}
			return ev.res.consent, ev.res.err
		case err := <-a.openerFailed:
			browserFailed <- err
		case err := <-browserFailed:
			var nb *noBrowserError
			if !errors.As(err, &nb) {
				nb = &noBrowserError{why: oneLine(err.Error())}
			}
			fmt.Fprintf(a.stderr, "zohoauth: %s.\n%s\n", printable(nb.Error()), alternatives(o.redirectURI))
			if !a.interactive() {
				return consent{}, &hintError{err: nb, hint: "(and standard input is not a terminal to paste the redirected URL on): run zohoauth login --device, or zohoauth login --no-browser with the redirected URL on standard input"}
			}
			fmt.Fprintln(a.stderr, pasteHint(o.redirectURI))
			startPaste()
		case <-wait.Done():
			if ctx.Err() != nil {
				return consent{}, ctx.Err()
			}
			return consent{}, fmt.Errorf("no answer from the consent page within %s", o.timeout)
		}
	}
}

// alternatives says how to log in when this machine shows no browser.
func alternatives(redirectURI string) string {
	port := "PORT"
	if u, err := url.Parse(redirectURI); err == nil && u.Port() != "" {
		port = u.Port()
	}
	return "Either:\n" +
		"  - open the URL above in a browser on any machine, accept, and paste here the URL the browser lands on\n" +
		"    (the page may fail to load: copy the URL from the address bar), or just its code;\n" +
		"  - or run zohoauth login --device, and enter a one-time code on any device;\n" +
		"  - or forward the port from your machine (ssh -L " + port + ":127.0.0.1:" + port + " THIS-HOST) and open the URL there."
}

// pasteHint asks for the redirected URL.
func pasteHint(redirectURI string) string {
	return "After you accept, the browser goes to " + redirectURI + "?code=…; if that page does not load (the browser\n" +
		"runs on another machine), paste its URL (or the code) here and press Enter:"
}

// readPasted reads the lines pasted on r until one carries the consent,
// and sends each outcome to out; it stops at the end of r or when done is
// closed.
func readPasted(r io.Reader, state string, out chan<- pasteEvent, done <-chan struct{}) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 16<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		ev := parsePasted(line, state)
		select {
		case out <- ev:
		case <-done:
			return
		}
		if ev.refusal == "" {
			return
		}
	}
}

// parsePasted reads a pasted redirect URL, checking its state as the
// loopback listener does, or a bare grant code. A URL must carry this
// login's state: one with another state, or none, is refused, as is the
// consent page's own URL (it has the state but no code).
func parsePasted(line, state string) pasteEvent {
	if !strings.ContainsAny(line, "?/:") {
		if !grantCodeLike(line) {
			return pasteEvent{refusal: "that is neither the redirected URL nor a grant code; paste the URL the browser shows after you accept"}
		}
		return pasteEvent{res: consentResult{consent: consent{code: line}}}
	}
	u, err := url.Parse(line)
	if err != nil {
		return pasteEvent{refusal: "the pasted text is not a URL; paste the URL the browser shows after you accept"}
	}
	q := u.Query()
	switch {
	case q.Get("state") == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1:
		return pasteEvent{refusal: "refused: the pasted URL is not the answer to this login (its state does not match); paste the URL the browser shows after you accept the consent page this login printed"}
	case q.Get("error") != "":
		return pasteEvent{res: consentResult{err: &accounts.Error{Op: "consent", Code: q.Get("error"), Kind: accounts.ErrRejected}}}
	case q.Get("code") == "":
		return pasteEvent{refusal: "the pasted URL carries no code (is it the consent page's own URL?): open it, accept, then paste the URL the browser lands on"}
	}
	return pasteEvent{res: consentResult{consent: consent{code: q.Get("code"), location: q.Get("location"), accountsServer: q.Get("accounts-server")}}}
}

// grantCodeLike reports whether s looks like a grant code: 8 to 512
// letters, digits, dots, dashes and underscores.
func grantCodeLike(s string) bool {
	if len(s) < 8 || len(s) > 512 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
