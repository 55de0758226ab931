package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/zohotest"
)

const bob = "bob@example.com"

// loginAs stores a token of user for client (added to the emulator with
// secret client+"-secret" if new) and returns it as stored.
func (e *env) loginAs(client, user string) *zohoauth.Token {
	e.t.Helper()
	e.srv.AddClient(zohotest.Client{ID: client, Secret: client + "-secret"})
	code, err := e.srv.IssueGrant(client, user, "ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ")
	if err != nil {
		e.t.Fatal(err)
	}
	h, err := e.a.Login(ctx, &zohoauth.Token{ClientID: client, ClientSecret: client + "-secret", GrantToken: code}, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return e.stored(h.ID())
}

// secretsOf returns every secret of the tokens.
func secretsOf(toks ...*zohoauth.Token) []string {
	var s []string
	for _, t := range toks {
		s = append(s, t.RefreshToken, t.AccessToken, t.ClientSecret, t.GrantToken)
	}
	return s
}

func ids(rep *auth.RevokeReport) (revoked, failed []string) {
	for _, r := range rep.Revoked {
		revoked = append(revoked, r.ID)
	}
	for _, f := range rep.Failed {
		failed = append(failed, f.ID)
	}
	return revoked, failed
}

// A user with three clients, Zoho out of reach for the revoke of one: the
// other two are revoked at Zoho and deleted, the failed one stays stored
// and live, and is reported with its stage and error; another user's token
// of the same client is untouched. Nothing printed holds a secret. A second
// call finishes the job.
func TestRevokeUserAllClientsOneFails(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(o *auth.Options) { o.OnEvent = rec.hook })
	e.srv.AddUser(zohotestUser(bob, "7002"))
	ann1 := e.loginAs("1000.C1", email)
	ann2 := e.loginAs("1000.C2", email)
	ann3 := e.loginAs("1000.C3", email)
	bob1 := e.loginAs("1000.C1", bob)
	// A handle of ann's in this process, with its access token cached.
	h := e.a.For(&zohoauth.Token{ID: ann2.ID})
	if _, err := h.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	// The first revoke (ann1's, the lowest id) meets a dropped connection.
	e.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token/revoke", Drop: true})

	rep, err := e.a.RevokeUser(ctx, "ANN@example.com")
	if !errors.Is(err, auth.ErrRevokeIncomplete) || !errors.Is(err, accounts.ErrTransient) {
		t.Fatalf("err = %v, want ErrRevokeIncomplete and ErrTransient", err)
	}
	revoked, failed := ids(rep)
	if fmt.Sprint(revoked) != fmt.Sprint([]string{ann2.ID, ann3.ID}) || fmt.Sprint(failed) != fmt.Sprint([]string{ann1.ID}) {
		t.Fatalf("revoked %v, failed %v; want [%s %s], [%s]", revoked, failed, ann2.ID, ann3.ID, ann1.ID)
	}
	if f := rep.Failed[0]; f.Stage != auth.StageZoho || f.ClientID != "1000.C1" || f.User != email+":"+zgid || f.Refresh != zohoauth.Fingerprint(ann1.RefreshToken) {
		t.Fatalf("failure %+v", f)
	}
	for _, r := range rep.Revoked {
		if r.Zoho != auth.ZohoRevoked {
			t.Fatalf("revoked %+v, want Zoho=%s", r, auth.ZohoRevoked)
		}
	}
	for _, tok := range []*zohoauth.Token{ann2, ann3} {
		if _, err := e.store.FindTokenByID(ctx, tok.ID); !errors.Is(err, zohoauth.ErrNotFound) {
			t.Fatalf("token %s still stored: %v", tok.ID, err)
		}
		if n := e.srv.RefreshTokens(tok.ClientID, email); n != 0 {
			t.Fatalf("%d live refresh tokens of %s at Zoho, want 0", n, tok.ClientID)
		}
	}
	if got := e.stored(ann1.ID); got.RefreshToken != ann1.RefreshToken {
		t.Fatal("the token whose revoke failed was changed")
	}
	if n := e.srv.RefreshTokens("1000.C1", email); n != 1 {
		t.Fatalf("%d live refresh tokens of the failed one, want 1", n)
	}
	if got := e.stored(bob1.ID); got.RefreshToken != bob1.RefreshToken || e.srv.RefreshTokens("1000.C1", bob) != 1 {
		t.Fatal("another user's token was touched")
	}
	// This process's handle of a revoked token no longer hands out the
	// cached access token.
	if access, err := h.AccessToken(ctx); err == nil {
		t.Fatalf("a revoked token's handle still hands out %s", zohoauth.Fingerprint(access))
	}
	e.a.FlushEvents()
	if ev := rec.of(auth.EventRevoked); len(ev) != 2 || ev[0].TokenID != ann2.ID || ev[1].TokenID != ann3.ID {
		t.Fatalf("revoked events %v, want ann2's and ann3's", ev)
	}
	js, _ := json.Marshal(rep)
	out := fmt.Sprintf("%v %+v %#v %s %s", err, rep, rep, js, e.logs.String())
	for _, ev := range rec.events() {
		out += ev.String()
	}
	assertNoSecret(t, "the report, error, events and log", out, secretsOf(ann1, ann2, ann3, bob1)...)

	rep, err = e.a.RevokeUser(ctx, email+":"+zgid)
	if err != nil {
		t.Fatal(err)
	}
	if revoked, failed := ids(rep); fmt.Sprint(revoked) != fmt.Sprint([]string{ann1.ID}) || len(failed) != 0 {
		t.Fatalf("second call: revoked %v, failed %v", revoked, failed)
	}
	if toks, _ := e.store.Tokens(ctx); len(toks) != 1 || toks[0].ID != bob1.ID {
		t.Fatalf("stored after: %v, want only bob's", toks)
	}
}

