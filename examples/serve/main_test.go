package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/tokenserver"
	"github.com/zohoauth/zohoauth/zohotest"
)

// needPython returns the path of python3; it skips the test outside CI
// when there is none, and fails it in CI.
func needPython(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is missing; CI must install it (apt-get install -y python3)")
		}
		t.Skip("python3 is missing; skipping the Python TokenStore tests")
	}
	return p
}

// syncBuffer is a goroutine-safe buffer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs the program in the process with args and returns its
// URL once it listens.
func startServe(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, stderr)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	t.Cleanup(func() {
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, stderr.String())
		}
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
			go func() { _, _ = io.Copy(io.Discard, pr) }()
			return u
		}
	}
	t.Fatalf("serve did not start: %s", stderr.String())
	return ""
}

// TestPythonTokenStore runs the Python TokenStore's unit tests
// (examples/python-store, python3 -m unittest) against this program over a
// SQLite store that holds an expired token: the Python store's find gets a
// valid access token, refreshed once at the emulator, and every test of the
// six methods passes (none skipped).
func TestPythonTokenStore(t *testing.T) {
	python := needPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	emu := zohotest.NewServer(zohotest.Options{})
	defer emu.Close()
	emu.AddClient(zohotest.Client{ID: "1000.ANN", Secret: "ann-client-secret"})
	emu.AddClient(zohotest.Client{ID: "1000.BOB", Secret: "bob-client-secret"})
	emu.AddUser(zohotest.User{Email: "ann@example.com", ZGID: "700"})
	emu.AddUser(zohotest.User{Email: "bob@example.com", ZGID: "700"})

	dir := t.TempDir()
	storeURL := "sqlite:" + filepath.Join(dir, "zohooauth.db")
	store, err := stores().Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	a := auth.New(store, auth.Options{Accounts: &accounts.Client{BaseURL: emu.URL}})
	login := func(client, secret, email string) *zohoauth.Token {
		code, err := emu.IssueGrant(client, email, "ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ")
		if err != nil {
			t.Fatal(err)
		}
		h, err := a.Login(ctx, &zohoauth.Token{ClientID: client, ClientSecret: secret, GrantToken: code}, "")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := h.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	ann := login("1000.ANN", "ann-client-secret", "ann@example.com")
	bob := login("1000.BOB", "bob-client-secret", "bob@example.com")
	a.Close()
	if err := store.SaveToken(ctx, &zohoauth.Token{ID: ann.ID, Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}

	keysPath := filepath.Join(dir, "keys.json")
	keys, err := tokenserver.OpenKeyFile(keysPath)
	if err != nil {
		t.Fatal(err)
	}
	newKey := func(sc tokenserver.Scope) string {
		k, _, err := keys.CreateKey(ctx, tokenserver.KeySpec{Name: "python", Scope: sc}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	annKey := newKey(tokenserver.Scope{Users: []string{"ann@example.com"}, Clients: []string{"1000.ANN"}})
	writerKey := newKey(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}, Secrets: true})
	pyKey := newKey(tokenserver.Scope{Users: []string{"py@example.com"}, Clients: []string{"*"}, Secrets: true})

	sctx, stop := context.WithCancel(ctx)
	defer stop()
	url := startServe(t, sctx, "-store", storeURL, "-keys", keysPath, "-addr", "127.0.0.1:0", "-accounts-url", emu.URL)
	before := emu.Stats()

	cmd := exec.CommandContext(ctx, python, "-m", "unittest", "discover", "-s", "tests", "-v")
	cmd.Dir = filepath.Join("..", "python-store")
	cmd.Env = append(os.Environ(),
		"ZOHOAUTH_SERVE_URL="+url,
		"ZOHOAUTH_SERVE_KEY="+annKey,
		"ZOHOAUTH_TEST_WRITER_KEY="+writerKey,
		"ZOHOAUTH_TEST_PY_KEY="+pyKey,
		"ZOHOAUTH_TEST_USER="+ann.UserName,
		"ZOHOAUTH_TEST_CLIENT_ID="+ann.ClientID,
		"ZOHOAUTH_TEST_OTHER_USER="+bob.UserName,
		"ZOHOAUTH_TEST_OLD_ACCESS="+ann.AccessToken,
		"PYTHONDONTWRITEBYTECODE=1",
	)
	out, err := cmd.CombinedOutput()
	t.Logf("python3 -m unittest:\n%s", out)
	if err != nil {
		t.Fatalf("python tests failed: %v", err)
	}
	if strings.Contains(string(out), "skipped") || !strings.Contains(string(out), "\nOK") {
		t.Errorf("python tests skipped or did not report OK")
	}
	if st := emu.Stats(); st.Refreshes-before.Refreshes != 1 {
		t.Errorf("%d refreshes at the emulator, want 1", st.Refreshes-before.Refreshes)
	}
	stored, err := store.FindTokenByID(ctx, ann.ID)
	if err != nil || stored.AccessToken == ann.AccessToken || stored.RefreshToken != ann.RefreshToken {
		t.Errorf("stored after the refresh: %v, %v", stored, err)
	}
	stop()
}
