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
