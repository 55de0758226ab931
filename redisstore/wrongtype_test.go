package redisstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// snapshot returns every key under the store's prefix with its type and
// serialized value (DUMP).
func snapshot(t *testing.T, s *Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, key := range scanKeys(t, s.Client(), s.Prefix()) {
		typ, err := s.Client().Type(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		dump, err := s.Client().Dump(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		out[key] = typ + "\x00" + dump
	}
	return out
}

// plant sets key to a value of the wrong type for the layout: a list, or,
// when asString, a string that is not a number.
func plant(t *testing.T, s *Store, key string, asString bool) {
	t.Helper()
	ctx := context.Background()
	var err error
	if asString {
		err = s.Client().Set(ctx, key, "not-a-number", 0).Err()
	} else {
		err = s.Client().RPush(ctx, key, "x").Err()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// checkWroteNothing checks that err is a typed wrong-type store error that
// shows no secret of tok, and that the keys are as before.
func checkWroteNothing(t *testing.T, s *Store, err error, tok *zohoauth.Token, before map[string]string) {
	t.Helper()
	var ze *zohoauth.Error
	if !errors.As(err, &ze) || ze.Code != zohoauth.CodeTokenStore || !errors.Is(err, ErrWrongType) {
		t.Errorf("error %v, want a %s store error matching ErrWrongType", err, zohoauth.CodeTokenStore)
	}
	if err != nil {
		for _, secret := range []string{tok.ClientSecret, tok.RefreshToken, tok.AccessToken, tok.GrantToken} {
			if secret != "" && strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows a secret: %v", err)
			}
		}
	}
	after := snapshot(t, s)
	for key, v := range after {
		if w, ok := before[key]; !ok {
			t.Errorf("the failed write created %s", strings.TrimPrefix(key, s.Prefix()))
		} else if v != w {
			t.Errorf("the failed write changed %s", strings.TrimPrefix(key, s.Prefix()))
		}
	}
	for key := range before {
		if _, ok := after[key]; !ok {
			t.Errorf("the failed write deleted %s", strings.TrimPrefix(key, s.Prefix()))
		}
	}
}

// TestSaveWrongTypeWritesNothing plants each key a save writes (the token
// hash, every index, the id set and the counter) with a value of the wrong
// type, and checks that the save fails with a typed error and leaves every
// key as it was: a save writes all or nothing.
func TestSaveWrongTypeWritesNothing(t *testing.T) {
	testAddr(t)
	testSaveWrongType(t, func(t *testing.T) *Store { return newBareStore(t) })
}

// testSaveWrongType is TestSaveWrongTypeWritesNothing on the stores that
// newBareStore makes.
func testSaveWrongType(t *testing.T, newBareStore func(t *testing.T) *Store) {
	type plantCase struct {
		name     string
		key      func(s *Store, tok *zohoauth.Token) string
		asString bool
	}
	index := func(f storekit.Field) func(*Store, *zohoauth.Token) string {
		return func(s *Store, tok *zohoauth.Token) string { return s.k.index(f, f.Value(tok)) }
	}
	insertKeys := []plantCase{
		{"token", func(s *Store, _ *zohoauth.Token) string { return s.k.token("1") }, true},
		{"idx:user_name", index(storekit.FieldUserName), true},
		{"idx:access_token", index(storekit.FieldAccessToken), true},
		{"idx:refresh_token", index(storekit.FieldRefreshToken), true},
		{"idx:grant_token", index(storekit.FieldGrantToken), true},
		{"idx:email", func(s *Store, tok *zohoauth.Token) string { return s.k.emailIndex(tok.Email()) }, true},
		{"ids", func(s *Store, _ *zohoauth.Token) string { return s.k.ids() }, true},
		{"next_id", func(s *Store, _ *zohoauth.Token) string { return s.k.counter() }, false},
		{"next_id-string", func(s *Store, _ *zohoauth.Token) string { return s.k.counter() }, true},
	}
	for _, pc := range insertKeys {
		t.Run("insert/"+pc.name, func(t *testing.T) {
			s := newBareStore(t)
			tok := fullToken(1)
			plant(t, s, pc.key(s, tok), pc.asString)
			before := snapshot(t, s)
			err := s.SaveToken(t.Context(), tok.Clone())
			checkWroteNothing(t, s, err, tok, before)
		})
		t.Run("insert-with-id/"+pc.name, func(t *testing.T) {
			s := newBareStore(t)
			tok := fullToken(1)
			tok.ID = "1"
			plant(t, s, pc.key(s, tok), pc.asString)
			before := snapshot(t, s)
			err := s.SaveTokens(t.Context(), []*zohoauth.Token{tok.Clone()})
			checkWroteNothing(t, s, err, tok, before)
		})
	}

	// An update that changes every indexed value moves the token between
	// indexes: the old ones lose its id, the new ones gain it.
	updateKeys := []struct {
		name string
		old  bool // a key of the stored token, else of the new values
		f    storekit.Field
	}{
		{"old-idx:user_name", true, storekit.FieldUserName},
		{"old-idx:access_token", true, storekit.FieldAccessToken},
		{"old-idx:refresh_token", true, storekit.FieldRefreshToken},
		{"old-idx:grant_token", true, storekit.FieldGrantToken},
		{"new-idx:user_name", false, storekit.FieldUserName},
		{"new-idx:access_token", false, storekit.FieldAccessToken},
		{"new-idx:refresh_token", false, storekit.FieldRefreshToken},
		{"new-idx:grant_token", false, storekit.FieldGrantToken},
		{"old-idx:email", true, fieldEmail},
		{"new-idx:email", false, fieldEmail},
		{"token", true, storekit.FieldID},
	}
	for _, uc := range updateKeys {
		t.Run("update/"+uc.name, func(t *testing.T) {
			s := newBareStore(t)
			ctx := t.Context()
			old := fullToken(1)
			if err := s.SaveToken(ctx, old); err != nil {
				t.Fatal(err)
			}
			upd := fullToken(2)
			upd.ID = old.ID
			var key string
			switch {
			case uc.f == storekit.FieldID:
				key = s.k.token(old.ID)
			case uc.f == fieldEmail && uc.old:
				key = s.k.emailIndex(old.Email())
			case uc.f == fieldEmail:
				key = s.k.emailIndex(upd.Email())
			case uc.old:
				key = s.k.index(uc.f, uc.f.Value(old))
			default:
				key = s.k.index(uc.f, uc.f.Value(upd))
			}
			plant(t, s, key, true)
			before := snapshot(t, s)
			err := s.SaveToken(ctx, upd.Clone())
			checkWroteNothing(t, s, err, upd, before)
		})
	}

	t.Run("delete/idx:access_token", func(t *testing.T) {
		s := newBareStore(t)
		ctx := t.Context()
		tok := fullToken(1)
		if err := s.SaveToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		for _, f := range []storekit.Field{storekit.FieldAccessToken} {
			plant(t, s, s.k.index(f, f.Value(tok)), true)
		}
		before := snapshot(t, s)
		err := s.DeleteToken(ctx, tok.ID)
		checkWroteNothing(t, s, err, tok, before)
	})
}

// fieldEmail stands for the e-mail index in the update cases: it is no
// field of storekit.
const fieldEmail storekit.Field = 100

// TestWrongTypeLayoutCovered checks that TestSaveWrongTypeWritesNothing
// plants every kind of key a save writes: the layout has no other.
func TestWrongTypeLayoutCovered(t *testing.T) {
	s := newTestStore(t)
	tok := fullToken(1)
	if err := s.SaveToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, key := range scanKeys(t, s.Client(), s.Prefix()) {
		rest := strings.TrimPrefix(key, s.Prefix())
		kind, _, _ := strings.Cut(rest, ":")
		if strings.HasPrefix(rest, "idx:") {
			kind = rest[:strings.IndexAny(rest[4:], ":#")+4]
		}
		kinds = append(kinds, kind)
	}
	slices.Sort(kinds)
	want := []string{"ids", "idx:access_token", "idx:email", "idx:grant_token", "idx:refresh_token", "idx:user_name", "next_id", "token"}
	if !slices.Equal(kinds, want) {
		t.Errorf("a save writes keys of kinds %v, the test plants %v", kinds, want)
	}
}

// TestWriteAfterScriptFlush: a Redis that lost its scripts (a restart, a
// SCRIPT FLUSH) between two saves still takes the second.
func TestWriteAfterScriptFlush(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	for i := range 3 {
		if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		tok := fullToken(i)
		tok.ID = "" // insert: the counter script, then the commit script
		if err := s.SaveToken(ctx, tok); err != nil {
			t.Fatalf("save %d after SCRIPT FLUSH: %v", i, err)
		}
	}
}
