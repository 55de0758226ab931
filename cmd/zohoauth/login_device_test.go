package main

import (
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

// asyncRun is a command running in the background.
type asyncRun struct {
	stdout, stderr *syncBuffer
	done           chan result
}

// background runs the command line in the background, reading stdin.
func (h *harness) background(stdin io.Reader, args ...string) *asyncRun {
	h.t.Helper()
	return h.backgroundWith(stdin, nil, args...)
}

// backgroundWith is background, with configure changing the app first.
func (h *harness) backgroundWith(stdin io.Reader, configure func(*app), args ...string) *asyncRun {
	h.t.Helper()
	r := &asyncRun{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan result, 1)}
	a := h.app(stdin, r.stdout, r.stderr)
	if configure != nil {
		configure(a)
	}
	go func() {
		code := a.main(context.Background(), args)
		r.done <- result{code, r.stdout.String(), r.stderr.String()}
	}()
	return r
}

// finish advances the harness's clock by step whenever a timer is
// pending (the device flow's poll interval), until the command ends.
func (r *asyncRun) finish(t *testing.T, h *harness, step time.Duration) result {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case res := <-r.done:
			t.Logf("→ %d\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
			return res
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the command did not end; stderr: %s", r.stderr.String())
		}
		if len(h.clock.Pending()) > 0 {
			h.clock.Advance(step)
		}
		time.Sleep(time.Millisecond)
	}
}

var userCodeRe = regexp.MustCompile(`one-time code: (\S+)`)

// userCode waits for the one-time code on the command's standard error.
func (r *asyncRun) userCode(t *testing.T) string {
	t.Helper()
	var code string
	waitFor(t, "the one-time code", func() bool {
		m := userCodeRe.FindStringSubmatch(r.stderr.String())
		if m != nil {
			code = m[1]
		}
		return m != nil
	})
	return code
}

// TestLoginDeviceApproved: login --device shows the one-time code and the
// verification URL on standard error, waits, and saves the token through
// the authenticator once the user approves (here zohotest's ApproveDevice).
func TestLoginDeviceApproved(t *testing.T) {
	h := newHarness(t)
	run := h.background(strings.NewReader(""), "login", "--device")
	code := run.userCode(t)
	if !strings.Contains(run.stderr.String(), h.emu.URL+"/oauth/v3/device") {
		t.Errorf("no verification URL: %s", run.stderr.String())
	}
	if err := h.emu.ApproveDevice(code, testEmail); err != nil {
		t.Fatal(err)
	}
	r := run.finish(t, h, 5*time.Second)
	if r.code != 0 || !strings.Contains(r.stderr, "logged in as "+testEmail) {
		t.Fatalf("login --device: %+v", r)
	}
	all := h.tokens()
	if len(all) != 1 || all[0].Email() != testEmail || all[0].RefreshToken == "" || all[0].AccessToken == "" || all[0].ClientSecret != testClientSecret {
		t.Fatalf("stored: %v", all)
	}
	noSecrets(t, r, tokenSecrets(all[0])...)
	if st := h.emu.Stats(); st.DeviceCodes != 1 || st.SlowDowns != 0 || st.GrantExchanges != 0 {
		t.Errorf("emulator stats: %+v", st)
	}
	// The saved token works.
	if r := h.must("api", "/crm/v8/users?type=CurrentUser"); !strings.Contains(r.stdout, testEmail) {
		t.Errorf("api after a device login: %s", r.stdout)
	}
	// A second device login of the same user updates the same token.
	run = h.background(strings.NewReader(""), "login", "--device")
	if err := h.emu.ApproveDevice(run.userCode(t), testEmail); err != nil {
		t.Fatal(err)
	}
	if r := run.finish(t, h, 5*time.Second); r.code != 0 {
		t.Fatalf("second login --device: %+v", r)
	}
	if again := h.tokens(); len(again) != 1 || again[0].ID != all[0].ID || again[0].RefreshToken == all[0].RefreshToken {
		t.Errorf("second device login: %v (first %v)", again, all)
	}
}

// TestLoginDeviceDenied: the user denies on the verification page: exit 4,
// said in plain words, nothing saved.
func TestLoginDeviceDenied(t *testing.T) {
	h := newHarness(t)
	run := h.background(strings.NewReader(""), "login", "--device")
	if err := h.emu.DenyDevice(run.userCode(t)); err != nil {
		t.Fatal(err)
	}
	r := run.finish(t, h, 5*time.Second)
	if r.code != exitAuth || !strings.Contains(r.stderr, "denied") || !strings.Contains(r.stderr, "(access_denied)") {
		t.Errorf("denied device login: %+v", r)
	}
	if n := len(h.tokens()); n != 0 {
		t.Errorf("%d tokens saved", n)
	}
}

// TestLoginDeviceExpired: nobody approves before the code expires: exit 4,
// a new code is needed; the polls kept to the interval (no slow_down).
func TestLoginDeviceExpired(t *testing.T) {
	h := newHarness(t)
	run := h.background(strings.NewReader(""), "login", "--device")
	run.userCode(t)
	r := run.finish(t, h, 30*time.Second)
	if r.code != exitAuth || !strings.Contains(r.stderr, "expired") || !strings.Contains(r.stderr, "login --device again") {
		t.Errorf("expired device login: %+v", r)
	}
	if st := h.emu.Stats(); st.SlowDowns != 0 || st.DevicePolls == 0 {
		t.Errorf("emulator stats: %+v", st)
	}
	if n := len(h.tokens()); n != 0 {
		t.Errorf("%d tokens saved", n)
	}
}

// TestLoginDeviceFlags: --device goes with neither --no-browser nor
// --grant-token.
func TestLoginDeviceFlags(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{{"login", "--device", "--no-browser"}, {"login", "--device", "--grant-token", "x"}} {
		if r := h.run(args...); r.code != exitUsage {
			t.Errorf("%v: %+v", args, r)
		}
	}
}
