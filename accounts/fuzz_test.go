package accounts_test

import (
	"errors"
	"testing"

	"github.com/zohoauth/zohoauth/accounts"
)

func FuzzParseTokenAnswer(f *testing.F) {
	for _, s := range []string{
		`{"access_token":"A","refresh_token":"R","api_domain":"https://www.zohoapis.com","token_type":"Bearer","expires_in":3600}`,
		`{"access_token":"A","expires_in":3600000,"expires_in_sec":3600}`,
		`{"access_token":"A","expires_in":"3600"}`,
		`{"error":"invalid_code"}`,
		`{"error_description":"You have made too many requests continuously. Please try again after some time.","error":"Access Denied","status":"failure"}`,
		`{"error":{"nested":true}}`,
		`{"access_token":"A","expires_in":1e3}`,
		`{}`, `[]`, `null`, `"x"`, `{"access_token":"A"} {}`, `<html>`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ans, err := accounts.ParseTokenAnswer(body)
		switch {
		case err == nil:
			if ans == nil || ans.AccessToken == "" || ans.Lifetime <= 0 {
				t.Fatalf("success without a token: %+v", ans)
			}
		case errors.Is(err, accounts.ErrNoAccessToken):
			if ans == nil || ans.AccessToken != "" {
				t.Fatalf("ErrNoAccessToken with %+v", ans)
			}
		case errors.Is(err, accounts.ErrMalformed):
			if ans != nil {
				t.Fatalf("malformed with an answer %+v", ans)
			}
		default:
			t.Fatalf("unclassified error %v", err)
		}
	})
}
