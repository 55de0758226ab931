package sealed_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/sealed"
)

// sealedStore returns a wrapper over a new memory store, the inner store,
// and one token saved through it (with its plain values).
func sealedStore(t *testing.T, opts ...sealed.Option) (zohoauth.Store, *memory.Store, *sealed.Keyring, *zohoauth.Token) {
	t.Helper()
	keys, _ := newKeyring(t)
	inner := memory.New()
	s := sealed.New(inner, keys, opts...)
	tok := secretToken(1)
	want := tok.Clone()
	if err := s.SaveToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	want.ID = tok.ID
	return s, inner, keys, want
}

// raw returns the stored (encrypted) form of token id.
func raw(t *testing.T, inner zohoauth.Store, id string) *zohoauth.Token {
	t.Helper()
	got, err := inner.FindTokenByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// putRaw replaces the stored token (by id) with r, bypassing the wrapper.
func putRaw(t *testing.T, inner zohoauth.Store, r *zohoauth.Token) {
	t.Helper()
	if err := inner.DeleteToken(t.Context(), r.ID); err != nil {
		t.Fatal(err)
	}
	if err := inner.SaveToken(t.Context(), r.Clone()); err != nil {
		t.Fatal(err)
	}
}

// wantValueError checks err is a store error wrapping a *sealed.ValueError
// with the sentinel, field and token id, and shows no secret of tok.
func wantValueError(t *testing.T, what string, err error, sentinel error, field, id string, tok *zohoauth.Token) *sealed.ValueError {
	t.Helper()
	var ve *sealed.ValueError
	if !errors.As(err, &ve) || !errors.Is(err, sentinel) {
		t.Fatalf("%s: error %v, want a *sealed.ValueError matching %v", what, err, sentinel)
	}
	var ze *zohoauth.Error
	if !errors.As(err, &ze) || ze.Code != zohoauth.CodeTokenStore {
		t.Fatalf("%s: error %v is not a *zohoauth.Error with Code TOKEN_STORE", what, err)
	}
	if ve.Field != field || ve.TokenID != id {
		t.Fatalf("%s: error names field %q of token %q, want %q of %q", what, ve.Field, ve.TokenID, field, id)
	}
	if !strings.Contains(err.Error(), field) {
		t.Fatalf("%s: error text %q does not name the field", what, err)
	}
	if sub, bad := leaked(err.Error(), secretsOf([]*zohoauth.Token{tok})); bad {
		t.Fatalf("%s: error text shows %q, a piece of a secret", what, sub)
	}
	return ve
}

// TestFlippedBitIsAnError changes one character of each stored ciphertext
// in turn: the read fails naming the field and key, never returns the
// stored text, and the stored value stays as it was.
func TestFlippedBitIsAnError(t *testing.T) {
	ctx := t.Context()
	s, inner, keys, want := sealedStore(t)
	good := raw(t, inner, want.ID)
	for _, f := range []string{"client_secret", "refresh_token", "access_token", "grant_token"} {
		for _, pos := range []int{len(sealed.Prefix) + 2, len(sealed.Prefix) + 10, -2} {
			bad := good.Clone()
			p := fieldPtr(bad, f)
			b := []byte(*p)
			if pos < 0 {
				pos += len(b)
			}
			// Swap for another base64url character: a changed byte.
			if b[pos] == 'A' {
				b[pos] = 'B'
			} else {
				b[pos] = 'A'
			}
			*p = string(b)
			putRaw(t, inner, bad)
			_, err := s.FindTokenByID(ctx, want.ID)
			var ve *sealed.ValueError
			if errors.As(err, &ve) && errors.Is(err, sealed.ErrUnknownKey) {
				// A change inside the key id names another key.
				wantValueError(t, f+" key id changed", err, sealed.ErrUnknownKey, f, want.ID, want)
			} else {
				ve = wantValueError(t, f+" byte changed", err, sealed.ErrDecrypt, f, want.ID, want)
				if !ve.HasKey || ve.KeyID != keys.Primary() {
					t.Fatalf("%s: error names key %v (%v), want the primary %v", f, ve.KeyID, ve.HasKey, keys.Primary())
				}
			}
			if got := raw(t, inner, want.ID); *fieldPtr(got, f) != string(b) {
				t.Fatalf("%s: a failed read changed the stored value", f)
			}
		}
	}
	putRaw(t, inner, good)
	if _, err := s.FindTokenByID(ctx, want.ID); err != nil {
		t.Fatalf("the restored token does not read: %v", err)
	}
}

func fieldPtr(t *zohoauth.Token, f string) *string {
	switch f {
	case "client_secret":
		return &t.ClientSecret
	case "refresh_token":
		return &t.RefreshToken
	case "access_token":
		return &t.AccessToken
	}
	return &t.GrantToken
}

// TestCiphertextMovedToAnotherField copies the stored refresh token into
// the access token and client secret columns: both fail to decrypt (the
// column is the associated data).
func TestCiphertextMovedToAnotherField(t *testing.T) {
	s, inner, _, want := sealedStore(t)
	r := raw(t, inner, want.ID)
	for _, f := range []string{"access_token", "client_secret", "grant_token"} {
		bad := r.Clone()
		*fieldPtr(bad, f) = r.RefreshToken
		putRaw(t, inner, bad)
		_, err := s.FindTokenByID(t.Context(), want.ID)
		wantValueError(t, "refresh token moved to "+f, err, sealed.ErrDecrypt, f, want.ID, want)
	}
}

// TestPlainValueWhereEncryptedRequired stores a plain token beside the
// encrypted one: a Strict store refuses it by field and id, a Migrate
// store reads it and finds it by its plain refresh token.
func TestPlainValueWhereEncryptedRequired(t *testing.T) {
	ctx := t.Context()
	s, inner, keys, _ := sealedStore(t)
	plain := secretToken(2)
	if err := inner.SaveToken(ctx, plain); err != nil {
		t.Fatal(err)
	}
	_, err := s.FindTokenByID(ctx, plain.ID)
	wantValueError(t, "plain token in a Strict store", err, sealed.ErrPlainValue, "client_secret", plain.ID, plain)
	_, err = s.Tokens(ctx)
	wantValueError(t, "Tokens with a plain token", err, sealed.ErrPlainValue, "client_secret", plain.ID, plain)
	m := sealed.New(inner, keys, sealed.WithMode(sealed.Migrate))
	got, err := m.FindToken(ctx, &zohoauth.Token{ClientID: plain.ClientID, ClientSecret: "x", RefreshToken: plain.RefreshToken})
	if err != nil || got.AccessToken != plain.AccessToken {
		t.Fatalf("a Migrate store does not find the plain token by its refresh token: %v", err)
	}
}

// TestSealedValueWhereplainRequired reads an encrypted store without a
// keyset (RequirePlain): every read fails naming the field and key, and a
// write of a value that looks encrypted is refused, the store unchanged.
func TestSealedValueWherePlainRequired(t *testing.T) {
	ctx := t.Context()
	_, inner, keys, want := sealedStore(t)
	p := sealed.RequirePlain(inner)
	_, err := p.FindTokenByID(ctx, want.ID)
	ve := wantValueError(t, "encrypted value read as plain", err, sealed.ErrSealedValue, "client_secret", want.ID, want)
	if !ve.HasKey || ve.KeyID != keys.Primary() {
		t.Fatalf("the error names key %v, want %v", ve.KeyID, keys.Primary())
	}
	before := raw(t, inner, want.ID)
	err = p.SaveToken(ctx, &zohoauth.Token{ID: want.ID, AccessToken: before.RefreshToken})
	wantValueError(t, "encrypted value written as plain", err, sealed.ErrSealedValue, "access_token", want.ID, want)
	if after := raw(t, inner, want.ID); after.AccessToken != before.AccessToken {
		t.Fatalf("a refused write changed the store")
	}
}

// TestWrongKeysetIsAnError reads a store with another keyset: every value
// names a key the keyset does not hold, after one reload of the source.
func TestWrongKeysetIsAnError(t *testing.T) {
	ctx := t.Context()
	_, inner, keys, want := sealedStore(t)
	other, _ := newKeyring(t)
	s := sealed.New(inner, other)
	_, err := s.FindTokenByID(ctx, want.ID)
	ve := wantValueError(t, "read with a wrong keyset", err, sealed.ErrUnknownKey, "client_secret", want.ID, want)
	if ve.KeyID != keys.Primary() || !strings.Contains(err.Error(), keys.Primary().String()) {
		t.Fatalf("the error names key %v, want %v: %v", ve.KeyID, keys.Primary(), err)
	}
	// A look-up by refresh token finds nothing under the wrong keyset.
	_, err = s.FindToken(ctx, &zohoauth.Token{ClientID: want.ClientID, ClientSecret: "x", RefreshToken: want.RefreshToken})
	if !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("look-up with a wrong keyset = %v, want ErrNotFound", err)
	}
}