// Every user of a client: a token Zoho no longer knows (revoked elsewhere)
// is deleted too and reported as already invalid; the tokens of other
// clients are untouched.
func TestRevokeClientAllUsers(t *testing.T) {
	e := newEnv(t, nil)
	e.srv.AddUser(zohotestUser(bob, "7002"))
	ann1 := e.loginAs("1000.C1", email)
	bob1 := e.loginAs("1000.C1", bob)
	ann2 := e.loginAs("1000.C2", email)
	if err := e.opts.Accounts.Revoke(ctx, bob1, bob1.RefreshToken); err != nil {
		t.Fatal(err)
	}
	rep, err := e.a.RevokeClient(ctx, "1000.C1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Revoked) != 2 || len(rep.Failed) != 0 ||
		rep.Revoked[0].ID != ann1.ID || rep.Revoked[0].Zoho != auth.ZohoRevoked ||
		rep.Revoked[1].ID != bob1.ID || rep.Revoked[1].Zoho != auth.ZohoAlreadyInvalid {
		t.Fatalf("report %+v", rep)
	}
	if toks, _ := e.store.Tokens(ctx); len(toks) != 1 || toks[0].ID != ann2.ID {
		t.Fatalf("stored after: %v, want only ann's of 1000.C2", toks)
	}
	if e.srv.RefreshTokens("1000.C1", email) != 0 || e.srv.RefreshTokens("1000.C2", email) != 1 {
		t.Fatal("wrong refresh tokens revoked at Zoho")
	}
}

// Only Zoho's own word that it does not know the token lets a token be
// deleted without a confirmed revoke: a proxy's 400 page, Zoho's throttle
// or a 5xx leave it stored (and live at Zoho), reported.
func TestRevokeKeepsTokenUnlessZohoSaysUnknown(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   zohotest.Fault
		deleted bool
	}{
		{"invalid_request", zohotest.Fault{Status: 400, Body: []byte(`{"status":"failure","error":"invalid_request"}`)}, true},
		{"proxy page", zohotest.Fault{Status: 400, Body: []byte(`<html>Bad Request</html>`)}, false},
		{"throttled", zohotest.Fault{Status: 400, Body: []byte(`{"status":"failure","error":"Access Denied"}`)}, false},
		{"5xx", zohotest.Fault{Status: 503, Body: []byte(`{"status":"failure","error":"invalid_request"}`)}, false},
		{"200 without success", zohotest.Fault{Status: 200, Body: []byte(`{"status":"failure","error":"invalid_request"}`)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			tok := e.loginAs("1000.C1", email)
			tc.fault.Path = "/oauth/v2/token/revoke"
			e.srv.Inject(tc.fault)
			rep, err := e.a.RevokeUser(ctx, email)
			_, serr := e.store.FindTokenByID(ctx, tok.ID)
			if tc.deleted {
				if err != nil || len(rep.Revoked) != 1 || rep.Revoked[0].Zoho != auth.ZohoAlreadyInvalid || !errors.Is(serr, zohoauth.ErrNotFound) {
					t.Fatalf("err %v, report %+v, find %v: want deleted as already invalid", err, rep, serr)
				}
				return
			}
			if !errors.Is(err, auth.ErrRevokeIncomplete) || len(rep.Failed) != 1 || rep.Failed[0].Stage != auth.StageZoho || serr != nil {
				t.Fatalf("err %v, report %+v, find %v: want kept and reported", err, rep, serr)
			}
		})
	}
}

// An empty user or client id is refused rather than matching every token
// without a user; a user nobody has gives an empty report.
func TestRevokeBadSelectors(t *testing.T) {
	e := newEnv(t, nil)
	e.loginAs("1000.C1", email)
	for _, u := range []string{"", " ", ":7001", email + ":"} {
		if _, err := e.a.RevokeUser(ctx, u); !errors.Is(err, zohoauth.ErrInvalidToken) {
			t.Errorf("RevokeUser(%q): %v, want ErrInvalidToken", u, err)
		}
	}
	if _, err := e.a.RevokeClient(ctx, ""); !errors.Is(err, zohoauth.ErrInvalidToken) {
		t.Errorf("RevokeClient(\"\"): %v", err)
	}
	for _, u := range []string{"nobody@example.com", email + ":9999", "ann"} {
		rep, err := e.a.RevokeUser(ctx, u)
		if err != nil || len(rep.Revoked)+len(rep.Failed) != 0 {
			t.Errorf("RevokeUser(%q): %+v, %v; want nothing", u, rep, err)
		}
	}
	if toks, _ := e.store.Tokens(context.Background()); len(toks) != 1 {
		t.Fatalf("%d tokens stored, want 1", len(toks))
	}
}
