package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
)

// TestCompletionScriptsLoad builds the command and loads its bash
// completion script in bash, then asks bash's completion function for the
// commands that start with "lo"; the other shells' scripts must at least be
// printed (and parsed, where the shell is installed).
func TestCompletionScriptsLoad(t *testing.T) {
	bin := buildBinary(t)
	dir := filepath.Dir(bin)
	env := append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+t.TempDir())
	c := exec.Command("bash", "-c", `source <(zohoauth completion bash) && complete -p zohoauth`)
	c.Env, c.Dir = env, t.TempDir()
	out, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "complete -o default -F __start_zohoauth zohoauth") {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	// The script's completion function needs the bash-completion package
	// (Debian's bash-completion): run it when that is installed.
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		t.Logf("%s is missing: the completion function is not run", bashCompletion)
	} else {
		// COMP_* as bash sets them for "zohoauth lo<TAB>".
		c := exec.Command("bash", "-c", `source `+bashCompletion+` && source <(zohoauth completion bash) || exit 1
COMP_WORDS=(zohoauth lo); COMP_CWORD=1; COMP_LINE="zohoauth lo"; COMP_POINT=${#COMP_LINE}
__start_zohoauth zohoauth lo zohoauth
printf '%s\n' "${COMPREPLY[@]}"`)
		c.Env, c.Dir = env, t.TempDir()
		out, err := c.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "login") || strings.Contains(string(out), "list") {
			t.Errorf("bash completion of \"zohoauth lo\": %v\n%s", err, out)
		}
	}
	for _, shell := range []string{"zsh", "fish", "powershell"} {
		out, err := exec.Command(bin, "completion", shell).Output()
		if err != nil || len(out) < 200 {
			t.Errorf("completion %s: %v, %d bytes", shell, err, len(out))
		}
		if sh, err := exec.LookPath(shell); err == nil && shell != "powershell" {
			c := exec.Command(sh, "-n")
			c.Stdin = strings.NewReader(string(out))
			if msg, err := c.CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", shell, err, msg)
			}
		}
	}
}

// Completion of --id and --user offers the store's tokens, and of --store
// the URL schemes; completing from a store file that does not exist
// creates none.
func TestCompletionFromTheStore(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	if err := h.store().SaveToken(context.Background(), &zohoauth.Token{UserName: "bob@example.com:77", ClientID: "1000.OTHER", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	r := h.must("__complete", "show", "--id", "")
	if !strings.Contains(r.stdout, tok.ID+"\t"+tok.UserName) || !strings.Contains(r.stdout, "\nbob@example.com:77") && !strings.Contains(r.stdout, "2\tbob@example.com:77") {
		t.Errorf("--id completion:\n%s", r.stdout)
	}
	r = h.must("__complete", "token", "--user", "bob")
	if !strings.HasPrefix(r.stdout, "bob@example.com:77\t") || strings.Contains(r.stdout, testEmail) {
		t.Errorf("--user completion:\n%s", r.stdout)
	}
	r = h.must("__complete", "list", "--client-id", "")
	if !strings.Contains(r.stdout, testClientID+"\n") || !strings.Contains(r.stdout, "1000.OTHER\n") {
		t.Errorf("--client-id completion:\n%s", r.stdout)
	}
	r = h.must("__complete", "migrate", "--to", "")
	if !strings.Contains(r.stdout, "sqlite:\t") || !strings.Contains(r.stdout, "postgres://\t") {
		t.Errorf("--to completion:\n%s", r.stdout)
	}
	noSecrets(t, r, tokenSecrets(tok)...)

	missing := filepath.Join(t.TempDir(), "none.db")
	r = h.must("__complete", "--store", "sqlite:"+missing, "show", "--id", "")
	if _, err := os.Stat(missing); err == nil {
		t.Error("completing --id created the store")
	}
	if strings.Contains(r.stdout, tok.ID+"\t") {
		t.Errorf("completion from a missing store:\n%s", r.stdout)
	}
}

func TestVersion(t *testing.T) {
	h := newHarness(t)
	r := h.must("version")
	if !strings.HasPrefix(r.stdout, "zohoauth ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("version: %q", r.stdout)
	}
}

func TestSuggestsMistypedCommands(t *testing.T) {
	h := newHarness(t)
	r := h.run("tokne")
	if r.code != exitUsage || !strings.Contains(r.stderr, `unknown command "tokne"`) || !strings.Contains(r.stderr, "did you mean token?") {
		t.Errorf("tokne: %+v", r)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("not one line: %q", r.stderr)
	}
}