// TestMissingOrForeignKeyset checks the keyset sources refuse what they
// cannot use: a missing file, a file other users may read, an unset
// variable, garbage, and a Tink keyset of another key type.
func TestMissingOrForeignKeyset(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, err := sealed.NewKeyring(ctx, sealed.File(filepath.Join(dir, "missing.json")))
	if !errors.Is(err, sealed.ErrKeyset) {
		t.Fatalf("missing keyset file: %v, want ErrKeyset", err)
	}
	ks, err := sealed.NewKeyset()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "keyset.json")
	if err := ks.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keyset file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sealed.NewKeyring(ctx, sealed.File(path)); !errors.Is(err, sealed.ErrKeyset) || !strings.Contains(err.Error(), "0644") {
		t.Fatalf("a keyset file of mode 0644: %v, want ErrKeyset naming the mode", err)
	}
	t.Setenv("ZOHOAUTH_TEST_KEYSET_UNSET", "")
	if _, err := sealed.NewKeyring(ctx, sealed.Env("ZOHOAUTH_TEST_KEYSET_UNSET")); !errors.Is(err, sealed.ErrKeyset) {
		t.Fatalf("unset keyset variable: %v, want ErrKeyset", err)
	}
	for name, data := range map[string]string{
		"garbage": "not a keyset",
		"empty":   `{"primaryKeyId":1,"key":[]}`,
		// A Tink AES-GCM keyset: valid Tink, wrong key type.
		"aes-gcm": `{"primaryKeyId":42,"key":[{"keyData":{"typeUrl":"type.googleapis.com/google.crypto.tink.AesGcmKey","value":"GiBuaTJlaS1kZWNyeXB0LXRlc3Qta2V5LTMyLWJ5dA==","keyMaterialType":"SYMMETRIC"},"status":"ENABLED","keyId":42,"outputPrefixType":"TINK"}]}`,
	} {
		if _, err := sealed.ParseKeyset([]byte(data)); !errors.Is(err, sealed.ErrKeyset) {
			t.Fatalf("%s keyset: %v, want ErrKeyset", name, err)
		}
	}
	// The variable holds the JSON keyset, as is or in base64.
	data, err := ks.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(sealed.EnvKeyset, string(data))
	k, err := sealed.NewKeyring(ctx, sealed.Env(sealed.EnvKeyset))
	if err != nil || k.Primary() != ks.Primary() {
		t.Fatalf("keyset from the variable: %v", err)
	}
}
