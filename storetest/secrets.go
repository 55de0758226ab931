package storetest

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// badSecrets are the kinds of value that make a store or its driver fail:
// a secret is wrapped in random text, and a failure must not quote it.
var badSecrets = []struct {
	name string
	bad  string
}{
	{"invalid UTF-8", "\xff\xfe\xfd"},
	{"invalid UTF-8 at the start", "\xffTOP"},
	{"NUL byte", "\x00"},
	{"NUL bytes", "\x00\x00\x00\x00"},
	{"lone surrogate", "\xed\xa0\x80"},
	{"overlong encoding", "\xc0\xaf"},
	{"control characters", "\r\n\x1b]0;title\a"},
	{"quotes", `'"` + "`\\"},
	{"CSV line", "\r\n1,a,b,c,d,e,f,g,h,i\r\n"},
	{"overlong", rand.Text() + strings.Repeat(rand.Text()[:16], 5000)}, // 80 KiB
	{"overlong invalid UTF-8", strings.Repeat("\xff"+rand.Text()[:15], 5000)},
}

// secretValue returns a value of one kind of badSecrets, wrapped in random
// text that no error message holds by chance.
func secretValue(bad string) string {
	return rand.Text() + bad + rand.Text()
}

// leaks returns the first substring of 4 or more bytes of secret that text
// holds, or "".
func leaks(text, secret string) string {
	for i := 0; i+4 <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+4]) {
			return secret[i : i+4]
		}
	}
	return ""
}

// wantNoSecret fails t when the text of err (Error() and %+v) holds 4 or
// more bytes of secret.
func wantNoSecret(t *testing.T, what string, err error, secret string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err)} {
		if frag := leaks(text, secret); frag != "" {
			t.Errorf("%s: the error quotes %q of the secret: %.300q", what, frag, text)
			return
		}
	}
}

// secretFields are the fields of a token that hold secrets.
var secretFields = []struct {
	name string
	of   func(*zohoauth.Token) *string
}{
	{"client_secret", func(t *zohoauth.Token) *string { return &t.ClientSecret }},
	{"refresh_token", func(t *zohoauth.Token) *string { return &t.RefreshToken }},
	{"access_token", func(t *zohoauth.Token) *string { return &t.AccessToken }},
	{"grant_token", func(t *zohoauth.Token) *string { return &t.GrantToken }},
}

// testSecretsNotInErrors saves, batch-saves, finds and deletes tokens that
// carry values a store or its driver may refuse (invalid UTF-8, NUL bytes,
// 80 KiB, …) in each secret field, and checks that no error quotes 4 or
// more bytes of the value. Whether a store takes such a value is its own
// business; what it says when it does not is the kit's.
func testSecretsNotInErrors(t *testing.T, s zohoauth.Store) {
	batch, _ := s.(zohoauth.BatchSaver)
	n := 0
	for _, f := range secretFields {
		for _, b := range badSecrets {
			n++
			what := f.name + " with " + b.name
			secret := secretValue(b.bad)
			tok := &zohoauth.Token{
				UserName:     fmt.Sprintf("secret%d@example.com:%d", n, 9000+n),
				ClientID:     "1000.SECRETS",
				ClientSecret: "client-secret",
				RefreshToken: fmt.Sprintf("1000.refresh.%d", n),
				Expiry:       time.UnixMilli(1795879420612),
			}
			*f.of(tok) = secret
			saveErr := s.SaveToken(ctx(t), tok.Clone())
			wantNoSecret(t, "SaveToken, "+what, saveErr, secret)
			q := &zohoauth.Token{ClientID: tok.ClientID}
			*f.of(q) = secret
			if f.name == "client_secret" {
				q.UserName = tok.UserName
			}
			_, err := s.FindToken(ctx(t), q)
			wantNoSecret(t, "FindToken, "+what, err, secret)
			_, err = s.Tokens(ctx(t))
			wantNoSecret(t, "Tokens, "+what, err, secret)
			if batch != nil {
				other := tok.Clone()
				other.UserName = fmt.Sprintf("batch%d@example.com:%d", n, 9000+n)
				other.RefreshToken += ".batch"
				err := batch.SaveTokens(ctx(t), []*zohoauth.Token{Token(n, "SECRETS"), other})
				wantNoSecret(t, "SaveTokens, "+what, err, secret)
			}
			if saveErr == nil {
				if found, err := s.FindToken(ctx(t), &zohoauth.Token{UserName: tok.UserName, ClientID: tok.ClientID}); err == nil {
					wantNoSecret(t, "DeleteToken, "+what, s.DeleteToken(ctx(t), found.ID), secret)
				}
			}
		}
	}
}
