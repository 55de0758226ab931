package sealed_test

import (
	"errors"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/sqlstore"
)

// TestRekeyLifecycle takes a plain store through encryption, a rotation
// and back: Migrate + Rekey encrypts every value; after a rotation Retire
// of the old key is refused with the count of values under it; Rekey moves
// them (a second run does nothing), then Retire succeeds and the store
// reads whole under the new keyset; Unseal + Rekey decrypts it again.
func TestRekeyLifecycle(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := t.Context()
			inner, dump := b.open(t)
			const n = 23
			var want []*zohoauth.Token
			for i := range n {
				tok := secretToken(i)
				if i%3 == 0 {
					tok.GrantToken = ""
				}
				if err := inner.SaveToken(ctx, tok); err != nil {
					t.Fatal(err)
				}
				want = append(want, tok.Clone())
			}
			values := 0
			for _, w := range want {
				for _, v := range []string{w.ClientSecret, w.RefreshToken, w.AccessToken, w.GrantToken} {
					if v != "" {
						values++
					}
				}
			}
			keys, path := newKeyring(t)
			first := keys.Primary()
			mig := sealed.New(inner, keys, sealed.WithMode(sealed.Migrate))
			sm, _ := sealed.Of(mig)
			rep, err := sm.Rekey(ctx, sealed.RekeyOptions{PageSize: 5})
			if err != nil {
				t.Fatalf("Rekey of a plain store: %v", err)
			}
			if rep.Values != values || rep.Tokens != n || rep.Target != first {
				t.Fatalf("Rekey of a plain store: %+v, want %d values of %d tokens under %v", rep, values, n, first)
			}
			if sq, ok := inner.(*sqlstore.Store); ok && b.name == "sqlite-file" {
				// An update in place leaves the old plain rows in SQLite's
				// free pages and WAL until VACUUM rewrites the file.
				if _, bad := leaked(dump(), secretsOf(want)); !bad {
					t.Log("the SQLite file kept no old plain value before VACUUM")
				}
				for _, q := range []string{"VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"} {
					if _, err := sq.DB().ExecContext(ctx, q); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
			}
			if sub, bad := leaked(dump(), secretsOf(want)); bad {
				t.Fatalf("after Rekey the raw store holds %q", sub)
			}
			strict := sealed.New(inner, keys)
			checkAll(t, strict, want)

			old, next := rotate(t, path)
			ss, _ := sealed.Of(strict)
			ks, err := sealed.ReadKeysetFile(path)
			if err != nil {
				t.Fatal(err)
			}
			err = sealed.Retire(ctx, ss, ks, old)
			var ke *sealed.KeyError
			if !errors.As(err, &ke) || !errors.Is(err, sealed.ErrKeyInUse) || ke.Count != values || ke.KeyID != old {
				t.Fatalf("Retire of a key in use = %v, want ErrKeyInUse of key %v by %d values", err, old, values)
			}
			if err := sealed.Retire(ctx, ss, ks, next); !errors.Is(err, sealed.ErrPrimaryKey) {
				t.Fatalf("Retire of the primary key = %v, want ErrPrimaryKey", err)
			}
			// A save after the rotation, by refresh token, updates the token
			// stored under the old key rather than insert another.
			upd := &zohoauth.Token{ClientID: want[4].ClientID, ClientSecret: want[4].ClientSecret, RefreshToken: want[4].RefreshToken, AccessToken: "1000.new-access-after-rotation"}
			if err := strict.SaveToken(ctx, upd); err != nil {
				t.Fatal(err)
			}
			if upd.ID != want[4].ID {
				t.Fatalf("a save by refresh token after a rotation got id %s, want the stored %s", upd.ID, want[4].ID)
			}
			want[4].AccessToken = upd.AccessToken
			checkAll(t, strict, want)

			// Resume from the middle, then the whole walk.
			rep, err = ss.Rekey(ctx, sealed.RekeyOptions{PageSize: 4, After: want[n/2].ID})
			if !errors.Is(err, sealed.ErrRekeyIncomplete) || rep.Remaining == 0 || rep.Tokens != n-n/2-1 {
				t.Fatalf("resumed Rekey = %+v, %v; want %d tokens walked and ErrRekeyIncomplete for the first half", rep, err, n-n/2-1)
			}
			rep, err = ss.Rekey(ctx, sealed.RekeyOptions{PageSize: 4})
			if err != nil || rep.Remaining != 0 || rep.Target != next {
				t.Fatalf("Rekey after a rotation = %+v, %v", rep, err)
			}
			again, err := ss.Rekey(ctx, sealed.RekeyOptions{PageSize: 4})
			if err != nil || again.Values != 0 || again.Rewritten != 0 {
				t.Fatalf("a second Rekey = %+v, %v; want nothing rewritten", again, err)
			}
			u, err := ss.Usage(ctx, 6)
			if err != nil || u.Keys[old] != 0 || u.Keys[next] != values || u.Plain != 0 {
				t.Fatalf("usage after Rekey = %+v, %v; want %d values under %v only", u, err, values, next)
			}
			if err := sealed.Retire(ctx, ss, ks, old); err != nil {
				t.Fatalf("Retire of an unused key: %v", err)
			}
			if err := ks.WriteFile(path); err != nil {
				t.Fatal(err)
			}
			if err := keys.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			if got := keys.Keys(); len(got) != 1 || got[0] != next {
				t.Fatalf("keyring after Retire holds %v, want only %v", got, next)
			}
			checkAll(t, strict, want)

			// And back to plain.
			un := sealed.New(inner, keys, sealed.WithMode(sealed.Unseal))
			su, _ := sealed.Of(un)
			if _, err := su.Rekey(ctx, sealed.RekeyOptions{PageSize: 7}); err != nil {
				t.Fatalf("Rekey to plain: %v", err)
			}
			all, err := inner.Tokens(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for i, got := range all {
				if got.RefreshToken != want[i].RefreshToken || got.ClientSecret != want[i].ClientSecret || got.AccessToken != want[i].AccessToken || got.GrantToken != want[i].GrantToken {
					t.Fatalf("token %s is not plain after Rekey to plain", got.ID)
				}
			}
		})
	}
}

