package filestore_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
)

// TestSwapTokenSeesOtherWriters checks that SwapToken compares against the
// file as it is, not the store's cache: a change by another store of the
// file (another process) and one by a program that does not use this
// package (an SDK), inside the recheck interval, both make it ErrStale and
// leave the file as the other writer left it.
func TestSwapTokenSeesOtherWriters(t *testing.T) {
	s := newStore(t, filestore.WithRecheck(time.Hour))
	other, err := filestore.New(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	saved := mustSave(t, s, childToken(1))
	read, err := s.FindTokenByID(t.Context(), saved.ID) // warms s's cache
	if err != nil {
		t.Fatal(err)
	}

	mustSave(t, other, &zohoauth.Token{ID: saved.ID, AccessToken: "1000.by.other"})
	err = s.SwapToken(t.Context(), read, &zohoauth.Token{AccessToken: "1000.late"})
	if !errors.Is(err, zohoauth.ErrStale) {
		t.Fatalf("SwapToken after another store's save = %v, want ErrStale", err)
	}
	read, err = s.FindTokenByID(t.Context(), saved.ID)
	if err != nil || read.AccessToken != "1000.by.other" {
		t.Fatalf("after the refused swap: %v, %v", read, err)
	}

	// An SDK rewrites the file in place, unannounced.
	sdk := *read
	sdk.AccessToken, sdk.Expiry = "1000.by.sdk", read.Expiry.Add(time.Hour)
	data, err := filestore.Marshal([]*zohoauth.Token{&sdk})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(), data, 0o600); err != nil {
		t.Fatal(err)
	}
	err = s.SwapToken(t.Context(), read, &zohoauth.Token{AccessToken: "1000.late"})
	if !errors.Is(err, zohoauth.ErrStale) {
		t.Fatalf("SwapToken after an SDK's write = %v, want ErrStale", err)
	}
	if got, _ := os.ReadFile(s.Path()); string(got) != string(data) {
		t.Fatal("a refused swap rewrote the file")
	}
	// From the current token the swap succeeds, keeping what it omits.
	next := &zohoauth.Token{AccessToken: "1000.swapped", Expiry: sdk.Expiry.Add(time.Hour)}
	if err := s.SwapToken(t.Context(), &sdk, next); err != nil {
		t.Fatal(err)
	}
	if next.ID != saved.ID || next.RefreshToken != saved.RefreshToken || next.UserName != saved.UserName {
		t.Fatalf("swapped token = %+v", next)
	}
}

// TestSwapTokenErrors checks the refusals: each saves nothing, changes
// neither token passed, and names no secret.
func TestSwapTokenErrors(t *testing.T) {
	s := newStore(t)
	saved := mustSave(t, s, childToken(1))
	mustSave(t, s, childToken(2))
	before, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	stale := saved.Clone()
	stale.Expiry = stale.Expiry.Add(time.Millisecond) // same access token, another expiry
	for _, c := range []struct {
		name     string
		old, new *zohoauth.Token
		want     error
	}{
		{"stale expiry", stale, &zohoauth.Token{AccessToken: "1000.new.secret"}, zohoauth.ErrStale},
		{"unknown id", &zohoauth.Token{ID: "3", AccessToken: saved.AccessToken}, &zohoauth.Token{AccessToken: "1000.new.secret"}, zohoauth.ErrNotFound},
		{"invalid id", &zohoauth.Token{ID: "x", AccessToken: saved.AccessToken}, &zohoauth.Token{AccessToken: "1000.new.secret"}, zohoauth.ErrNotFound},
		{"nil new", saved, nil, zohoauth.ErrNothingToSave},
		{"nil old", nil, &zohoauth.Token{AccessToken: "1000.new.secret"}, zohoauth.ErrNothingToSave},
		// The new token would take the other token's user name.
		{"conflict", saved, &zohoauth.Token{UserName: childToken(2).UserName, AccessToken: "1000.new.secret"}, zohoauth.ErrConflict},
	} {
		t.Run(c.name, func(t *testing.T) {
			var keep *zohoauth.Token
			if c.new != nil {
				keep = c.new.Clone()
			}
			err := s.SwapToken(t.Context(), c.old, c.new)
			if !errors.Is(err, c.want) {
				t.Fatalf("SwapToken = %v, want %v", err, c.want)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), saved.RefreshToken) || strings.Contains(err.Error(), saved.AccessToken) {
				t.Fatalf("error shows a secret: %v", err)
			}
			if c.new != nil && *c.new != *keep {
				t.Fatalf("a refused swap changed the token passed: %+v", c.new)
			}
			if after, _ := os.ReadFile(s.Path()); string(after) != string(before) {
				t.Fatal("a refused swap changed the file")
			}
		})
	}
}
