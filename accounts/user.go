package accounts

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// UserSignature returns Zoho's user signature of t's access token,
// "email:zgid", as Zoho's SDKs build it: the e-mail of the first user of
// GET {api}/crm/v8/users?type=CurrentUser and the zgid of the first org of
// GET {api}/crm/v8/org. The token needs the scopes ZohoCRM.users.READ and
// ZohoCRM.org.READ. {api} is t.APIDomain, or Environment.APIURL when t has
// none; it must be trusted (TrustedAPIDomain), so an access token is never
// sent to another host.
func (c *Client) UserSignature(ctx context.Context, t *zohoauth.Token) (string, error) {
	api, err := c.apiBase(t)
	if err != nil {
		return "", err
	}
	var users struct {
		Users []struct {
			Email string `json:"email"`
		} `json:"users"`
	}
	if err := c.getCRM(ctx, t, api+"/crm/v8/users?type=CurrentUser", &users); err != nil {
		return "", err
	}
	var org struct {
		Org []struct {
			ZGID flexString `json:"zgid"`
		} `json:"org"`
	}
	if err := c.getCRM(ctx, t, api+"/crm/v8/org", &org); err != nil {
		return "", err
	}
	if len(users.Users) == 0 || users.Users[0].Email == "" || len(org.Org) == 0 || org.Org[0].ZGID == "" {
		return "", &Error{Op: "user", Kind: ErrMalformed, Err: errNoUser}
	}
	return users.Users[0].Email + ":" + string(org.Org[0].ZGID), nil
}

var errNoUser = &zohoauth.Error{Code: zohoauth.CodeUserSignature, Message: "no current user or org in the CRM answer"}

func (c *Client) apiBase(t *zohoauth.Token) (string, error) {
	api := strings.TrimRight(t.APIDomain, "/")
	if api == "" {
		api = c.Environment.APIURL
	}
	if api == "" {
		return "", &zohoauth.Error{Code: zohoauth.CodeEnvironment, Message: storekit.MsgEnvironment, Detail: "token has no api_domain and no environment is set", Err: zohoauth.ErrUnknownEnvironment}
	}
	api, err := c.TrustedAPIDomain(api)
	if err != nil {
		return "", err
	}
	if env, err := zohoauth.LookupEnvironment(api); err == nil {
		return env.APIURL, nil // an accounts server names its data center's API
	}
	return api, nil
}

// getCRM GETs a CRM API URL with t's access token and decodes the answer.
func (c *Client) getCRM(ctx context.Context, t *zohoauth.Token, u string, v any) error {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return &Error{Op: "user", Kind: ErrMalformed, Err: err}
	}
	req.Header.Set("Authorization", "Zoho-oauthtoken "+t.AccessToken)
	secrets := []string{t.ClientSecret, t.GrantToken, t.RefreshToken, t.AccessToken}
	status, body, err := c.do(ctx, "user", req, secrets)
	if err != nil {
		return err
	}
	if status == http.StatusOK {
		if err := json.Unmarshal(body, v); err != nil {
			return &Error{Op: "user", StatusCode: status, Kind: ErrMalformed, Err: jsonError(err)}
		}
		return nil
	}
	var crm struct {
		Code    flexString `json:"code"`
		Message flexString `json:"message"`
	}
	_ = json.Unmarshal(body, &crm)
	e := &Error{Op: "user", StatusCode: status, Code: scrub(string(crm.Code), secrets), Description: scrub(string(crm.Message), secrets), Kind: ErrRejected}
	if status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout {
		e.Kind = ErrTransient
	}
	return e
}
