package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// The browser is opened by hand rather than through a package: the
// maintained one (github.com/cli/browser) knows the same system openers
// but not $BROWSER, which gh reads itself before calling it, and
// github.com/pkg/browser has had no release since 2021 and ignores $BROWSER
// too.

// envBrowser is the user's list of browser commands.
const envBrowser = "BROWSER"

// noBrowserError says why no browser can be opened on this machine.
type noBrowserError struct{ why string }

func (e *noBrowserError) Error() string { return "cannot open a browser here: " + e.why }

// headless returns why no browser can be opened here, or "" when one may
// be: on Linux and the BSDs, with $BROWSER unset, a graphical browser needs
// a display (DISPLAY or WAYLAND_DISPLAY); WSL opens the Windows browser.
func (a *app) headless() string {
	switch runtime.GOOS {
	case "darwin", "windows", "ios", "android", "plan9":
		return ""
	}
	if strings.TrimSpace(a.getenv(envBrowser)) != "" {
		return ""
	}
	if a.getenv("DISPLAY") != "" || a.getenv("WAYLAND_DISPLAY") != "" || a.getenv("WSL_DISTRO_NAME") != "" {
		return ""
	}
	return "no display (neither DISPLAY nor WAYLAND_DISPLAY is set) and no $BROWSER"
}

// systemBrowser opens url in the user's browser: it starts the opener and
// returns (an opener that exits with an error later, such as xdg-open
// finding no browser, is reported on a.openerFailed). It fails at once,
// without running anything, when headless finds no way to show a page.
//
// $BROWSER is a colon-separated list of commands, tried in turn until one
// starts: in each, %s stands for the URL (%% for a literal %), or the URL
// is added as the last argument when there is no %s. The command is split
// on spaces and run without a shell. Without $BROWSER it is the system's
// opener: open on macOS, rundll32 on Windows, xdg-open elsewhere (wslview
// on WSL when there is no xdg-open).
func (a *app) systemBrowser(_ context.Context, url string) error {
	if why := a.headless(); why != "" {
		return &noBrowserError{why: why}
	}
	if list := a.getenv(envBrowser); strings.TrimSpace(list) != "" {
		var errs []error
		for _, entry := range strings.Split(list, string(os.PathListSeparator)) {
			argv := browserCommand(entry, url)
			if argv == nil {
				continue
			}
			err := a.runOpener(argv)
			if notRunnable(err) { // not found, not executable: try the next
				errs = append(errs, err)
				continue
			}
			return err
		}
		return &noBrowserError{why: fmt.Sprintf("no command of $BROWSER could be run (%v)", errors.Join(errs...))}
	}
	switch runtime.GOOS {
	case "darwin":
		return a.runOpener([]string{"open", url})
	case "windows":
		return a.runOpener([]string{"rundll32", "url.dll,FileProtocolHandler", url})
	}
	err := a.runOpener([]string{"xdg-open", url})
	if notRunnable(err) && a.getenv("WSL_DISTRO_NAME") != "" {
		err = a.runOpener([]string{"wslview", url})
	}
	if notRunnable(err) {
		return &noBrowserError{why: "xdg-open is not installed and $BROWSER is not set"}
	}
	return err
}

// notRunnable reports whether err is a command that could not be
// started: not found, or not executable.
func notRunnable(err error) bool {
	var ee *exec.Error
	return errors.As(err, &ee) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)
}

// browserCommand returns the argv of one $BROWSER entry for url: the entry
// split on spaces, with each %s replaced by the URL and %% by %, or the URL
// added last when the entry has no %s. An empty entry is nil.
func browserCommand(entry, url string) []string {
	fields := strings.Fields(entry)
	if len(fields) == 0 {
		return nil
	}
	substituted := false
	argv := make([]string, 0, len(fields)+1)
	for _, f := range fields {
		var b strings.Builder
		for i := 0; i < len(f); i++ {
			if f[i] == '%' && i+1 < len(f) {
				switch f[i+1] {
				case 's':
					b.WriteString(url)
					substituted = true
					i++
					continue
				case '%':
					b.WriteByte('%')
					i++
					continue
				}
			}
			b.WriteByte(f[i])
		}
		argv = append(argv, b.String())
	}
	if !substituted {
		argv = append(argv, url)
	}
	return argv
}

// runOpener starts argv, its output on standard error, and returns once it
// started; an opener that then exits with an error is reported on
// a.openerFailed. It is not tied to the login's context: ending the login
// must not close the user's browser.
func (a *app) runOpener(argv []string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	if f, ok := a.stderr.(*os.File); ok {
		// A file, not a pipe: a browser that inherits it does not keep
		// Wait waiting for the pipe to close.
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", argv[0], err)
	}
	failed := a.openerFailed
	go func() {
		if err := cmd.Wait(); err != nil {
			select {
			case failed <- &noBrowserError{why: fmt.Sprintf("%s failed (%v)", argv[0], err)}:
			default:
			}
		}
	}()
	return nil
}
