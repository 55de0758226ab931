package sealed

import (
	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// field is one of the four secret fields of a token.
type field uint8

const (
	fieldClientSecret field = iota + 1
	fieldGrantToken
	fieldRefreshToken
	fieldAccessToken
)

// fields are the secret fields, in Zoho's column order.
var fields = [...]field{fieldClientSecret, fieldRefreshToken, fieldAccessToken, fieldGrantToken}

var columns = [...]string{
	fieldClientSecret: "client_secret",
	fieldGrantToken:   "grant_token",
	fieldRefreshToken: "refresh_token",
	fieldAccessToken:  "access_token",
}

// associated holds each field's associated data: its column name, so that
// a ciphertext moved to another column does not decrypt.
var associated = [...][]byte{
	fieldClientSecret: []byte("zohoauth:client_secret"),
	fieldGrantToken:   []byte("zohoauth:grant_token"),
	fieldRefreshToken: []byte("zohoauth:refresh_token"),
	fieldAccessToken:  []byte("zohoauth:access_token"),
}

func (f field) column() string { return columns[f] }
func (f field) ad() []byte     { return associated[f] }

// ptr returns the address of the field in t.
func (f field) ptr(t *zohoauth.Token) *string {
	switch f {
	case fieldClientSecret:
		return &t.ClientSecret
	case fieldGrantToken:
		return &t.GrantToken
	case fieldRefreshToken:
		return &t.RefreshToken
	}
	return &t.AccessToken
}

// secretOf returns the secret field of a look-up field, if it is one.
func secretOf(f storekit.Field) (field, bool) {
	switch f {
	case storekit.FieldAccessToken:
		return fieldAccessToken, true
	case storekit.FieldGrantToken:
		return fieldGrantToken, true
	case storekit.FieldRefreshToken:
		return fieldRefreshToken, true
	}
	return 0, false
}

// query returns a token whose only find key (Token.FindKeys) is the field
// f with value v and the client id of k: what the inner store is asked.
func query(k storekit.Key, v string) *zohoauth.Token {
	switch k.Field {
	case storekit.FieldUserName:
		return &zohoauth.Token{UserName: v, ClientID: k.ClientID}
	case storekit.FieldAccessToken:
		return &zohoauth.Token{AccessToken: v, ClientID: k.ClientID}
	case storekit.FieldGrantToken:
		return &zohoauth.Token{GrantToken: v, ClientID: k.ClientID}
	case storekit.FieldRefreshToken:
		return &zohoauth.Token{RefreshToken: v, ClientID: k.ClientID}
	}
	return &zohoauth.Token{ID: v}
}
