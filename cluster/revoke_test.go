package cluster_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
)

// envRevokeChild marks a child process of TestRevokeAcrossProcesses.
const envRevokeChild = "ZOHOAUTH_REVOKE_CHILD"

// peer is a child process of TestRevokeAcrossProcesses, driven one command
// at a time through its stdin; each command gives one line on its stdout.
type peer struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
	log   *syncWriter
}

func (c *cluster) peer(t *testing.T, name string) *peer {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRevokeChild$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		envRevokeChild+"=1",
		envStore+"="+c.storeURL,
		envEmulator+"="+c.srv.URL,
		envID+"="+c.id,
	)
	var stderr strings.Builder
	p := &peer{t: t, name: name, cmd: cmd, lines: make(chan string, 16), log: &syncWriter{w: &stderr}}
	cmd.Stderr = p.log
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.in = in
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		_ = p.in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %s: %v\nstderr:\n%s", name, err, stderr.String())
		}
	})
	return p
}

// do sends cmd and returns the answer line (the first line starting with
// one of the answer words; the test framework's own lines are skipped).
func (p *peer) do(cmd string) string {
	p.t.Helper()
	if _, err := fmt.Fprintln(p.in, cmd); err != nil {
		p.t.Fatalf("process %s: %v", p.name, err)
	}
	timeout := time.After(time.Minute)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("process %s ended before answering %s; stderr:\n%s", p.name, cmd, p.log.w)
			}
			for _, w := range []string{"OK ", "ERR ", "REVOKED "} {
				if strings.HasPrefix(l, w) {
					return l
				}
			}
		case <-timeout:
			p.t.Fatalf("process %s did not answer %s", p.name, cmd)
		}
	}
}

// Two processes share a SQLite file store and the emulator, and both hold
// the token's access token in memory. Process A revokes every token of the
// user. Process B's next API call through Handle.Client gets Zoho's 401
// INVALID_TOKEN (the revoked refresh token took its access tokens along),
// its one forced renewal finds the token gone from the store, and the call
// fails with zohoauth.ErrNotFound (or auth.ErrReauthorize) instead of
// using the stale token; B does not save the token again, and its next
// call fails at once without sending the stale token.
func TestRevokeAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	c := newCluster(t, storeCase{"sqlite", func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "revoke.db") }})
	stored := c.stored()
	a, b := c.peer(t, "A"), c.peer(t, "B")
	want := "OK " + zohoauth.Fingerprint(stored.AccessToken)
	if got := a.do("use"); got != want {
		t.Fatalf("A: %s, want %s", got, want)
	}
	if got := b.do("use"); got != want {
		t.Fatalf("B: %s, want %s", got, want)
	}
	before := c.srv.Stats()

	if got := a.do("revoke " + email); got != "REVOKED 1 FAILED 0" {
		t.Fatalf("A revoke: %s", got)
	}
	if _, err := c.store.FindTokenByID(context.Background(), c.id); !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("after the revoke the store gives %v, want ErrNotFound", err)
	}

	got := b.do("use")
	if !typedFailure(got) {
		t.Fatalf("B after the revoke: %s, want ERR notfound or ERR reauthorize", got)
	}
	mid := c.srv.Stats()
	if n := mid.Unauthorized - before.Unauthorized; n != 1 {
		t.Errorf("B's call met %d 401 answers, want 1 (the stale token, once)", n)
	}
	if mid.Refreshes != before.Refreshes || mid.GrantExchanges != before.GrantExchanges {
		t.Errorf("a new access token was issued after the revoke")
	}
	if got := b.do("use"); !typedFailure(got) {
		t.Fatalf("B's second call after the revoke: %s", got)
	}
	after := c.srv.Stats()
	if after.CRMRequests != mid.CRMRequests {
		t.Errorf("B sent the stale token again (%d more CRM requests)", after.CRMRequests-mid.CRMRequests)
	}
	if toks, err := c.store.Tokens(context.Background()); err != nil || len(toks) != 0 {
		t.Fatalf("the store holds %d tokens after B's calls (%v), want none: B saved the token again", len(toks), err)
	}
	if n := c.srv.RefreshTokens(clientID, email); n != 0 {
		t.Fatalf("%d live refresh tokens at Zoho, want 0", n)
	}
}

// typedFailure reports whether a peer's answer is a failure with
// zohoauth.ErrNotFound or auth.ErrReauthorize.
func typedFailure(answer string) bool {
	return strings.HasPrefix(answer, "ERR notfound ") || strings.HasPrefix(answer, "ERR reauthorize ")
}

// TestRevokeChild is one process of TestRevokeAcrossProcesses; it does
// nothing when run on its own. Commands on stdin: "use" (a CRM call through
// Handle.Client: "OK <access fingerprint>" or "ERR <notfound|reauthorize|
// other> …"), "revoke EMAIL" ("REVOKED n FAILED m" or "ERR …").
func TestRevokeChild(t *testing.T) {
	if os.Getenv(envRevokeChild) != "1" {
		t.Skip("a child process of TestRevokeAcrossProcesses")
	}
	ctx := context.Background()
	s := openStore(t, os.Getenv(envStore))
	base := os.Getenv(envEmulator)
	a := mustNew(s, auth.Options{Accounts: &accounts.Client{Environment: environment(base)}})
	defer a.Close()
	h := a.For(&zohoauth.Token{ID: os.Getenv(envID)})
	client := h.Client(nil)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "use":
			resp, err := client.Get(base + "/crm/v8/org")
			switch {
			case errors.Is(err, zohoauth.ErrNotFound):
				fmt.Println("ERR notfound", oneLine(err))
			case errors.Is(err, auth.ErrReauthorize):
				fmt.Println("ERR reauthorize", oneLine(err))
			case err != nil:
				fmt.Println("ERR other", oneLine(err))
			default:
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					fmt.Println("ERR other", resp.Status)
					continue
				}
				access, err := h.AccessToken(ctx)
				if err != nil {
					fmt.Println("ERR other", oneLine(err))
					continue
				}
				fmt.Println("OK", zohoauth.Fingerprint(access))
			}
		case len(f) == 2 && f[0] == "revoke":
			rep, err := a.RevokeUser(ctx, f[1])
			if rep == nil {
				fmt.Println("ERR other", oneLine(err))
				continue
			}
			fmt.Printf("REVOKED %d FAILED %d\n", len(rep.Revoked), len(rep.Failed))
		default:
			fmt.Println("ERR other unknown command")
		}
	}
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }
