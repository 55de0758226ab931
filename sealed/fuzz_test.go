package sealed

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary stored values to the decoder, to keyIDOf and
// to the full read path of a keyring: none panics; a value the decoder
// accepts re-encodes to itself (one stored form per ciphertext) and
// keyIDOf reads the key id the decoder does; and a value that
// is not a genuine ciphertext of the keyset never decrypts, failing with a
// typed error instead.
func FuzzDecode(f *testing.F) {
	ks, err := NewKeyset()
	if err != nil {
		f.Fatal(err)
	}
	src, err := Static(ks)
	if err != nil {
		f.Fatal(err)
	}
	k, err := NewKeyring(context.Background(), src, WithCacheSize(0))
	if err != nil {
		f.Fatal(err)
	}
	r := k.forRead()
	genuine := map[string]bool{}
	for _, plain := range []string{"", "x", "1000.0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef"} {
		for _, fl := range fields {
			v, err := r.encrypt(fl, plain, r.primary)
			if err != nil {
				f.Fatal(err)
			}
			genuine[v] = true
			f.Add(v)
			f.Add(v[:len(v)-1])
			f.Add(strings.Replace(v, "zs1:", "zs2:", 1))
		}
	}
	for _, s := range []string{"", "zs", "zs1", "zs1:", "zs:", "zs1:AQ", "zs01:AAAA", "1000.abc.def", "zs1:====", "zs1:+/+/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		kid, kok := keyIDOf(v)
		raw, id, err := decode(v)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("decode error %v does not match ErrFormat", err)
			}
		} else {
			if !IsSealed(v) {
				t.Fatalf("decode accepted %q, which IsSealed denies", v)
			}
			if encode(raw) != v {
				t.Fatalf("decode(%q) re-encodes to another value", v)
			}
			if got, ok := keyOf(v); !ok || got != id {
				t.Fatalf("keyOf disagrees with decode")
			}
			if !kok || kid != id {
				t.Fatalf("keyIDOf(%q) = %v, %v; decode names key %v", v, kid, kok, id)
			}
		}
		for _, fl := range fields {
			plain, err := r.decrypt(fl, v)
			if err == nil {
				if !genuine[v] {
					// Only a ciphertext made by the keyset may decrypt;
					// the fuzzer cannot forge one.
					if back, _ := r.encrypt(fl, plain, r.primary); back != v {
						t.Fatalf("a value the keyset did not make decrypted in %s", fl.column())
					}
				}
				continue
			}
			var ve *ValueError
			if !errors.As(err, &ve) || ve.Field != fl.column() {
				t.Fatalf("decrypt error %v is not a *ValueError of %s", err, fl.column())
			}
		}
	})
}

// TestDecodeOneStoredForm checks a ciphertext has one stored form: the
// same value with CR or LF inside (which encoding/base64 skips) is refused.
func TestDecodeOneStoredForm(t *testing.T) {
	raw := make([]byte, minRaw+8)
	raw[0] = tinkStartByte
	v := encode(raw)
	if _, _, err := decode(v); err != nil {
		t.Fatalf("decode of a canonical value: %v", err)
	}
	for _, bad := range []string{v[:10] + "\n" + v[10:], v[:10] + "\r\n" + v[10:], v + "\n"} {
		if _, _, err := decode(bad); !errors.Is(err, ErrFormat) {
			t.Fatalf("decode of a value with a line break = %v, want ErrFormat", err)
		}
	}
}
