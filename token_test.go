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

func TestExpiryRoundTrip(t *testing.T) {
	for _, s := range []string{"", "0", "1795879420612", "-5", "253402300799999"} {
		e, err := zohoauth.ParseExpiry(s)
		if err != nil {
			t.Fatalf("ParseExpiry(%q): %v", s, err)
		}
		if got := zohoauth.FormatExpiry(e); got != s && !(s == "0" && got == "") {
			t.Errorf("FormatExpiry(ParseExpiry(%q)) = %q", s, got)
		}
	}
	for _, s := range []string{"abc", "1.5", "1e3", " 1", "99999999999999999999"} {
		_, err := zohoauth.ParseExpiry(s)
		var ze *zohoauth.Error
		if !errors.As(err, &ze) || ze.Code != zohoauth.CodeTokenError {
			t.Errorf("ParseExpiry(%q) = %v, want a TOKEN ERROR", s, err)
		}
	}
}

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"", "0", "1795879420612", "-1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := zohoauth.ParseExpiry(s)
		if err != nil {
			return
		}
		back, err := zohoauth.ParseExpiry(zohoauth.FormatExpiry(e))
		if err != nil || !back.Equal(e) {
			t.Fatalf("%q parsed to %v, which does not round-trip: %v %v", s, e, back, err)
		}
	})
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

func TestIDs(t *testing.T) {
	valid := []string{"1", "10", "0000000001", "4294967295"}
	invalid := []string{"", "a", "-1", "1.0", "12345678901", " 1", "１"}
	for _, id := range valid {
		if !zohoauth.ValidID(id) {
			t.Errorf("ValidID(%q) = false", id)
		}
	}
	for _, id := range invalid {
		if zohoauth.ValidID(id) {
			t.Errorf("ValidID(%q) = true", id)
		}
	}
	cmp := []struct {
		a, b string
		want int
	}{{"9", "10", -1}, {"10", "9", 1}, {"010", "10", 0}, {"2", "x", -1}, {"x", "y", -1}}
	for _, c := range cmp {
		if got := zohoauth.CompareIDs(c.a, c.b); got != c.want {
			t.Errorf("CompareIDs(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	if zohoauth.NextID(9) != "10" {
		t.Errorf("NextID(9) = %q", zohoauth.NextID(9))
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

func TestFindKeys(t *testing.T) {
	k := func(f zohoauth.Field, v, c string) zohoauth.Key { return zohoauth.Key{Field: f, Value: v, ClientID: c} }
	cases := []struct {
		name string
		tok  zohoauth.Token
		want []zohoauth.Key
	}{
		{"user wins", zohoauth.Token{UserName: "u", RefreshToken: "r", ClientID: "c"}, []zohoauth.Key{k(zohoauth.FieldUserName, "u", "c")}},
		{"access only", zohoauth.Token{AccessToken: "a"}, []zohoauth.Key{k(zohoauth.FieldAccessToken, "a", "")}},
		{"grant then refresh", zohoauth.Token{GrantToken: "g", RefreshToken: "r", AccessToken: "a", ClientID: "c", ClientSecret: "s"},
			[]zohoauth.Key{k(zohoauth.FieldGrantToken, "g", "c"), k(zohoauth.FieldRefreshToken, "r", "c")}},
		{"id", zohoauth.Token{ID: "3", ClientID: "c"}, []zohoauth.Key{k(zohoauth.FieldID, "3", "")}},
		{"access with client", zohoauth.Token{AccessToken: "a", ClientID: "c"}, []zohoauth.Key{k(zohoauth.FieldAccessToken, "a", "c")}},
		{"nothing", zohoauth.Token{ClientID: "c"}, nil},
	}
	for _, c := range cases {
		got := c.tok.FindKeys(nil)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: FindKeys = %v, want %v", c.name, got, c.want)
		}
	}
	if got := (&zohoauth.Token{ID: "3", UserName: "u"}).SaveKeys(nil); len(got) != 1 || got[0].Field != zohoauth.FieldID {
		t.Errorf("SaveKeys with an id = %v", got)
	}
}

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", zohoauth.StoreError(zohoauth.MsgSaveTokenDB, zohoauth.ErrNotFound))
	if !errors.Is(err, zohoauth.ErrNotFound) || !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore}) ||
		!errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: zohoauth.MsgSaveTokenDB}) {
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
