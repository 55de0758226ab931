package storekit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// derivedTable returns a table of one token (id 1) and that token as
// stored.
func derivedTable(t *testing.T) (*storekit.Table, *zohoauth.Token) {
	t.Helper()
	tb := storekit.NewTable()
	tok := &zohoauth.Token{UserName: "u@x.com:1", ClientID: "c", ClientSecret: "cs-sealed",
		RefreshToken: "rt-sealed", AccessToken: "at-sealed", Expiry: time.UnixMilli(1795879420612)}
	if err := tb.Save(tok, "not found"); err != nil {
		t.Fatal(err)
	}
	return tb, tok
}

// opened returns stored with other secret values: what a wrapper derives.
func opened(stored *zohoauth.Token) *zohoauth.Token {
	d := stored.Clone()
	d.ClientSecret, d.RefreshToken, d.AccessToken = "cs", "rt", "at"
	return d
}

// findBoth returns what a find by id and a find by refresh token give
// owner, checking they agree.
func findBoth(t *testing.T, tb *storekit.Table, owner *storekit.Owner, stored *zohoauth.Token) (*zohoauth.Token, bool) {
	t.Helper()
	byID, derivedByID := tb.ByIDDerived(owner, stored.ID)
	byKey, derivedByKey, err := tb.LookupDerived(owner, storekit.Key{Field: storekit.FieldRefreshToken, Value: stored.RefreshToken, ClientID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if derivedByID != derivedByKey || *byID != *byKey {
		t.Fatalf("by id %+v (derived %v), by refresh token %+v (derived %v)", byID, derivedByID, byKey, derivedByKey)
	}
	return byID, derivedByID
}

func TestDeriveServesTheOwnerOnly(t *testing.T) {
	tb, stored := derivedTable(t)
	owner, other := storekit.NewOwner(), storekit.NewOwner()
	if got, derived := findBoth(t, tb, owner, stored); derived || *got != *stored {
		t.Fatalf("before Derive: %+v, derived %v; want the stored token", got, derived)
	}
	d := opened(stored)
	if !tb.Derive(owner, stored, d) {
		t.Fatal("Derive of the token as stored refused")
	}
	if got, derived := findBoth(t, tb, owner, stored); !derived || *got != *d {
		t.Fatalf("after Derive: %+v, derived %v; want the derived token", got, derived)
	}
	for _, o := range []*storekit.Owner{other, nil} {
		if got, derived := findBoth(t, tb, o, stored); derived || *got != *stored {
			t.Fatalf("owner %p got %+v, derived %v; want the stored token", o, got, derived)
		}
	}
	if tb.Derive(nil, stored, d) {
		t.Fatal("Derive without an owner accepted")
	}
	// Another owner's derivation takes the place of the first.
	d2 := opened(stored)
	d2.AccessToken = "at2"
	if !tb.Derive(other, stored, d2) {
		t.Fatal("Derive by another owner refused")
	}
	if got, derived := findBoth(t, tb, other, stored); !derived || *got != *d2 {
		t.Fatalf("other owner after its Derive: %+v, %v", got, derived)
	}
	if _, derived := findBoth(t, tb, owner, stored); derived {
		t.Fatal("the first owner still served after another owner derived")
	}
	// The table's own token is what Find and ByID give, whatever is derived.
	if got := tb.ByID(stored.ID); *got != *stored {
		t.Fatalf("ByID after Derive = %+v", got)
	}
}

func TestDeriveGoesWithTheStoredToken(t *testing.T) {
	tb, stored := derivedTable(t)
	owner := storekit.NewOwner()
	if !tb.Derive(owner, stored, opened(stored)) {
		t.Fatal("Derive refused")
	}
	// A save that changes the token drops what was derived from it, even a
	// save of the same values (a new row).
	upd := &zohoauth.Token{ID: stored.ID, AccessToken: "at-sealed-2"}
	if err := tb.Save(upd, "not found"); err != nil {
		t.Fatal(err)
	}
	if got, derived := tb.ByIDDerived(owner, stored.ID); derived || *got != *upd {
		t.Fatalf("after a save: %+v, derived %v; want the saved token", got, derived)
	}
	// A copy of the token as it was is refused: the derived values would
	// be served for the changed token.
	if tb.Derive(owner, stored, opened(stored)) {
		t.Fatal("Derive from a token no longer stored accepted")
	}
	if _, derived := tb.ByIDDerived(owner, stored.ID); derived {
		t.Fatal("a stale derivation is served")
	}
	// A derived token that differs in a value that is not secret is refused.
	for _, change := range []func(*zohoauth.Token){
		func(d *zohoauth.Token) { d.UserName = "v@x.com:2" },
		func(d *zohoauth.Token) { d.ID = "2" },
		func(d *zohoauth.Token) { d.Expiry = d.Expiry.Add(time.Millisecond) },
	} {
		d := opened(upd)
		change(d)
		if tb.Derive(owner, upd, d) {
			t.Fatalf("Derive of %+v from %+v accepted", d, upd)
		}
	}
	if !tb.Derive(owner, upd, opened(upd)) {
		t.Fatal("Derive of the saved token refused")
	}
	if !tb.Delete(upd.ID) {
		t.Fatal("Delete")
	}
	if got, _ := tb.ByIDDerived(owner, upd.ID); got != nil {
		t.Fatalf("after Delete: %+v", got)
	}
	_, _, err := tb.LookupDerived(owner, storekit.Key{Field: storekit.FieldRefreshToken, Value: upd.RefreshToken})
	if !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("LookupDerived after Delete: %v", err)
	}
}

// TestLookupDerivedByEmail finds through the e-mail of a user name, as
// Find does, and reports an ambiguous e-mail.
func TestLookupDerivedByEmail(t *testing.T) {
	tb, stored := derivedTable(t)
	owner := storekit.NewOwner()
	d := opened(stored)
	tb.Derive(owner, stored, d)
	got, derived, err := tb.LookupDerived(owner, storekit.Key{Field: storekit.FieldUserName, Value: "u@x.com"})
	if err != nil || !derived || *got != *d {
		t.Fatalf("by e-mail: %+v, %v, %v", got, derived, err)
	}
	if err := tb.Save(&zohoauth.Token{UserName: "u@x.com:2", ClientID: "c", RefreshToken: "rt2"}, "not found"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tb.LookupDerived(owner, storekit.Key{Field: storekit.FieldUserName, Value: "u@x.com"}); !errors.Is(err, storekit.ErrAmbiguous) {
		t.Fatalf("an e-mail of two users: %v, want ErrAmbiguous", err)
	}
}

// TestLookupByDerived finds a token by a value of the token derived from
// it: for its owner only, while the stored token is unchanged, when its
// client matches and when no other token shares its stored value.
func TestLookupByDerived(t *testing.T) {
	tb, stored := derivedTable(t)
	owner := storekit.NewOwner()
	d := opened(stored)
	byRefresh := storekit.Key{Field: storekit.FieldRefreshToken, Value: d.RefreshToken, ClientID: "c"}
	if got, ok := tb.LookupByDerived(owner, byRefresh); ok || got != nil {
		t.Fatalf("before Derive: %+v, %v", got, ok)
	}
	tb.Derive(owner, stored, d)
	for _, k := range []storekit.Key{
		byRefresh,
		{Field: storekit.FieldRefreshToken, Value: d.RefreshToken}, // no client: any
		{Field: storekit.FieldAccessToken, Value: d.AccessToken, ClientID: "c"},
	} {
		if got, ok := tb.LookupByDerived(owner, k); !ok || *got != *d {
			t.Fatalf("%+v: %+v, %v; want the derived token", k, got, ok)
		}
	}
	for name, k := range map[string]storekit.Key{
		"another client":     {Field: storekit.FieldRefreshToken, Value: d.RefreshToken, ClientID: "c2"},
		"the stored value":   {Field: storekit.FieldRefreshToken, Value: stored.RefreshToken, ClientID: "c"},
		"another field":      {Field: storekit.FieldAccessToken, Value: d.RefreshToken, ClientID: "c"},
		"a field not looked": {Field: storekit.FieldUserName, Value: d.UserName},
		"the grant token":    {Field: storekit.FieldGrantToken, Value: ""},
	} {
		if got, ok := tb.LookupByDerived(owner, k); ok || got != nil {
			t.Fatalf("%s: %+v, %v; want nothing", name, got, ok)
		}
	}
	if _, ok := tb.LookupByDerived(storekit.NewOwner(), byRefresh); ok {
		t.Fatal("another owner found the derived token")
	}
	if _, ok := tb.LookupByDerived(nil, byRefresh); ok {
		t.Fatal("no owner found the derived token")
	}

	// A stored value another token shares: the look-up by stored value
	// decides between them, not this one.
	twin := &zohoauth.Token{UserName: "w@x.com:2", ClientID: "c2", RefreshToken: stored.RefreshToken}
	if err := tb.Save(twin, "not found"); err != nil {
		t.Fatal(err)
	}
	if _, ok := tb.LookupByDerived(owner, byRefresh); ok {
		t.Fatal("found by a derived value whose stored value two tokens share")
	}
	if !tb.Delete(twin.ID) {
		t.Fatal("Delete")
	}
	if _, ok := tb.LookupByDerived(owner, byRefresh); !ok {
		t.Fatal("not found once the stored value is not shared")
	}

	// A new derivation replaces the values of the old one.
	d2 := opened(stored)
	d2.RefreshToken = "rt2"
	tb.Derive(owner, stored, d2)
	if _, ok := tb.LookupByDerived(owner, byRefresh); ok {
		t.Fatal("found by the value of a derivation replaced")
	}
	byRefresh.Value = "rt2"
	if got, ok := tb.LookupByDerived(owner, byRefresh); !ok || *got != *d2 {
		t.Fatalf("by the new derived value: %+v, %v", got, ok)
	}

	// A save drops the token's derived values with it.
	if err := tb.Save(&zohoauth.Token{ID: stored.ID, AccessToken: "at-sealed-2"}, "not found"); err != nil {
		t.Fatal(err)
	}
	if got, ok := tb.LookupByDerived(owner, byRefresh); ok || got != nil {
		t.Fatalf("after a save: %+v, %v", got, ok)
	}
}
