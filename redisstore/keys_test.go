package redisstore

import (
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// FuzzDecode checks the hash codec: any hash decodes without a panic, to a
// token or a typed error; a token encodes and decodes back to itself; and
// index key names never hold a secret.
func FuzzDecode(f *testing.F) {
	f.Add("user@example.com:1", "1000.refresh", "1795879420612", "expiry_time")
	f.Add("", "", "", "")
	f.Add("a:b", "r,\r\n\"", "-5", "user_name")
	f.Add(strings.Repeat("u", 200), "x", "notanumber", "unknown_field")
	f.Fuzz(func(t *testing.T, user, secret, expiry, col string) {
		// Any field list decodes or fails cleanly.
		kv := []any{"id", "3", col, expiry, "user_name", user, "refresh_token", secret}
		got, err := decodePairs("3", kv)
		if err == nil && (got == nil || got.ID != "3") {
			t.Fatalf("decodePairs gave %v without an error", got)
		}
		m := map[string]string{"id": "3", col: expiry, "user_name": user}
		if _, err := decodeMap("3", m); err != nil && col != "expiry_time" {
			t.Fatalf("decodeMap failed on a well-formed expiry: %v", err)
		}
		if _, err := decodePairs("3", kv[:3]); err == nil {
			t.Fatal("an odd field list decoded")
		}
		// Round trip of a token built from the inputs.
		tok := &zohoauth.Token{ID: "3", UserName: user, ClientID: col, ClientSecret: secret, RefreshToken: secret,
			AccessToken: expiry, GrantToken: user + secret, Expiry: time.UnixMilli(int64(len(secret)) * 1e9), RedirectURL: col, APIDomain: expiry}
		back, err := decodePairs("3", encode(tok))
		if err != nil {
			t.Fatal(err)
		}
		if *back != *tok && !back.Expiry.Equal(tok.Expiry) {
			t.Fatalf("round trip: %v, want %v", back, tok)
		}
		back.Expiry = tok.Expiry // the same instant; only the location may differ
		if *back != *tok {
			t.Fatalf("round trip changed a field: %v, want %v", back, tok)
		}
		k := keys{prefix: "p:"}
		for _, key := range k.indexes(nil, tok) {
			if len(secret) >= 4 && strings.Contains(key, secret) && !strings.Contains(user, secret) {
				t.Fatalf("index key %q shows a secret", key)
			}
		}
	})
}
