package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds the command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("building the binary is skipped in -short mode")
	}
	bin := filepath.Join(t.TempDir(), "zohoauth")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinary builds the command and runs it as a user would: the quickstart
// into the default store of a fresh home directory, then list, token and a bad store
// URL, then the emulator stopped with Ctrl-C.
func TestBinary(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	cmd := func(args ...string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Dir, c.Env = dir, env
		return c
	}

	out, err := cmd("quickstart", "--keep").CombinedOutput()
	if err != nil {
		t.Fatalf("quickstart: %v\n%s", err, out)
	}
	db := filepath.Join(dir, ".local", "share", "zohoauth", "zohooauth.db")
	if fi, err := os.Stat(db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("quickstart did not use the default store %s, mode 0600: %v", db, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "zohooauth.db")); err == nil {
		t.Fatal("quickstart created a store in the working directory")
	}

	out, err = cmd("list", "--json").Output()
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	var views []tokenView
	if err := json.Unmarshal(out, &views); err != nil || len(views) != 1 || views[0].Email != quickstartUser || views[0].Expired {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if strings.Contains(string(out), quickstartClientSecret) {
		t.Error("list shows the client secret")
	}

	// The stored token is still valid, so token prints it without Zoho.
	out, err = cmd("token").Output()
	if err != nil || len(strings.TrimSpace(string(out))) < 20 || strings.Count(string(out), "\n") != 1 {
		t.Errorf("token: %v %q", err, out)
	}

	// A bad store URL: exit 2, one line on stderr.
	c := cmd("list", "--store", "mysql://root:hunter2@h:0/db")
	var stderr strings.Builder
	c.Stderr = &stderr
	err = c.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage {
		t.Errorf("bad store URL: %v", err)
	}
	if s := stderr.String(); strings.Count(s, "\n") != 1 || !strings.Contains(s, "bad port") || strings.Contains(s, "hunter2") {
		t.Errorf("bad store URL stderr: %q", s)
	}

	// The emulator serves until interrupted.
	em := cmd("emulator", "--addr", "127.0.0.1:0")
	pipe, err := em.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := em.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(pipe).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "http://127.0.0.1:") {
		t.Fatalf("emulator printed %q, %v", line, err)
	}
	if code, err := httpGet(strings.TrimSpace(line) + "/crm/v8/org"); err != nil || code != 401 {
		t.Errorf("emulator without a token: %d, %v", code, err)
	}
	if err := em.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- em.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("emulator after Ctrl-C: %v", err)
		}
	case <-time.After(10 * time.Second):
		_ = em.Process.Kill()
		t.Fatal("the emulator did not stop on Ctrl-C")
	}
}
