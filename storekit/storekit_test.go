package storekit_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

func TestExpiryRoundTrip(t *testing.T) {
	for _, s := range []string{"", "0", "1795879420612", "-5", "253402300799999"} {
		e, err := storekit.ParseExpiry(s)
		if err != nil {
			t.Fatalf("ParseExpiry(%q): %v", s, err)
		}
		if got := storekit.FormatExpiry(e); got != s && !(s == "0" && got == "") {
			t.Errorf("FormatExpiry(ParseExpiry(%q)) = %q", s, got)
		}
	}
	for _, s := range []string{"abc", "1.5", "1e3", " 1", "99999999999999999999"} {
		_, err := storekit.ParseExpiry(s)
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
		e, err := storekit.ParseExpiry(s)
		if err != nil {
			return
		}
		back, err := storekit.ParseExpiry(storekit.FormatExpiry(e))
		if err != nil || !back.Equal(e) {
			t.Fatalf("%q parsed to %v, which does not round-trip: %v %v", s, e, back, err)
		}
	})
}

func TestIDs(t *testing.T) {
	valid := []string{"1", "10", "0000000001", "4294967295"}
	invalid := []string{"", "a", "-1", "1.0", "12345678901", " 1", "１"}
	for _, id := range valid {
		if !storekit.ValidID(id) {
			t.Errorf("ValidID(%q) = false", id)
		}
	}
	for _, id := range invalid {
		if storekit.ValidID(id) {
			t.Errorf("ValidID(%q) = true", id)
		}
	}
	cmp := []struct {
		a, b string
		want int
	}{{"9", "10", -1}, {"10", "9", 1}, {"010", "10", 0}, {"2", "x", -1}, {"x", "y", -1}}
	for _, c := range cmp {
		if got := storekit.CompareIDs(c.a, c.b); got != c.want {
			t.Errorf("CompareIDs(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	if storekit.NextID(9) != "10" {
		t.Errorf("NextID(9) = %q", storekit.NextID(9))
	}
}

func TestFindKeys(t *testing.T) {
	k := func(f storekit.Field, v, c string) storekit.Key { return storekit.Key{Field: f, Value: v, ClientID: c} }
	cases := []struct {
		name string
		tok  zohoauth.Token
		want []storekit.Key
	}{
		{"user wins", zohoauth.Token{UserName: "u", RefreshToken: "r", ClientID: "c"}, []storekit.Key{k(storekit.FieldUserName, "u", "c")}},
		{"access only", zohoauth.Token{AccessToken: "a"}, []storekit.Key{k(storekit.FieldAccessToken, "a", "")}},
		{"grant then refresh", zohoauth.Token{GrantToken: "g", RefreshToken: "r", AccessToken: "a", ClientID: "c", ClientSecret: "s"},
			[]storekit.Key{k(storekit.FieldGrantToken, "g", "c"), k(storekit.FieldRefreshToken, "r", "c")}},
		{"id", zohoauth.Token{ID: "3", ClientID: "c"}, []storekit.Key{k(storekit.FieldID, "3", "")}},
		{"access with client", zohoauth.Token{AccessToken: "a", ClientID: "c"}, []storekit.Key{k(storekit.FieldAccessToken, "a", "c")}},
		{"nothing", zohoauth.Token{ClientID: "c"}, nil},
	}
	for _, c := range cases {
		got := storekit.FindKeys(nil, &c.tok)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: FindKeys = %v, want %v", c.name, got, c.want)
		}
	}
	if got := storekit.SaveKeys(nil, &zohoauth.Token{ID: "3", UserName: "u"}); len(got) != 1 || got[0].Field != storekit.FieldID {
		t.Errorf("SaveKeys with an id = %v", got)
	}
}

func TestStoreError(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", storekit.StoreError(storekit.MsgSaveTokenDB, zohoauth.ErrNotFound))
	if !errors.Is(err, zohoauth.ErrNotFound) || !errors.Is(err, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: storekit.MsgSaveTokenDB}) {
		t.Fatalf("StoreError gives %v, want a TOKEN_STORE error with Zoho's text wrapping the cause", err)
	}
}

// TestMandatoryTextMatchesRoot checks that the root package, which cannot
// import this one, gives a token without keys the text of these constants.
func TestMandatoryTextMatchesRoot(t *testing.T) {
	var ze *zohoauth.Error
	if err := (&zohoauth.Token{}).Validate(); !errors.As(err, &ze) || ze.Message != storekit.MsgMandatoryKey+storekit.MsgMandatoryKeysOAuth {
		t.Fatalf("Validate of an empty token: %v, want the message %q", err, storekit.MsgMandatoryKey+storekit.MsgMandatoryKeysOAuth)
	}
}

func TestLockName(t *testing.T) {
	if storekit.LockName("12") != "zohoauth:token:12" || storekit.LockName("1") == storekit.LockName("12") {
		t.Fatalf("LockName(12) = %q", storekit.LockName("12"))
	}
}
