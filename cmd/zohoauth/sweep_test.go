package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/zohotest"
)

// A tired operator's policy config: a misspelt key, a unit Go does not
// know, a negative or fractional value. Each is exit 2, naming the line and
// what is wrong (a near key is suggested), before the store is touched.
func TestPolicyConfigTypos(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"misspelt key", "idle_timout = 90d\n", `unknown key "idle_timout": did you mean idle_timeout?`},
		{"case", "Session_Lifetime = 30d\n", `did you mean session_lifetime?`},
		{"weeks", "session_lifetime = 4w\n", `session_lifetime: "4w" is not a duration`},
		{"negative", "idle_timeout = -3h\n", `idle_timeout: "-3h" is negative`},
		{"negative days", "idle_timeout = -3d\n", `idle_timeout: "-3d" is not a number of days`},
		{"fraction", "failure_days = 2.5\n", `failure_days: "2.5" is not a number of days`},
		{"days as duration", "failure_days = 7d\n", `failure_days: "7d" is not a number of days`},
		{"sweep interval", "sweep_interval = hourly\n", `sweep_interval: "hourly" is not a duration`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, home := homeHarness(t)
			path := writeConfig(t, home, "# policies\n"+tt.text, 0o600)
			for _, args := range [][]string{{"sweep"}, {"sweep", "--dry-run", "--json"}, {"token"}} {
				r := h.run(args...)
				if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, path+", line 2") {
					t.Errorf("%v: exit %d, %q; want %d and %q", args, r.code, r.stderr, exitUsage, tt.want)
				}
			}
		})
	}
}

// The policies of the config file reach the authenticator.
func TestPolicyConfigParsed(t *testing.T) {
	c, err := parseConfig("cfg", []byte("session_lifetime = 30d\nidle_timeout = 2160h\nfailure_days = 5\nsweep_interval = 90m\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, every := c.policies()
	want := auth.Policies{SessionLifetime: 30 * 24 * time.Hour, IdleTimeout: 90 * 24 * time.Hour, FailureDays: 5}
	if p != want || every != 90*time.Minute {
		t.Fatalf("%+v %v", p, every)
	}
	c, err = parseConfig("cfg", []byte("idle_timeout = 0\n"))
	if p, _ := c.policies(); err != nil || !p.IsZero() {
		t.Fatalf("0 is no policy: %+v %v", p, err)
	}
}

// An idle timeout shorter than the authenticator accepts is exit 2, with
// New's reason.
func TestPolicyConfigRefusedByAuthenticator(t *testing.T) {
	h, home := homeHarness(t)
	h.env[envStore] = h.storeURL
	h.login()
	writeConfig(t, home, "idle_timeout = 1h\n", 0o600)
	r := h.run("token")
	if r.code != exitUsage || !strings.Contains(r.stderr, "idle_timeout") || !strings.Contains(r.stderr, "twice the use interval") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

// requireKeeper fails a test of the sweep command whose store keeps no
// lifecycle records (every store of the project keeps them).
func requireKeeper(t *testing.T, h *harness) {
	t.Helper()
	if _, ok := h.store().(zohoauth.LifecycleKeeper); !ok {
		t.Fatal("the SQLite store keeps no lifecycle records")
	}
}

// sweep --dry-run --json reports an idle token without touching it; sweep
// revokes it at Zoho and deletes it; a second sweep within the interval is
// skipped; status shows the lifecycle record.
func TestSweepCommand(t *testing.T) {
	h, home := homeHarness(t)
	h.env[envStore] = h.storeURL
	requireKeeper(t, h)
	tok := h.login()
	writeConfig(t, home, "idle_timeout = 2d\nsweep_interval = 1h\n", 0o600)
	r := h.must("status", "--json")
	var st statusReport
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st.Tokens) != 1 || st.Tokens[0].Lifecycle == nil || st.Tokens[0].Lifecycle.LoginAt == nil {
		t.Fatalf("status shows no lifecycle: %v %s", err, r.stdout)
	}
	h.clock.Advance(72 * time.Hour)
	r = h.must("sweep", "--dry-run", "--json")
	var rep sweepView
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || !rep.DryRun || rep.Revoked != 1 || len(rep.Items) != 1 || rep.Items[0].ID != tok.ID {
		t.Fatalf("dry run: %v %s", err, r.stdout)
	}
	if len(h.tokens()) != 1 {
		t.Fatal("the dry run deleted the token")
	}
	r = h.must("sweep")
	if !strings.Contains(r.stderr, "revoked at Zoho and deleted") || len(h.tokens()) != 0 {
		t.Fatalf("sweep: %s", r.stderr)
	}
	r = h.must("sweep")
	if !strings.Contains(r.stderr, "skipped") {
		t.Fatalf("second sweep within the interval: %s", r.stderr)
	}
}

// sweep exits 7 when Zoho does not confirm the revocation of an idle
// token, which is kept.
func TestSweepCommandPartial(t *testing.T) {
	h, home := homeHarness(t)
	h.env[envStore] = h.storeURL
	requireKeeper(t, h)
	h.login()
	writeConfig(t, home, "idle_timeout = 2d\n", 0o600)
	h.clock.Advance(72 * time.Hour)
	h.emu.Inject(zohotest.Fault{Path: "/oauth/v2/token/revoke", Status: 503, Body: []byte(`{"status":"failure"}`), Times: -1})
	r := h.run("sweep", "--interval", "1ms")
	if r.code != exitPartial || !strings.Contains(r.stderr, "FAILED, kept") || len(h.tokens()) != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}
