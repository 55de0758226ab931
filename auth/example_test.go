package auth_test

import (
	"context"
	"fmt"
	"io"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/zohotest"
)

func ExampleAuthenticator() {
	// The emulator stands in for Zoho; with real Zoho, leave Accounts out.
	srv := zohotest.NewServer(zohotest.Options{})
	defer srv.Close()
	srv.AddClient(zohotest.Client{ID: "1000.X", Secret: "secret"})
	srv.AddUser(zohotest.User{Email: "ann@example.com", ZGID: "700"})
	code, _ := srv.IssueGrant("1000.X", "ann@example.com")

	a, err := auth.New(memory.New(), auth.Options{Accounts: &accounts.Client{Environment: srv.Environment()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()

	// One Handle per user; the first use exchanges the grant code and saves.
	h := a.For(&zohoauth.Token{ClientID: "1000.X", ClientSecret: "secret", GrantToken: code})
	if _, err := h.AccessToken(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	tok, _ := h.Token(context.Background())
	fmt.Println("user:", tok.UserName)

	// Later, anywhere: the same token by user name, and an HTTP client that
	// sends it (and renews it after a 401 INVALID_TOKEN).
	resp, err := a.For(&zohoauth.Token{UserName: "ann@example.com:700"}).Client(nil).Get(srv.URL + "/crm/v8/users?type=CurrentUser")
	if err != nil {
		fmt.Println(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Println("CRM:", resp.Status)
	// Output:
	// user: ann@example.com:700
	// CRM: 200 OK
}
