package auth_test

import (
	"errors"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// A Handle of a bare e-mail finds the token of the user email:zgid, as the
// command's --user does; two zgids of one e-mail are ambiguous, never one
// picked at random.
func TestForBareEmail(t *testing.T) {
	e := newEnv(t, nil)
	h, err := e.a.Login(ctx, e.grantToken(), "")
	if err != nil {
		t.Fatal(err)
	}
	want, err := h.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.restart() // a new process: nothing resolved in memory
	got, err := e.a.For(&zohoauth.Token{UserName: email}).AccessToken(ctx)
	if err != nil || got != want.AccessToken {
		t.Fatalf("For(%q): got the stored token %v, err %v", email, got == want.AccessToken, err)
	}

	other := want.Clone()
	other.ID, other.UserName = "", email+":9999"
	if err := e.store.SaveToken(ctx, other); err != nil {
		t.Fatal(err)
	}
	e.restart()
	_, err = e.a.For(&zohoauth.Token{UserName: email}).AccessToken(ctx)
	if !errors.Is(err, storekit.ErrAmbiguous) || errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("two zgids: %v, want storekit.ErrAmbiguous", err)
	}
	if got, err := e.a.For(&zohoauth.Token{UserName: want.UserName}).AccessToken(ctx); err != nil || got != want.AccessToken {
		t.Fatalf("email:zgid still selects: %v", err)
	}
}
