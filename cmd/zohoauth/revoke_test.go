package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/zohotest"
)

// loginAs stores, in h's store, a token of user for client (added to the
// emulator if new) and returns it as stored.
func (h *harness) loginAs(client, user string) *zohoauth.Token {
	h.t.Helper()
	ctx := context.Background()
	h.emu.AddClient(zohotest.Client{ID: client, Secret: client + "-secret"})
	code, err := h.emu.IssueGrant(client, user, "ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ")
	if err != nil {
		h.t.Fatal(err)
	}
	s := h.store()
	a := mustNew(s, auth.Options{Accounts: &accounts.Client{Environment: h.emu.Environment()}, Clock: h.clock})
	defer a.Close()
	hd, err := a.Login(ctx, &zohoauth.Token{ClientID: client, ClientSecret: client + "-secret", GrantToken: code}, "")
	if err != nil {
		h.t.Fatal(err)
	}
	tok, err := s.FindTokenByID(ctx, hd.ID())
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// revokeJSON is the report of revoke --json.
type revokeJSON struct {
	Revoked []struct {
		ID, User, ClientID, Refresh, Zoho string
	} `json:"revoked"`
	Failed []struct {
		ID       string `json:"id"`
		ClientID string `json:"client_id"`
		Stage    string `json:"stage"`
		Error    string `json:"error"`
	} `json:"failed"`
}

// revoke --user X --all-clients: a user with three clients, Zoho out of
// reach for one revoke. The other two are revoked and deleted, the failed
// one is kept and reported, the exit code is 7 (partial), another user's
// token is untouched, and no output holds a secret. A second run finishes.
func TestRevokeAllClientsPartialFailure(t *testing.T) {
	h := newHarness(t)
	h.emu.AddUser(zohotest.User{Email: "bob@example.com"})
	a1 := h.loginAs("1000.C1", testEmail)
	a2 := h.loginAs("1000.C2", testEmail)
	a3 := h.loginAs("1000.C3", testEmail)
	b1 := h.loginAs("1000.C1", "bob@example.com")
	h.emu.Inject(zohotest.Fault{Path: "/oauth/v2/token/revoke", Status: 503, Body: []byte(`{"status":"failure"}`)})

	r := h.run("revoke", "--user", testEmail, "--all-clients", "--yes", "--json")
	if r.code != exitPartial {
		t.Fatalf("exit %d, want %d (partial)", r.code, exitPartial)
	}
	var rep revokeJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, r.stdout)
	}
	if len(rep.Revoked) != 2 || rep.Revoked[0].ID != a2.ID || rep.Revoked[1].ID != a3.ID ||
		len(rep.Failed) != 1 || rep.Failed[0].ID != a1.ID || rep.Failed[0].Stage != "zoho" || rep.Failed[0].Error == "" {
		t.Fatalf("report %+v", rep)
	}
	var exitJSON errorView
	if err := json.Unmarshal([]byte(r.stderr), &exitJSON); err != nil || exitJSON.ExitCode != exitPartial || !strings.HasPrefix(exitJSON.Error, "1 of 3 tokens were not revoked") {
		t.Fatalf("the error on standard error is not JSON with exit code %d: %v %q", exitPartial, err, r.stderr)
	}
	left := map[string]bool{}
	for _, tok := range h.tokens() {
		left[tok.ID] = true
	}
	if len(left) != 2 || !left[a1.ID] || !left[b1.ID] {
		t.Fatalf("left in the store: %v, want %s (failed) and %s (bob's)", left, a1.ID, b1.ID)
	}
	if h.emu.RefreshTokens("1000.C2", testEmail) != 0 || h.emu.RefreshTokens("1000.C3", testEmail) != 0 ||
		h.emu.RefreshTokens("1000.C1", testEmail) != 1 || h.emu.RefreshTokens("1000.C1", "bob@example.com") != 1 {
		t.Fatal("the wrong refresh tokens are live at Zoho")
	}
	var secrets []string
	for _, tok := range []*zohoauth.Token{a1, a2, a3, b1} {
		secrets = append(secrets, tokenSecrets(tok)...)
	}
	noSecrets(t, r, secrets...)

	r = h.run("revoke", "--user", testEmail, "--all-clients", "--yes")
	if r.code != exitOK || !strings.Contains(r.stderr, "1 revoked and deleted, 0 failed") {
		t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
	}
	noSecrets(t, r, secrets...)
	if toks := h.tokens(); len(toks) != 1 || toks[0].ID != b1.ID {
		t.Fatalf("left after the second run: %v", toks)
	}
}

