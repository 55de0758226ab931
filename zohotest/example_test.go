package zohotest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/zohoauth/zohoauth/zohotest"
)

// Example shows a test's view: register a client and a user, get a
// self-client grant code, exchange it at the token endpoint and call the CRM
// API with the access token.
func Example() {
	s := zohotest.NewServer(zohotest.Options{})
	defer s.Close()
	s.AddClient(zohotest.Client{ID: "1000.CLIENT", Secret: "secret"})
	s.AddUser(zohotest.User{Email: "ann@example.com", ZGID: "700"})

	code, err := s.IssueGrant("1000.CLIENT", "ann@example.com", "ZohoCRM.users.READ")
	if err != nil {
		panic(err)
	}
	resp, err := http.PostForm(s.Environment().TokenURL(), url.Values{
		"grant_type": {"authorization_code"}, "client_id": {"1000.CLIENT"},
		"client_secret": {"secret"}, "code": {code},
	})
	if err != nil {
		panic(err)
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		APIDomain    string `json:"api_domain"`
		ExpiresIn    int    `json:"expires_in"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	fmt.Println("refresh token issued:", tok.RefreshToken != "", "expires_in:", tok.ExpiresIn)

	req, _ := http.NewRequest("GET", tok.APIDomain+"/crm/v8/users?type=CurrentUser", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	var users struct {
		Users []struct{ Email string } `json:"users"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&users)
	resp.Body.Close()
	fmt.Println("current user:", users.Users[0].Email)

	// Reusing the code fails with HTTP 200, as Zoho does.
	resp, _ = http.PostForm(s.Environment().TokenURL(), url.Values{
		"grant_type": {"authorization_code"}, "client_id": {"1000.CLIENT"},
		"client_secret": {"secret"}, "code": {code},
	})
	var e struct{ Error string }
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, e.Error)

	st := s.Stats()
	fmt.Println("exchanges:", st.GrantExchanges, "errors:", st.Errors, "CRM calls:", st.CRMRequests)
	// Output:
	// refresh token issued: true expires_in: 3600
	// current user: ann@example.com
	// 200 invalid_code
	// exchanges: 1 errors: 1 CRM calls: 1
}

// ExampleServer_Inject makes the next token request fail with a 503.
func ExampleServer_Inject() {
	s := zohotest.NewServer(zohotest.Options{})
	defer s.Close()
	s.Inject(zohotest.Fault{Path: "/oauth/v2/token", Status: http.StatusServiceUnavailable})
	for range 2 {
		resp, err := http.PostForm(s.URL+"/oauth/v2/token", url.Values{"grant_type": {"refresh_token"}})
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	// Output:
	// 503
	// 200
}
