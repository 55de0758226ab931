package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storeurl"
)

// agedTokenFile is writeTokenFile with the file's times a minute in the
// past: a file changed a moment ago may still be being written, and the
// file store reads it whole rather than stream it.
func agedTokenFile(t *testing.T, n int) string {
	t.Helper()
	from, _ := writeTokenFile(t, n)
	past := time.Now().Add(-time.Minute)
	if err := os.Chtimes(strings.TrimPrefix(from, "file:"), past, past); err != nil {
		t.Fatal(err)
	}
	return from
}

// TestMigrateTornSourceRow migrates a file whose row 2,000 of 3,000 is
// torn (three fields), beyond the first pages of a streamed copy: migrate
// fails naming the line, before it copies anything, and --delete-source
// deletes nothing.
func TestMigrateTornSourceRow(t *testing.T) {
	for name, row := range map[string]string{
		"torn":     "2000,user1999@example.com:701999,1000.MIG\r\n",
		"bad id":   "2x00,user1999@example.com:701999,1000.MIGRATE,,,,,,,\r\n",
		"unclosed": "2000,\"user1999@example.com:701999,1000.MIGRATE,,,,,,,\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			from := agedTokenFile(t, 3_000)
			path := strings.TrimPrefix(from, "file:")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.SplitAfter(string(data), "\r\n")
			lines[2000] = row // line 2001 of the file: the header is line 1
			data = []byte(strings.Join(lines, ""))
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			past := time.Now().Add(-time.Minute)
			if err := os.Chtimes(path, past, past); err != nil {
				t.Fatal(err)
			}
			_, perr := filestore.Parse(data)
			var pe *filestore.ParseError
			if !errors.As(perr, &pe) {
				t.Fatalf("Parse: %v", perr)
			}
			to := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
			r := h.run("migrate", "--from", from, "--to", to, "--delete-source", "--yes")
			if r.code == 0 || !strings.Contains(r.stderr, pe.Error()) || !strings.Contains(r.stderr, "copied 0 tokens") ||
				!strings.Contains(r.stderr, "run migrate again once it can be read") {
				t.Fatalf("migrate of a torn file: exit %d, %s; want %q", r.code, r.stderr, pe.Error())
			}
			if name != "unclosed" && pe.Line != 2001 {
				t.Errorf("the error names line %d, the torn row is on line 2001", pe.Line)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
				t.Error("migrate --delete-source changed a source it could not read")
			}
			dst, err := stores().Open(context.Background(), to)
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			if got, err := dst.Tokens(context.Background()); err != nil || len(got) != 0 {
				t.Errorf("target: %d tokens, %v; want none", len(got), err)
			}
		})
	}
}

// TestMigrateSourceChangedMidWalk changes the source (another writer
// deletes its token 1) once the first page of the streamed copy is saved:
// the rest of the copy reads the new version, the verification finds that
// the source is not what was copied, and --delete-source deletes nothing.
func TestMigrateSourceChangedMidWalk(t *testing.T) {
	h := newHarness(t)
	const n, batch = 2_500, 1_000
	from := agedTokenFile(t, n)
	to := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	var stderr bytes.Buffer
	a := h.app(nil, &bytes.Buffer{}, &stderr)
	wrapOpened(a, to, func(s storeurl.Store) storeurl.Store {
		return &changingStore{Store: s, t: t, from: from, total: batch}
	})
	code := a.main(context.Background(), []string{"migrate", "--from", from, "--to", to, "--batch", "1000", "--delete-source", "--yes"})
	if code == 0 || !strings.Contains(stderr.String(), "the source changed during the migration") {
		t.Fatalf("migrate while the source changed: exit %d, %s", code, stderr.String())
	}
	src, err := stores().Open(context.Background(), from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if all, _ := src.Tokens(context.Background()); len(all) != n-1 {
		t.Fatalf("--delete-source deleted from a source that changed: %d tokens left, want %d", len(all), n-1)
	}
}

// TestDigestTellsTokensApart checks that the digest of the copy changes
// with every field of a token, with a field's bytes moved to the next
// field, and with the expiry's millisecond (but not below it, as the
// stores keep it).
func TestDigestTellsTokensApart(t *testing.T) {
	base := zohoauth.Token{ID: "7", UserName: "u@example.com:1", ClientID: "c", ClientSecret: "s", RefreshToken: "r",
		AccessToken: "a", GrantToken: "g", Expiry: time.UnixMilli(1_800_000_000_000), RedirectURL: "http://x", APIDomain: "https://d"}
	seed := newDigestSeed()
	sum := func(tokens ...zohoauth.Token) *digest {
		d := newDigest(seed)
		for i := range tokens {
			d.add(&tokens[i])
		}
		return d
	}
	want := sum(base)
	changes := map[string]func(t *zohoauth.Token){
		"id": func(t *zohoauth.Token) { t.ID = "8" }, "user_name": func(t *zohoauth.Token) { t.UserName += "x" },
		"client_id": func(t *zohoauth.Token) { t.ClientID = "" }, "client_secret": func(t *zohoauth.Token) { t.ClientSecret += "x" },
		"refresh_token": func(t *zohoauth.Token) { t.RefreshToken += "x" }, "access_token": func(t *zohoauth.Token) { t.AccessToken += "x" },
		"grant_token": func(t *zohoauth.Token) { t.GrantToken = "" }, "redirect_url": func(t *zohoauth.Token) { t.RedirectURL += "x" },
		"api_domain":  func(t *zohoauth.Token) { t.APIDomain += "x" },
		"expiry":      func(t *zohoauth.Token) { t.Expiry = t.Expiry.Add(time.Millisecond) },
		"no expiry":   func(t *zohoauth.Token) { t.Expiry = time.Time{} },
		"moved bytes": func(t *zohoauth.Token) { t.ClientID, t.ClientSecret = "cs", "" },
	}
	for name, change := range changes {
		c := base
		change(&c)
		if sum(c).equal(want) {
			t.Errorf("%s changed: same digest", name)
		}
	}
	c := base
	c.Expiry = c.Expiry.Add(time.Microsecond)
	if !sum(c).equal(want) {
		t.Error("a change below the millisecond, which no store keeps, changed the digest")
	}
	if sum(base, base).equal(want) || !sum(base, base).equal(sum(base, base)) {
		t.Error("the digest does not count the tokens")
	}
}
