package zohoauth_test

import (
	"fmt"
	"time"

	"github.com/zohoauth/zohoauth"
)

func ExampleToken_String() {
	tok := zohoauth.Token{
		ID:           "1",
		UserName:     "ana@example.com:20001",
		ClientID:     "1000.CLIENT",
		RefreshToken: "1000.refresh-token",
		Expiry:       time.UnixMilli(1795879420612),
	}
	// No verb prints a secret: only its fingerprint.
	fmt.Println(tok)
	fmt.Printf("%#v\n", &tok)
	// Output:
	// Token{id="1" user="ana@example.com:20001" client="1000.CLIENT" secret=- grant=- refresh=sha256:1c0d47de access=- expiry=2026-11-28T15:23:40Z}
	// Token{id="1" user="ana@example.com:20001" client="1000.CLIENT" secret=- grant=- refresh=sha256:1c0d47de access=- expiry=2026-11-28T15:23:40Z}
}

func ExampleLookupEnvironment() {
	// The api_domain of a token, the accounts-server of a login redirect,
	// or a data center code all name an environment.
	for _, v := range []string{"https://www.zohoapis.eu", "https://accounts.zohocloud.ca", "in-sandbox"} {
		env, err := zohoauth.LookupEnvironment(v)
		if err != nil {
			panic(err)
		}
		fmt.Println(env, env.TokenURL(), env.APIURL)
	}
	// Output:
	// eu/production https://accounts.zoho.eu/oauth/v2/token https://www.zohoapis.eu
	// ca/production https://accounts.zohocloud.ca/oauth/v2/token https://www.zohoapis.ca
	// in/sandbox https://accounts.zoho.in/oauth/v2/token https://sandbox.zohoapis.in
}
