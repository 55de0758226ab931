package auth

// Tests of unexported helpers, written for mutants of scripts/mutation.sh
// that lived: each names the line it guards.

import (
	"testing"

	"github.com/zohoauth/zohoauth"
)

// TestSameOwner kills the mutants of auth.go:360 and 363 (sameOwner's
// client and refresh-token comparisons, each side).
func TestSameOwner(t *testing.T) {
	tests := []struct {
		name string
		a, b zohoauth.Token
		want bool
	}{
		{"same user and client", zohoauth.Token{UserName: "u", ClientID: "c"}, zohoauth.Token{UserName: "u", ClientID: "c"}, true},
		{"other user", zohoauth.Token{UserName: "u"}, zohoauth.Token{UserName: "v"}, false},
		{"other client", zohoauth.Token{UserName: "u", ClientID: "c"}, zohoauth.Token{UserName: "u", ClientID: "d"}, false},
		{"client on one side only", zohoauth.Token{UserName: "u", ClientID: "c"}, zohoauth.Token{UserName: "u"}, true},
		{"client on the other side only", zohoauth.Token{UserName: "u"}, zohoauth.Token{UserName: "u", ClientID: "c"}, true},
		{"no user, other refresh token", zohoauth.Token{RefreshToken: "r1"}, zohoauth.Token{RefreshToken: "r2"}, false},
		{"no user, same refresh token", zohoauth.Token{RefreshToken: "r1"}, zohoauth.Token{RefreshToken: "r1"}, true},
		{"user on one side, other refresh token", zohoauth.Token{UserName: "u", RefreshToken: "r1"}, zohoauth.Token{RefreshToken: "r2"}, false},
		{"refresh token on one side only", zohoauth.Token{RefreshToken: "r1"}, zohoauth.Token{}, true},
		{"refresh token on the other side only", zohoauth.Token{}, zohoauth.Token{RefreshToken: "r1"}, true},
		{"same user, new refresh token", zohoauth.Token{UserName: "u", RefreshToken: "r1"}, zohoauth.Token{UserName: "u", RefreshToken: "r2"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameOwner(&tt.a, &tt.b); got != tt.want {
				t.Errorf("sameOwner = %v, want %v", got, tt.want)
			}
		})
	}
}
