package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storeurl"
)

// faultyTarget is a target store that stores something other than what it
// was given, without an error: the faults migrate's verification exists to
// catch.
type faultyTarget struct {
	storeurl.Store
	fault func(t *zohoauth.Token) (keep bool)
}

func (f *faultyTarget) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	c := t.Clone()
	if !f.fault(c) {
		return nil // dropped, and reported saved
	}
	if err := f.Store.SaveToken(ctx, c); err != nil {
		return err
	}
	t.ID = c.ID
	return nil
}

// pagedFaultyTarget is a faultyTarget that keeps the Pager of the store
// behind it, so that the verification reads the target a page at a time.
type pagedFaultyTarget struct{ *faultyTarget }

func (p pagedFaultyTarget) TokensAfter(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	return p.Store.(zohoauth.Pager).TokensAfter(ctx, after, limit)
}

// TestMigrateVerificationCatchesBadTarget migrates into targets that drop a
// token, change one field of one token, or swap the ids of two tokens: each
// migrate must fail naming the tokens (and the fields) that differ, and
// --delete-source must leave the source as it was.
func TestMigrateVerificationCatchesBadTarget(t *testing.T) {
	const n = 12
	for _, tc := range []struct {
		name  string
		fault func(t *zohoauth.Token) bool
		want  []string // in the error
	}{
		{"drops a token", func(t *zohoauth.Token) bool { return t.ID != "5" }, []string{"holds 11 of 12", "missing ids 5;"}},
		{"changes the refresh token of one token", func(t *zohoauth.Token) bool {
			if t.ID == "7" {
				t.RefreshToken += "x"
			}
			return true
		}, []string{"holds 11 of 12", "missing ids none", "different ids 7 (refresh_token)"}},
		{"changes the expiry of one token", func(t *zohoauth.Token) bool {
			if t.ID == "12" {
				t.Expiry = t.Expiry.Add(time.Millisecond)
			}
			return true
		}, []string{"different ids 12 (expiry_time)"}},
		{"changes the redirect URL of one token", func(t *zohoauth.Token) bool {
			if t.ID == "1" {
				t.RedirectURL = "https://evil.example/cb"
			}
			return true
		}, []string{"different ids 1 (redirect_url)"}},
		{"swaps the ids of two tokens", func(t *zohoauth.Token) bool {
			switch t.ID {
			case "2":
				t.ID = "3"
			case "3":
				t.ID = "2"
			}
			return true
		}, []string{"holds 10 of 12", "different ids 2 (user_name, refresh_token, access_token, expiry_time), 3 (user_name, refresh_token, access_token, expiry_time)"}},
	} {
		for _, paged := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/paged=%v", tc.name, paged), func(t *testing.T) {
				h := newHarness(t)
				from, _ := writeTokenFile(t, n)
				srcPath := strings.TrimPrefix(from, "file:")
				before, err := os.ReadFile(srcPath)
				if err != nil {
					t.Fatal(err)
				}
				to := "sqlite:" + filepath.Join(t.TempDir(), "target.db")
				var stderr bytes.Buffer
				a := h.app(nil, &bytes.Buffer{}, &stderr)
				wrapOpened(a, to, func(s storeurl.Store) storeurl.Store {
					f := &faultyTarget{Store: s, fault: tc.fault}
					if paged {
						return pagedFaultyTarget{f}
					}
					return f
				})
				code := a.main(context.Background(), []string{"migrate", "--from", from, "--to", to, "--batch", "5", "--delete-source", "--yes"})
				msg := stderr.String()
				if code == 0 {
					t.Fatalf("migrate into a target that %s succeeded:\n%s", tc.name, msg)
				}
				for _, w := range append(tc.want, "the copy is not complete", "the source is untouched") {
					if !strings.Contains(msg, w) {
						t.Errorf("migrate's error does not say %q:\n%s", w, msg)
					}
				}
				for _, secret := range []string{"1000.refresh.", "1000.access.", "client-secret"} {
					if strings.Contains(msg, secret) {
						t.Errorf("migrate's error shows a secret (%s…):\n%s", secret, msg)
					}
				}
				if strings.Contains(msg, "deleted") {
					t.Errorf("migrate reports a deletion:\n%s", msg)
				}
				if after, err := os.ReadFile(srcPath); err != nil || !bytes.Equal(before, after) {
					t.Fatalf("--delete-source changed the source after a failed verification (%v)", err)
				}
			})
		}
	}
}

// TestDifferingFields names each field that differs, compares expiries as
// the stores keep them (the millisecond; none when zero, which is not the
// epoch), and never a value.
func TestDifferingFields(t *testing.T) {
	base := zohoauth.Token{ID: "7", UserName: "u@example.com:1", ClientID: "c", ClientSecret: "s3cret", RefreshToken: "1000.r",
		AccessToken: "1000.a", GrantToken: "1000.g", Expiry: time.UnixMilli(1_800_000_000_000), RedirectURL: "http://x", APIDomain: "https://d"}
	for _, c := range []struct {
		change func(t *zohoauth.Token)
		want   string
	}{
		{func(t *zohoauth.Token) {}, ""},
		{func(t *zohoauth.Token) { t.ID = "8" }, "id"},
		{func(t *zohoauth.Token) { t.UserName = "" }, "user_name"},
		{func(t *zohoauth.Token) { t.ClientID += "x" }, "client_id"},
		{func(t *zohoauth.Token) { t.ClientSecret += "x" }, "client_secret"},
		{func(t *zohoauth.Token) { t.RefreshToken += "x" }, "refresh_token"},
		{func(t *zohoauth.Token) { t.AccessToken += "x" }, "access_token"},
		{func(t *zohoauth.Token) { t.GrantToken = "" }, "grant_token"},
		{func(t *zohoauth.Token) { t.Expiry = t.Expiry.Add(time.Millisecond) }, "expiry_time"},
		{func(t *zohoauth.Token) { t.Expiry = t.Expiry.Add(time.Microsecond) }, ""},
		{func(t *zohoauth.Token) { t.Expiry = t.Expiry.In(time.FixedZone("x", 3600)) }, ""},
		{func(t *zohoauth.Token) { t.Expiry = time.Time{} }, "expiry_time"},
		{func(t *zohoauth.Token) { t.Expiry = time.UnixMilli(0) }, "expiry_time"},
		{func(t *zohoauth.Token) { t.RedirectURL += "x" }, "redirect_url"},
		{func(t *zohoauth.Token) { t.APIDomain += "x" }, "api_domain"},
		{func(t *zohoauth.Token) { t.ClientSecret, t.AccessToken = "", "" }, "client_secret, access_token"},
	} {
		b := base
		c.change(&b)
		if got := strings.Join(differingFields(&base, &b), ", "); got != c.want {
			t.Errorf("differing fields %q, want %q", got, c.want)
		}
	}
	zero, epoch := base, base
	zero.Expiry, epoch.Expiry = time.Time{}, time.UnixMilli(0)
	if got := differingFields(&zero, &epoch); len(got) != 1 || got[0] != "expiry_time" {
		t.Errorf("no expiry vs the epoch: %q", got)
	}
	if got := differingFields(&zero, &zero); len(got) != 0 {
		t.Errorf("two tokens without expiry differ in %q", got)
	}
}
