package zohoauth_test

// Tests written for mutants of scripts/mutation.sh that lived: each names
// the line it guards.

import (
	"bytes"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// TestUntrustedAPIDomainDetailCut kills the mutant len(s) >= 100 of
// datacenter.go:219: the error quotes a domain of up to 100 bytes whole,
// and cuts a longer one to 100 bytes and "…".
func TestUntrustedAPIDomainDetailCut(t *testing.T) {
	at100 := "https://" + strings.Repeat("e", 100-len("https://"))
	tests := []struct {
		in, want string
	}{
		{at100, strconv.Quote(at100)},
		{at100 + "x", strconv.Quote(at100 + "…")},
	}
	for _, tt := range tests {
		_, err := zohoauth.TrustedAPIDomain(tt.in)
		var e *zohoauth.Error
		if !errors.As(err, &e) || e.Detail != tt.want {
			t.Errorf("TrustedAPIDomain(%d bytes) = %v, want the detail %s", len(tt.in), err, tt.want)
		}
	}
}

// TestLogValueAPIDomainAndExpiry kills the mutant of token.go:192: a
// token's log record names its API domain and expiry when it has them, and
// only then.
func TestLogValueAPIDomainAndExpiry(t *testing.T) {
	tests := []struct {
		name    string
		tok     zohoauth.Token
		present []string
		absent  []string
	}{
		{"with both", zohoauth.Token{ID: "1", APIDomain: "https://www.zohoapis.eu", Expiry: time.Unix(1e9, 0)},
			[]string{`"api_domain":"https://www.zohoapis.eu"`, `"expiry":`}, nil},
		{"with neither", zohoauth.Token{ID: "1"}, nil, []string{"api_domain", "expiry"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			slog.New(slog.NewJSONHandler(&logs, nil)).Info("token", "token", tt.tok)
			for _, s := range tt.present {
				if !strings.Contains(logs.String(), s) {
					t.Errorf("log %s lacks %s", logs.String(), s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(logs.String(), s) {
					t.Errorf("log %s has %s", logs.String(), s)
				}
			}
		})
	}
}
