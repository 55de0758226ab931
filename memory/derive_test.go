package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storekit"
)

// TestDerivedDroppedOnEveryChange derives a token from the stored one,
// then changes the stored token in each way the store offers: a find
// afterwards never gives the derived token, which belonged to the token as
// it was.
func TestDerivedDroppedOnEveryChange(t *testing.T) {
	ctx := t.Context()
	changes := map[string]func(s *memory.Store, stored *zohoauth.Token) error{
		"save": func(s *memory.Store, stored *zohoauth.Token) error {
			return s.SaveToken(ctx, &zohoauth.Token{ID: stored.ID, AccessToken: "at-2"})
		},
		"save the same values": func(s *memory.Store, stored *zohoauth.Token) error {
			return s.SaveToken(ctx, stored.Clone())
		},
		"batch save": func(s *memory.Store, stored *zohoauth.Token) error {
			return s.SaveTokens(ctx, []*zohoauth.Token{{ID: stored.ID, AccessToken: "at-2"}})
		},
		"swap": func(s *memory.Store, stored *zohoauth.Token) error {
			return s.SwapToken(ctx, stored, &zohoauth.Token{AccessToken: "at-2", RefreshToken: stored.RefreshToken})
		},
		"delete and save again": func(s *memory.Store, stored *zohoauth.Token) error {
			if err := s.DeleteToken(ctx, stored.ID); err != nil {
				return err
			}
			return s.SaveToken(ctx, stored.Clone())
		},
		"delete all and save again": func(s *memory.Store, stored *zohoauth.Token) error {
			if err := s.DeleteTokens(ctx); err != nil {
				return err
			}
			return s.SaveToken(ctx, stored.Clone())
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			s := memory.New()
			stored := &zohoauth.Token{UserName: "u@x.com:1", ClientID: "c", RefreshToken: "rt-stored", AccessToken: "at-stored"}
			if err := s.SaveToken(ctx, stored); err != nil {
				t.Fatal(err)
			}
			owner := storekit.NewOwner()
			d := stored.Clone()
			d.RefreshToken, d.AccessToken = "rt-derived", "at-derived"
			if !s.Derive(owner, stored, d) {
				t.Fatal("Derive refused")
			}
			if got, derived := find(ctx, t, s, owner, stored); !derived || *got != *d {
				t.Fatalf("after Derive: %+v, derived %v", got, derived)
			}
			if err := change(s, stored.Clone()); err != nil {
				t.Fatal(err)
			}
			if got, derived := find(ctx, t, s, owner, stored); derived || got.RefreshToken != stored.RefreshToken {
				t.Fatalf("after the change: %+v, derived %v; want the stored token", got, derived)
			}
		})
	}
}

// find finds stored's id by id and by user name, checking both agree.
func find(ctx context.Context, t *testing.T, s *memory.Store, owner *storekit.Owner, stored *zohoauth.Token) (*zohoauth.Token, bool) {
	t.Helper()
	byID, d1, err := s.FindDerivedByID(ctx, owner, stored.ID)
	if err != nil {
		t.Fatal(err)
	}
	byUser, d2, err := s.FindDerived(ctx, owner, storekit.Key{Field: storekit.FieldUserName, Value: stored.UserName})
	if err != nil {
		t.Fatal(err)
	}
	if d1 != d2 || *byID != *byUser {
		t.Fatalf("by id %+v (%v), by user %+v (%v)", byID, d1, byUser, d2)
	}
	return byID, d1
}

// TestFindDerivedErrors gives FindDerived and FindDerivedByID the errors
// of FindToken and FindTokenByID.
func TestFindDerivedErrors(t *testing.T) {
	s := memory.New()
	owner := storekit.NewOwner()
	_, _, err := s.FindDerived(t.Context(), owner, storekit.Key{Field: storekit.FieldRefreshToken, Value: "none"})
	_, want := s.FindToken(t.Context(), &zohoauth.Token{RefreshToken: "none"})
	if !errors.Is(err, zohoauth.ErrNotFound) || err.Error() != want.Error() {
		t.Fatalf("FindDerived of nothing: %v, want %v", err, want)
	}
	_, _, err = s.FindDerivedByID(t.Context(), owner, "7")
	_, want = s.FindTokenByID(t.Context(), "7")
	if !errors.Is(err, zohoauth.ErrNotFound) || err.Error() != want.Error() {
		t.Fatalf("FindDerivedByID of nothing: %v, want %v", err, want)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := s.FindDerived(ctx, owner, storekit.Key{Field: storekit.FieldID, Value: "1"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("FindDerived with a cancelled context: %v", err)
	}
	if _, _, err := s.FindDerivedByID(ctx, owner, "1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("FindDerivedByID with a cancelled context: %v", err)
	}
}
