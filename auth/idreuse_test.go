package auth_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/zohotest"
)

// The file and SQL stores give a new token the greatest id in use plus
// one, so the id of a deleted token can come back as another user's. An
// Authenticator that still holds the deleted token must never hand it to
// the new owner of the id, nor renew the new owner's token for the old
// handle.
func TestReusedIDNeverServesAnotherUser(t *testing.T) {
	for _, tt := range []struct {
		name   string
		expire bool // ann's handle is used again after her token expired
	}{
		{"new owner resolves", false},
		{"old handle renews", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.srv.AddUser(zohotest.User{Email: "bob@example.com", ZGID: "7002"})
			fs, err := filestore.New(filepath.Join(t.TempDir(), "tokens.csv"))
			if err != nil {
				t.Fatal(err)
			}
			p1 := mustNew(fs, e.opts) // this process
			defer p1.Close()

			annH, err := p1.Login(ctx, e.grantToken(), "")
			if err != nil {
				t.Fatal(err)
			}
			ann, err := annH.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p1.For(&zohoauth.Token{UserName: ann.UserName}).AccessToken(ctx); err != nil {
				t.Fatal(err)
			}

			// ann's token is deleted; another process, started after,
			// logs bob in over the same file.
			if err := fs.DeleteToken(ctx, ann.ID); err != nil {
				t.Fatal(err)
			}
			fs2, err := filestore.New(fs.Path())
			if err != nil {
				t.Fatal(err)
			}
			p2 := mustNew(fs2, e.opts)
			defer p2.Close()
			bobH, err := p2.Login(ctx, &zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, GrantToken: e.grant("bob@example.com")}, "")
			if err != nil {
				t.Fatal(err)
			}
			bob, err := bobH.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if bob.ID != ann.ID {
				t.Fatalf("the store gave bob id %s, not ann's %s: the case is not reached", bob.ID, ann.ID)
			}

			if tt.expire {
				e.clk.Advance(2 * time.Hour)
				got, err := p1.For(&zohoauth.Token{UserName: ann.UserName}).AccessToken(ctx)
				if err == nil || got != "" {
					t.Fatalf("ann's handle after her token was deleted: %q, %v; want an error", got, err)
				}
				if bobNow, _ := fs.FindTokenByID(ctx, bob.ID); bobNow.AccessToken != bob.AccessToken {
					t.Errorf("bob's token was renewed for ann's handle")
				}
				return
			}
			got, err := p1.For(&zohoauth.Token{UserName: bob.UserName}).AccessToken(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != bob.AccessToken {
				t.Fatalf("bob's handle got another token (ann's: %v)", got == ann.AccessToken)
			}
		})
	}
}
