package storetest

import (
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// testDeriver checks storekit.Deriver: a derived token is served to its
// owner only, by id and by each find key, until the stored token changes;
// Derive refuses a token that differs from the stored one in more than its
// secret values, and a stored token that changed since it was read.
func testDeriver(t *testing.T, s zohoauth.Store) {
	d := s.(storekit.Deriver)
	stored := full(1, "c")
	if err := s.SaveToken(ctx(t), stored); err != nil {
		t.Fatal(err)
	}
	owner, other := storekit.NewOwner(), storekit.NewOwner()
	derived := stored.Clone()
	derived.ClientSecret, derived.RefreshToken = "derived-secret", "derived-refresh"
	derived.AccessToken, derived.GrantToken = "derived-access", "derived-grant"

	notSecret := derived.Clone()
	notSecret.UserName = "someone-else@example.com:9"
	if d.Derive(owner, stored, notSecret) {
		t.Fatal("Derive kept a token that differs from the stored one in its user name")
	}
	if !d.Derive(owner, stored, derived) {
		t.Fatal("Derive refused a token that differs from the stored one in secret values only")
	}
	byKey := func(o *storekit.Owner) []*zohoauth.Token {
		t.Helper()
		var out []*zohoauth.Token
		tok, _, err := d.FindDerivedByID(ctx(t), o, stored.ID)
		if err != nil {
			t.Fatalf("FindDerivedByID: %v", err)
		}
		out = append(out, tok)
		for _, k := range []storekit.Key{
			{Field: storekit.FieldUserName, Value: stored.UserName},
			{Field: storekit.FieldRefreshToken, Value: stored.RefreshToken},
			{Field: storekit.FieldID, Value: stored.ID},
		} {
			tok, _, err := d.FindDerived(ctx(t), o, k)
			if err != nil {
				t.Fatalf("FindDerived(%v): %v", k.Field, err)
			}
			out = append(out, tok)
		}
		return out
	}
	for _, tok := range byKey(owner) {
		if *tok != *derived {
			t.Fatalf("its owner got %+v, want the derived token", tok)
		}
	}
	for _, tok := range byKey(other) {
		if *tok != *stored {
			t.Fatal("another owner got the derived token, want the stored one")
		}
	}
	got, _, _ := d.FindDerivedByID(ctx(t), owner, stored.ID)
	got.AccessToken = "changed by the caller"
	if again, _, _ := d.FindDerivedByID(ctx(t), owner, stored.ID); *again != *derived {
		t.Fatal("a change to a returned derived token reached the store")
	}

	if err := s.SaveToken(ctx(t), &zohoauth.Token{ID: stored.ID, AccessToken: "a-new-access-token"}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range byKey(owner) {
		if tok.AccessToken != "a-new-access-token" || tok.RefreshToken != stored.RefreshToken {
			t.Fatal("after a save, the owner still got the token derived from the token as it was")
		}
	}
	if d.Derive(owner, stored, derived) {
		t.Fatal("Derive kept a token derived from a stored token that changed since")
	}
}
