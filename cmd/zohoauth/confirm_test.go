package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// saveTokens saves n tokens of other users in h's store.
func saveTokens(t *testing.T, h *harness, n int, expiry time.Time) {
	t.Helper()
	s := h.store()
	for i := range n {
		tok := &zohoauth.Token{UserName: "u" + string(rune('a'+i)) + "@example.com:1", ClientID: "c", RefreshToken: "r", AccessToken: "a", Expiry: expiry}
		if err := s.SaveToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
}

// delete --all, purge and migrate --delete-source ask on a terminal
// (saying how many tokens), do nothing unless the answer is yes, refuse
// with exit 2 without a terminal and without --yes, and go ahead with
// --yes.
func TestDestructiveCommandsConfirm(t *testing.T) {
	type step struct {
		interactive bool
		stdin       string
		yes         bool
		code        int
		left        int // tokens left in the store afterwards
	}
	old := t0.Add(-100 * 24 * time.Hour)
	for _, tt := range []struct {
		name     string
		args     func(h *harness) []string
		question string
	}{
		{"delete --all", func(*harness) []string { return []string{"delete", "--all"} }, "Delete all 3 tokens of "},
		{"purge", func(*harness) []string { return []string{"purge", "--older-than", "30d"} }, "Delete 3 of the 3 tokens of "},
		{"migrate --delete-source", func(h *harness) []string {
			return []string{"migrate", "--from", h.storeURL, "--to", "sqlite:" + filepath.Join(h.t.TempDir(), "to.db"), "--delete-source"}
		}, "Delete the 3 tokens of "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, st := range []step{
				{interactive: false, code: exitUsage, left: 3},
				{interactive: true, stdin: "n\n", code: exitFailure, left: 3},
				{interactive: true, stdin: "", code: exitFailure, left: 3}, // end of input: no
				{interactive: true, stdin: "y\n", code: exitOK, left: 0},
				{interactive: false, yes: true, code: exitOK, left: 0},
			} {
				h := newHarness(t)
				saveTokens(t, h, 3, old)
				h.interactive = st.interactive
				args := tt.args(h)
				if st.yes {
					args = append(args, "--yes")
				}
				r := h.runIn(st.stdin, args...)
				if r.code != st.code {
					t.Errorf("%+v: exit %d, want %d: %s", st, r.code, st.code, r.stderr)
				}
				if n := len(h.tokens()); n != st.left {
					t.Errorf("%+v: %d tokens left, want %d", st, n, st.left)
				}
				asked := strings.Contains(r.stderr, tt.question) && strings.Contains(r.stderr, "? [y/N] ")
				if asked != (st.interactive && !st.yes) {
					t.Errorf("%+v: asked %v: %q", st, asked, r.stderr)
				}
				switch {
				case st.code == exitUsage && !strings.Contains(r.stderr, "confirm with --yes"):
					t.Errorf("%+v: %q", st, r.stderr)
				case st.code == exitFailure && !strings.Contains(r.stderr, "cancelled"):
					t.Errorf("%+v: %q", st, r.stderr)
				}
			}
		})
	}
}

// migrate --delete-source without a terminal and without --yes refuses
// before it copies anything.
func TestMigrateDeleteSourceRefusedBeforeCopy(t *testing.T) {
	h := newHarness(t)
	saveTokens(t, h, 2, t0)
	to := filepath.Join(t.TempDir(), "to.db")
	r := h.run("migrate", "--from", h.storeURL, "--to", "sqlite:"+to, "--delete-source")
	if r.code != exitUsage || strings.Contains(r.stderr, "copied") {
		t.Errorf("%+v", r)
	}
	if n := len(h.tokens()); n != 2 {
		t.Errorf("%d tokens left", n)
	}
}

// Ctrl-C while the question waits for an answer: interrupted, nothing
// deleted.
func TestConfirmInterrupted(t *testing.T) {
	h := newHarness(t)
	saveTokens(t, h, 2, t0)
	h.interactive = true
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- h.app(blockingReader{ctx.Done()}, &out, &errb).main(ctx, []string{"delete", "--all"})
	}()
	waitFor(t, "the question", func() bool { return strings.Contains(errb.String(), "[y/N]") })
	cancel()
	if code := <-done; code != exitInterrupted {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	if n := len(h.tokens()); n != 2 {
		t.Errorf("%d tokens left", n)
	}
}

// blockingReader blocks until done is closed, like a terminal nobody types
// on.
type blockingReader struct{ done <-chan struct{} }

func (b blockingReader) Read([]byte) (int, error) {
	<-b.done
	return 0, context.Canceled
}

func TestShowRevealWarns(t *testing.T) {
	h := newHarness(t)
	tok := h.login()
	r := h.must("show", "--reveal")
	if !strings.Contains(r.stderr, "warning: --reveal prints the token's secrets") || !strings.Contains(r.stdout, tok.RefreshToken) {
		t.Errorf("show --reveal: %+v", r)
	}
	noSecrets(t, result{stderr: r.stderr}, tokenSecrets(tok)...)
	if r := h.must("show"); strings.Contains(r.stderr, "warning") {
		t.Errorf("show warns: %q", r.stderr)
	}
}
