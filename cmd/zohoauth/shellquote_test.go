package main

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// shellWords runs line in shell (bash with failglob, or zsh) with
// zohoauth defined as a function printing its arguments, in an empty
// directory, and returns the arguments; a word the shell refuses (an
// unquoted glob matching nothing) fails the test.
func shellWords(t *testing.T, shell, line string) []string {
	t.Helper()
	script := `zohoauth() { printf '%s\0' "$@"; }; ` + line
	var cmd *exec.Cmd
	switch shell {
	case "bash":
		cmd = exec.Command("bash", "-O", "failglob", "-c", script)
	case "zsh":
		cmd = exec.Command("zsh", "-f", "-c", script)
	}
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s refuses %q: %v: %s", shell, line, err, out)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// shells returns the shells to check with: bash, and zsh where installed
// (CI installs it).
func shells(t *testing.T) []string {
	out := []string{"bash"}
	if _, err := exec.LookPath("zsh"); err == nil {
		out = append(out, "zsh")
	} else if os.Getenv("CI") == "true" {
		t.Fatal("zsh is missing; CI must install it (apt-get install -y zsh)")
	} else {
		t.Log("zsh is missing: checking bash only")
	}
	return out
}

func TestShellQuote(t *testing.T) {
	for _, w := range []string{"plain", "/crm/v8/Leads?fields=Last_Name,Company", "a&b", "it's", "*", "~x", "$HOME", "a b", "", "[x]", "{a,b}", "#c", "^x", "!x"} {
		for _, sh := range shells(t) {
			if got := shellWords(t, sh, "zohoauth "+shellQuote(w)); !slices.Equal(got, []string{w}) {
				t.Errorf("%s: shellQuote(%q) reads back as %q", sh, w, got)
			}
		}
	}
	if shellQuote("/crm/v8/org") != "/crm/v8/org" {
		t.Errorf("a plain path is quoted")
	}
}

// TestEmulatorBannerCallsWorkAsPrinted: the emulator's banner suggests
// command lines that bash with failglob and zsh take as printed, the URL
// with ? quoted; and the suggested api calls work against the emulator.
func TestEmulatorBannerCallsWorkAsPrinted(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- h.app(nil, &stdout, &stderr).main(ctx, []string{"emulator", "--addr", "127.0.0.1:0"}) }()
	waitFor(t, "the banner", func() bool { return strings.Contains(stderr.String(), "Press Ctrl-C") })
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the emulator did not stop")
	}
	var lines []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "  zohoauth api ") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) < 2 || !strings.Contains(stderr.String(), "'/crm/v8/Leads?fields=Last_Name,Company'") {
		t.Fatalf("banner: %s", stderr.String())
	}
	h.login()
	h.emu.AddLeads(testEmail, map[string]any{"Last_Name": "Lovelace", "Company": "Analytical Engines"})
	for _, line := range lines {
		var words []string
		for _, sh := range shells(t) {
			words = shellWords(t, sh, line)
		}
		if r := h.must(words...); !strings.Contains(r.stdout, "Lovelace") {
			t.Errorf("%s: %s", line, r.stdout)
		}
	}
}

// TestQuickstartLinesWorkAsPrinted: every "$ zohoauth …" line of the
// quickstart is taken as printed by bash with failglob and by zsh, with
// the arguments the quickstart ran.
func TestQuickstartLinesWorkAsPrinted(t *testing.T) {
	h := newHarness(t)
	r := h.must("quickstart")
	re := regexp.MustCompile(`(?m)^\$ (zohoauth .*)$`)
	found := re.FindAllStringSubmatch(r.stdout, -1)
	if len(found) < 4 {
		t.Fatalf("quickstart printed %d command lines", len(found))
	}
	quoted := false
	for _, m := range found {
		for _, sh := range shells(t) {
			words := shellWords(t, sh, m[1])
			if words[0] == "api" && words[1] == "GET" && strings.Contains(words[2], "?") {
				quoted = strings.Contains(m[1], "'"+words[2]+"'")
			}
		}
	}
	if !quoted {
		t.Errorf("no quoted API URL in the quickstart: %s", r.stdout)
	}
}