// revoke --client-id C --all-users asks on a terminal (saying how many
// tokens), does nothing on no, refuses without a terminal and without
// --yes; the text report names each token without a secret.
func TestRevokeAllUsersConfirm(t *testing.T) {
	setup := func(t *testing.T) (*harness, []string) {
		h := newHarness(t)
		h.emu.AddUser(zohotest.User{Email: "bob@example.com"})
		a1 := h.loginAs("1000.C1", testEmail)
		b1 := h.loginAs("1000.C1", "bob@example.com")
		a2 := h.loginAs("1000.C2", testEmail)
		return h, append(append(tokenSecrets(a1), tokenSecrets(b1)...), tokenSecrets(a2)...)
	}
	for _, st := range []struct {
		interactive bool
		stdin       string
		yes         bool
		code, left  int
	}{
		{false, "", false, exitUsage, 3},
		{true, "n\n", false, exitFailure, 3},
		{true, "y\n", false, exitOK, 1},
		{false, "", true, exitOK, 1},
	} {
		h, secrets := setup(t)
		h.interactive = st.interactive
		args := []string{"revoke", "--client-id", "1000.C1", "--all-users"}
		if st.yes {
			args = append(args, "--yes")
		}
		r := h.runIn(st.stdin, args...)
		if r.code != st.code || len(h.tokens()) != st.left {
			t.Fatalf("%+v: exit %d, %d tokens left", st, r.code, len(h.tokens()))
		}
		asked := strings.Contains(r.stderr, "Revoke at Zoho and delete the 2 tokens of client 1000.C1 (every user)") && strings.Contains(r.stderr, "? [y/N] ")
		if asked != st.interactive {
			t.Fatalf("%+v: asked %v: %q", st, asked, r.stderr)
		}
		if st.code == exitOK && (!strings.Contains(r.stderr, "bob@example.com") || !strings.Contains(r.stderr, "revoked at Zoho, deleted")) {
			t.Fatalf("report: %q", r.stderr)
		}
		noSecrets(t, r, secrets...)
	}
}

// Bad combinations are usage errors (exit 2) that change nothing; no
// matching token is exit 3.
func TestRevokeAllFlags(t *testing.T) {
	h := newHarness(t)
	h.loginAs("1000.C1", testEmail)
	for _, args := range [][]string{
		{"revoke", "--all-clients", "--yes"},
		{"revoke", "--all-users", "--yes"},
		{"revoke", "--user", testEmail, "--all-users", "--yes"},
		{"revoke", "--client-id", "1000.C1", "--all-clients", "--yes"},
		{"revoke", "--user", testEmail, "--client-id", "1000.C1", "--all-clients", "--yes"},
		{"revoke", "--user", testEmail, "--all-clients", "--all-users", "--yes"},
		{"revoke", "--id", "1", "--all-clients", "--yes"},
		{"revoke", "--user", testEmail, "--yes"},
		{"revoke", "--user", testEmail, "--json"},
	} {
		if r := h.run(args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, r.code, exitUsage)
		}
	}
	if r := h.run("revoke", "--user", "nobody@example.com", "--all-clients", "--yes"); r.code != exitNotFound {
		t.Errorf("no token: exit %d, want %d", r.code, exitNotFound)
	}
	if n := len(h.tokens()); n != 1 {
		t.Fatalf("%d tokens left, want 1", n)
	}
}
