package sealed

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
)

// Prefix starts every value this package encrypts: "zs" (zohoauth sealed),
// the format version, and a colon. The rest is the unpadded base64url
// encoding of a Tink ciphertext: one byte 0x01, the 4-byte big-endian key
// id, the 16-byte synthetic IV of AES-SIV and the encrypted bytes, as long
// as the plain value. A value of n bytes is stored in
// len(Prefix) + ceil((21+n)*4/3) characters: a 70-character refresh token
// takes 126, and Zoho's varchar(255) columns hold values of up to 167 bytes.
const Prefix = "zs1:"

const (
	tinkStartByte = 0x01
	tinkPrefixLen = 5  // start byte and key id
	sivLen        = 16 // the synthetic IV
	// minRaw is the length of the ciphertext of an empty value.
	minRaw = tinkPrefixLen + sivLen
)

var b64 = base64.RawURLEncoding.Strict()

// EncodedLen returns the length of the stored form of an n-byte value.
func EncodedLen(n int) int { return len(Prefix) + b64.EncodedLen(minRaw+n) }

// IsSealed reports whether a stored value is in the format of an encrypted
// value of some version ("zs", decimal digits, ":"), which is how readers
// tell encrypted values from plain ones.
func IsSealed(v string) bool {
	rest, ok := strings.CutPrefix(v, "zs")
	if !ok {
		return false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	return i > 0 && i < len(rest) && rest[i] == ':'
}

var errVersion = errors.New("unknown format version")

// decode parses a stored encrypted value into its Tink ciphertext and the
// key id it names. Every failure wraps ErrFormat. decode is total: it never
// panics, whatever v holds.
func decode(v string) ([]byte, KeyID, error) {
	if !IsSealed(v) {
		return nil, 0, ErrFormat
	}
	body, ok := strings.CutPrefix(v, Prefix)
	if !ok {
		return nil, 0, errors.Join(ErrFormat, errVersion)
	}
	raw, err := b64.DecodeString(body)
	// The decoder skips CR and LF: a body longer than its bytes' encoding
	// is a second stored form of one ciphertext, and is refused.
	if err != nil || b64.EncodedLen(len(raw)) != len(body) {
		return nil, 0, ErrFormat
	}
	if len(raw) < minRaw || raw[0] != tinkStartByte {
		return nil, 0, ErrFormat
	}
	return raw, KeyID(binary.BigEndian.Uint32(raw[1:tinkPrefixLen])), nil
}

// keyIDOf returns the key id a stored encrypted value of the current
// format names, reading only the characters that encode it (keyOf decodes
// the whole value). A value it accepts may still be malformed.
func keyIDOf(v string) (KeyID, bool) {
	const n = 8 // base64 characters of the start byte, the key id and one more byte
	if len(v) < len(Prefix)+n || v[:len(Prefix)] != Prefix {
		return 0, false
	}
	var raw [6]byte
	var src [n]byte
	copy(src[:], v[len(Prefix):])
	if _, err := b64.Decode(raw[:], src[:]); err != nil || raw[0] != tinkStartByte {
		return 0, false
	}
	return KeyID(binary.BigEndian.Uint32(raw[1:tinkPrefixLen])), true
}

// encode returns the stored form of a Tink ciphertext.
func encode(raw []byte) string {
	buf := make([]byte, len(Prefix)+b64.EncodedLen(len(raw)))
	copy(buf, Prefix)
	b64.Encode(buf[len(Prefix):], raw)
	return string(buf)
}