// checkAll checks every token reads whole through s, by id and by refresh
// token.
func checkAll(t *testing.T, s zohoauth.Store, want []*zohoauth.Token) {
	t.Helper()
	for _, w := range want {
		got, err := s.FindToken(t.Context(), &zohoauth.Token{ClientID: w.ClientID, ClientSecret: "x", RefreshToken: w.RefreshToken})
		if err != nil {
			t.Fatalf("find %s by refresh token: %v", w.ID, err)
		}
		if got.ID != w.ID || got.AccessToken != w.AccessToken || got.ClientSecret != w.ClientSecret || got.GrantToken != w.GrantToken {
			t.Fatalf("token %s read back as %v", w.ID, got)
		}
	}
}

// TestUnknownKeyReloads has two processes (two keyrings of one keyset
// file) share a store. One rotates the file and writes under the new key;
// the other, still on the old keyset, reads the value (its keyring reloads
// on the unknown key id) and finds it by refresh token (a miss re-reads the
// source) — no restart, no error.
func TestUnknownKeyReloads(t *testing.T) {
	ctx := t.Context()
	a, path := newKeyring(t)
	b, err := sealed.NewKeyring(ctx, sealed.File(path))
	if err != nil {
		t.Fatal(err)
	}
	_, inner, _, _ := sealedStore(t)
	sa, sb := sealed.New(inner, a), sealed.New(inner, b)
	_, next := rotate(t, path)
	tok := secretToken(7)
	want := tok.Clone()
	if err := sa.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if a.Primary() != next {
		t.Fatalf("the writer's keyring did not read the rotated file before its write")
	}
	if b.Primary() == next {
		t.Fatal("the reader's keyring already knows the new key: the test checks nothing")
	}
	got, err := sb.FindToken(ctx, &zohoauth.Token{ClientID: want.ClientID, ClientSecret: "x", RefreshToken: want.RefreshToken})
	if err != nil || got.AccessToken != want.AccessToken {
		t.Fatalf("the reader on the old keyset: %v", err)
	}
	if b.Primary() != next {
		t.Fatalf("the reader's keyring did not reload")
	}
}
