package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// needTool returns the path of the program name; it skips the test
// outside CI when there is none, and fails it in CI, where .ci/services.sh
// installs the Debian package pkg.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; CI must install it (apt-get install -y %s)", name, pkg)
		}
		t.Skipf("%s is missing; skipping the %s TokenStore tests (apt-get install -y %s)", name, name, pkg)
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

// runSDKStoreTests starts this program over a SQLite store that holds an
// expired token of one user (ann, client 1000.ANN) and a valid one of
// another (bob), runs the command name args in examples/dir with the
// service's URL and keys in the environment, and returns its output. The
// command must succeed, the emulator must have seen exactly 1 refresh (the
// expired token, whatever the number of finds), and the store must hold
// the renewed access token beside the same refresh token.
//
// The keys: ZOHOAUTH_SERVE_KEY (ann and 1000.ANN only, no secrets),
// ZOHOAUTH_TEST_WRITER_KEY (everyone, secrets), ZOHOAUTH_TEST_OWN_KEY (the
// user ownUser only, secrets: the tests save and delete their own tokens
// with it), ZOHOAUTH_TEST_REVOKED_KEY (revoked before the service starts).
func runSDKStoreTests(t *testing.T, dir, ownUser, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	emu := zohotest.NewServer(zohotest.Options{})
	defer emu.Close()
	emu.AddClient(zohotest.Client{ID: "1000.ANN", Secret: "ann-client-secret"})
	emu.AddClient(zohotest.Client{ID: "1000.BOB", Secret: "bob-client-secret"})
	emu.AddUser(zohotest.User{Email: "ann@example.com", ZGID: "700"})
	emu.AddUser(zohotest.User{Email: "bob@example.com", ZGID: "700"})

	tmp := t.TempDir()
	storeURL := "sqlite:" + filepath.Join(tmp, "zohooauth.db")
	store, err := stores().Open(ctx, storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	a := mustNew(store, auth.Options{Accounts: &accounts.Client{BaseURL: emu.URL}})
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

	keysPath := filepath.Join(tmp, "keys.json")
	keys, err := tokenserver.OpenKeyFile(keysPath)
	if err != nil {
		t.Fatal(err)
	}
	newKey := func(sc tokenserver.Scope) (string, *tokenserver.Key) {
		k, rec, err := keys.CreateKey(ctx, tokenserver.KeySpec{Name: dir, Scope: sc}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return k, rec
	}
	annKey, _ := newKey(tokenserver.Scope{Users: []string{"ann@example.com"}, Clients: []string{"1000.ANN"}})
	writerKey, _ := newKey(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}, Secrets: true})
	ownKey, _ := newKey(tokenserver.Scope{Users: []string{ownUser}, Clients: []string{"*"}, Secrets: true})
	revokedKey, revoked := newKey(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}, Secrets: true})
	if err := keys.RevokeKey(ctx, revoked.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	sctx, stop := context.WithCancel(ctx)
	defer stop()
	url := startServe(t, sctx, "-store", storeURL, "-keys", keysPath, "-addr", "127.0.0.1:0", "-accounts-url", emu.URL)
	before := emu.Stats()

	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = filepath.Join("..", dir)
	cmd.Env = append(os.Environ(),
		"ZOHOAUTH_SERVE_URL="+url,
		"ZOHOAUTH_SERVE_KEY="+annKey,
		"ZOHOAUTH_TEST_WRITER_KEY="+writerKey,
		"ZOHOAUTH_TEST_OWN_KEY="+ownKey,
		"ZOHOAUTH_TEST_OWN_USER="+ownUser,
		"ZOHOAUTH_TEST_REVOKED_KEY="+revokedKey,
		"ZOHOAUTH_TEST_USER="+ann.UserName,
		"ZOHOAUTH_TEST_CLIENT_ID="+ann.ClientID,
		"ZOHOAUTH_TEST_OTHER_USER="+bob.UserName,
		"ZOHOAUTH_TEST_OLD_ACCESS="+ann.AccessToken,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("%s %s:\n%s", name, strings.Join(args, " "), out)
	if err != nil {
		t.Fatalf("the %s tests failed: %v", dir, err)
	}
	if st := emu.Stats(); st.Refreshes-before.Refreshes != 1 {
		t.Errorf("%d refreshes at the emulator, want 1", st.Refreshes-before.Refreshes)
	}
	stored, err := store.FindTokenByID(ctx, ann.ID)
	if err != nil || stored.AccessToken == ann.AccessToken || stored.RefreshToken != ann.RefreshToken {
		t.Errorf("stored after the refresh: %v, %v", stored, err)
	}
	stop()
	return string(out)
}

// TestPythonTokenStore runs the Python TokenStore's unit tests
// (examples/python-store, python3 -m unittest) against this program over a
// SQLite store that holds an expired token: the Python store's find gets a
// valid access token, refreshed once at the emulator, and every test of the
// six methods passes (none skipped).
func TestPythonTokenStore(t *testing.T) {
	python := needTool(t, "python3", "python3")
	t.Setenv("PYTHONDONTWRITEBYTECODE", "1")
	out := runSDKStoreTests(t, "python-store", "py@example.com", python, "-m", "unittest", "discover", "-s", "tests", "-v")
	if strings.Contains(out, "skipped") || !strings.Contains(out, "\nOK") {
		t.Errorf("python tests skipped or did not report OK")
	}
}

// TestNodeTokenStore runs the Node.js TokenStore's tests (examples/node-store,
// node --test) against this program over a SQLite store that holds an
// expired token: the Node store's findToken gets a valid access token,
// refreshed once at the emulator, and every test passes, none skipped.
func TestNodeTokenStore(t *testing.T) {
	node := needTool(t, "node", "nodejs")
	out := runSDKStoreTests(t, "node-store", "node@example.com", node, "--test", "--test-reporter=tap")
	pass := regexp.MustCompile(`(?m)^# pass (\d+)$`).FindStringSubmatch(out)
	if pass == nil || pass[1] == "0" || strings.Contains(out, "# SKIP") ||
		!strings.Contains(out, "\n# fail 0\n") || !strings.Contains(out, "\n# cancelled 0\n") {
		t.Errorf("node tests skipped, failed or did not report their passes")
	}
}
