package zohoauth_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

func secretToken() *zohoauth.Token {
	return &zohoauth.Token{
		ID:           "7",
		UserName:     "ana@example.com:20001",
		ClientID:     "1000.PUBLICCLIENT",
		ClientSecret: "SECRET-client-secret-value",
		GrantToken:   "SECRET-grant-code-value",
		RefreshToken: "SECRET-refresh-token-value",
		AccessToken:  "SECRET-access-token-value",
		Expiry:       time.UnixMilli(1795879420612),
		RedirectURL:  "https://example.com/cb",
		APIDomain:    "https://www.zohoapis.com",
	}
}

func TestNoSecretInFormattedOutput(t *testing.T) {
	tok := secretToken()
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	logger.Info("token", "token", tok, "value", *tok)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("token", "token", tok)

	outputs := map[string]string{"slog": logs.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs[verb+" pointer"] = fmt.Sprintf(verb, tok)
		outputs[verb+" value"] = fmt.Sprintf(verb, *tok)
		outputs[verb+" in a struct"] = fmt.Sprintf(verb, struct{ T *zohoauth.Token }{tok})
		outputs[verb+" in a slice"] = fmt.Sprintf(verb, []zohoauth.Token{*tok})
	}
	outputs["Sprint"] = fmt.Sprint(tok, *tok)
	outputs["Println"] = fmt.Sprintln(tok, *tok)
	for name, out := range outputs {
		if strings.Contains(out, "SECRET") {
			t.Errorf("%s shows a secret: %s", name, out)
		}
		if !strings.Contains(out, "1000.PUBLICCLIENT") && !strings.Contains(name, "%x") && !strings.Contains(name, "%d") && !strings.Contains(name, "%q") {
			t.Errorf("%s does not show the client id: %s", name, out)
		}
	}
	if !strings.Contains(fmt.Sprint(tok), "refresh=sha256:"+zohoauth.Fingerprint(tok.RefreshToken)) {
		t.Errorf("String does not show the refresh token's fingerprint: %s", tok)
	}
}

func TestFingerprint(t *testing.T) {
	if zohoauth.Fingerprint("") != "" {
		t.Fatal("fingerprint of an empty secret is not empty")
	}
	a, b := zohoauth.Fingerprint("a"), zohoauth.Fingerprint("b")
	if len(a) != 8 || a == b {
		t.Fatalf("fingerprints %q and %q", a, b)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		tok  zohoauth.Token
		code string
		err  error
	}{
		{"nothing", zohoauth.Token{ClientID: "c", ClientSecret: "s"}, zohoauth.CodeMandatoryValue, zohoauth.ErrInvalidToken},
		{"grant without client id", zohoauth.Token{GrantToken: "g", ClientSecret: "s"}, zohoauth.CodeTokenError, zohoauth.ErrInvalidToken},
		{"refresh without secret", zohoauth.Token{RefreshToken: "r", ClientID: "c"}, zohoauth.CodeTokenError, zohoauth.ErrInvalidToken},
		{"bad id", zohoauth.Token{ID: "x1"}, zohoauth.CodeTokenError, zohoauth.ErrInvalidID},
		{"grant", zohoauth.Token{GrantToken: "g", ClientID: "c", ClientSecret: "s"}, "", nil},
		{"refresh", zohoauth.Token{RefreshToken: "r", ClientID: "c", ClientSecret: "s"}, "", nil},
		{"access only", zohoauth.Token{AccessToken: "a"}, "", nil},
		{"id only", zohoauth.Token{ID: "12"}, "", nil},
		{"user only", zohoauth.Token{UserName: "a@b.c:1"}, "", nil},
	}
	for _, c := range cases {
		err := c.tok.Validate()
		if c.err == nil {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, c.err) || !errors.Is(err, &zohoauth.Error{Code: c.code}) {
			t.Errorf("%s: %v, want code %q wrapping %v", c.name, err, c.code, c.err)
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: error shows a secret", c.name)
		}
	}
}

func TestMerge(t *testing.T) {
	stored := secretToken()
	partial := &zohoauth.Token{UserName: stored.UserName, AccessToken: "new"}
	partial.Merge(stored)
	want := stored.Clone()
	want.AccessToken = "new"
	if *partial != *want {
		t.Fatalf("Merge = %v, want %v", partial, want)
	}
	half := &zohoauth.Token{UserName: stored.UserName, AccessToken: "new"}
	half.Merge(nil)
	if *half != (zohoauth.Token{UserName: stored.UserName, AccessToken: "new"}) {
		t.Fatalf("Merge(nil) changed the token: %v", half)
	}
}

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: "Exception in save_token - DBStore", Err: zohoauth.ErrNotFound})
	if !errors.Is(err, zohoauth.ErrNotFound) || !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore}) ||
		!errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: "Exception in save_token - DBStore"}) {
		t.Fatalf("errors.Is does not see through %v", err)
	}
	if errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: "other"}) || errors.Is(err, &zohoauth.Error{}) {
		t.Fatal("errors.Is matches another message or an empty code")
	}
	want := "wrapped: TOKEN_STORE - Exception in save_token - DBStore: token not found"
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err, want)
	}
}

// TestErrorTextLeavesOutEmptyParts checks every combination of empty parts:
// no separator before or after an empty one.
func TestErrorTextLeavesOutEmptyParts(t *testing.T) {
	cause := errors.New("cause")
	for _, c := range []struct {
		e    zohoauth.Error
		want string
	}{
		{zohoauth.Error{Code: "C", Message: "m", Detail: "d", Err: cause}, "C - m (d): cause"},
		{zohoauth.Error{Message: "m", Err: cause}, "m: cause"},
		{zohoauth.Error{Message: "m"}, "m"},
		{zohoauth.Error{Err: cause}, "cause"},
		{zohoauth.Error{Code: "C", Err: cause}, "C: cause"},
		{zohoauth.Error{}, ""},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%#v.Error() = %q, want %q", c.e, got, c.want)
		}
	}
}
