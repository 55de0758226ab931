package accounts_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
)

func ExampleClient_Refresh() {
	// A stand-in for Zoho Accounts that answers as Zoho does: HTTP 200,
	// and no refresh token in a refresh answer.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"access_token":"1000.new","api_domain":"https://www.zohoapis.eu","token_type":"Bearer","expires_in":3600}`)
	}))
	defer srv.Close()

	c := &accounts.Client{BaseURL: srv.URL}
	old := &zohoauth.Token{ClientID: "1000.X", ClientSecret: "s", RefreshToken: "1000.refresh", APIDomain: "https://www.zohoapis.com"}
	tok, err := c.Refresh(context.Background(), old)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.AccessToken, tok.RefreshToken == old.RefreshToken, tok.APIDomain)
	// Output: 1000.new true https://www.zohoapis.eu
}
