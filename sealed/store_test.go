package sealed_test

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/storetest"
)

// TestConformance runs the Store conformance kit on the wrapper over every
// store: the look-up, saving and capability rules hold on ciphertext.
func TestConformance(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			keys, _ := newKeyring(t)
			storetest.Run(t, func(t *testing.T) zohoauth.Store {
				inner, _ := b.open(t)
				return sealed.New(inner, keys)
			}, claimsOf(t, b))
		})
	}
}

// claimsOf claims the capabilities the backend's store has: the wrapper
// must keep every one.
func claimsOf(t *testing.T, b backend) storetest.Option {
	probe, _ := b.open(t)
	var caps []storetest.Capability
	for _, c := range []storetest.Capability{storetest.Locker, storetest.LockChecker, storetest.CompareAndSwapper, storetest.BatchSaver, storetest.Pager, storetest.LifecycleKeeper} {
		if len(storetest.Missing(probe, c)) == 0 {
			caps = append(caps, c)
		}
	}
	return storetest.Claim(caps...)
}

// TestConformanceAfterRotation runs the kit on a keyset of three keys whose
// primary is the newest: look-ups compute a ciphertext per key.
func TestConformanceAfterRotation(t *testing.T) {
	for _, b := range backends()[:4] {
		t.Run(b.name, func(t *testing.T) {
			keys, path := newKeyring(t)
			rotate(t, path)
			rotate(t, path)
			if err := keys.Reload(t.Context()); err != nil {
				t.Fatal(err)
			}
			if n := len(keys.Keys()); n != 3 {
				t.Fatalf("keyring has %d keys, want 3", n)
			}
			storetest.Run(t, func(t *testing.T) zohoauth.Store {
				inner, _ := b.open(t)
				return sealed.New(inner, keys)
			})
		})
	}
}

// TestCapabilitiesForwarded checks that the wrapper has exactly the
// optional capabilities of the store it wraps.
func TestCapabilitiesForwarded(t *testing.T) {
	keys, _ := newKeyring(t)
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			inner, _ := b.open(t)
			for _, w := range []zohoauth.Store{sealed.New(inner, keys), sealed.RequirePlain(inner)} {
				caps := func(s zohoauth.Store) [5]bool {
					_, l := s.(zohoauth.Locker)
					_, c := s.(zohoauth.CompareAndSwapper)
					_, bs := s.(zohoauth.BatchSaver)
					_, p := s.(zohoauth.Pager)
					_, k := s.(zohoauth.LifecycleKeeper)
					return [5]bool{l, c, bs, p, k}
				}
				if got, want := caps(w), caps(inner); got != want {
					t.Fatalf("wrapper has Locker, CompareAndSwapper, BatchSaver, Pager, LifecycleKeeper = %v, inner store %v", got, want)
				}
				if s, ok := sealed.Of(w); !ok || s.Inner() != inner {
					t.Fatalf("sealed.Of does not find the wrapper")
				}
			}
		})
	}
}

// secretToken returns a token whose secrets are random, Zoho-shaped and
// ~70 characters long, so that none of their 8-byte substrings can appear
// in a ciphertext by chance.
func secretToken(n int) *zohoauth.Token {
	r := func(kind string) string {
		var b [32]byte
		_, _ = rand.Read(b[:])
		return "1000." + hex.EncodeToString(b[:16]) + "." + kind + hex.EncodeToString(b[16:])
	}
	tok := storetest.Token(n, "A")
	tok.ClientSecret = r("s")
	tok.RefreshToken = r("r")
	tok.AccessToken = r("a")
	tok.GrantToken = r("g")
	return tok
}

func secretsOf(toks []*zohoauth.Token) []string {
	var out []string
	for _, tok := range toks {
		out = append(out, tok.ClientSecret, tok.RefreshToken, tok.AccessToken, tok.GrantToken)
	}
	return out
}

// leaked returns the first 8-byte substring of a secret found in dump.
func leaked(dump string, secrets []string) (string, bool) {
	for _, s := range secrets {
		for i := 0; i+8 <= len(s); i++ {
			if sub := s[i : i+8]; containsString(dump, sub) {
				return sub, true
			}
		}
	}
	return "", false
}

func containsString(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestRawDumpHoldsNoSecret saves tokens through the wrapper, with every
// write path (save, update, batch, swap), and reads the medium as a thief
// would: no 8-byte substring of any secret appears. The same dump of the
// bare store does show them (the check can fail).
func TestRawDumpHoldsNoSecret(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := t.Context()
			keys, _ := newKeyring(t)
			inner, dump := b.open(t)
			s := sealed.New(inner, keys)
			var toks []*zohoauth.Token
			for i := range 5 {
				tok := secretToken(i)
				toks = append(toks, tok.Clone())
				if err := s.SaveToken(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			upd := secretToken(0)
			upd.ClientSecret, upd.GrantToken, upd.RefreshToken = "", "", ""
			toks = append(toks, upd.Clone())
			if err := s.SaveToken(ctx, upd); err != nil {
				t.Fatal(err)
			}
			if bs, ok := s.(zohoauth.BatchSaver); ok {
				batch := []*zohoauth.Token{secretToken(10), secretToken(11)}
				toks = append(toks, batch[0].Clone(), batch[1].Clone())
				if err := bs.SaveTokens(ctx, batch); err != nil {
					t.Fatal(err)
				}
			}
			if cas, ok := s.(zohoauth.CompareAndSwapper); ok {
				old, err := s.FindToken(ctx, &zohoauth.Token{UserName: toks[1].UserName})
				if err != nil {
					t.Fatal(err)
				}
				next := secretToken(1)
				next.ID = old.ID
				next.Expiry = old.Expiry.Add(time.Hour)
				toks = append(toks, next.Clone())
				if err := cas.SwapToken(ctx, old, next); err != nil {
					t.Fatal(err)
				}
			}
			if sub, bad := leaked(dump(), secretsOf(toks)); bad {
				t.Fatalf("the raw %s holds %q, a piece of a secret", b.name, sub)
			}
			// The same tokens saved into the bare store do show.
			bare, bareDump := b.open(t)
			if err := bare.SaveToken(ctx, toks[0].Clone()); err != nil {
				t.Fatal(err)
			}
			if _, bad := leaked(bareDump(), secretsOf(toks[:1])); !bad {
				t.Fatalf("the dump of a bare %s shows no secret: the dump reads nothing", b.name)
			}
			// Every token reads back whole through the wrapper.
			for _, want := range toks[2:5] { // toks[1] was swapped
				got, err := s.FindToken(ctx, &zohoauth.Token{ClientID: want.ClientID, ClientSecret: "x", RefreshToken: want.RefreshToken})
				if err != nil {
					t.Fatalf("find by refresh token: %v", err)
				}
				if got.UserName != want.UserName {
					t.Fatalf("find by refresh token gave user %s, want %s", got.UserName, want.UserName)
				}
			}
		})
	}
}
