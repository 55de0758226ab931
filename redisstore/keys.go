package redisstore

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// maxRawName is the longest user name kept as it is in an index key name;
// longer names are named by their SHA-256.
const maxRawName = 128

// columns are the fields of a token hash: the columns of Zoho's oauthtoken
// table, in Zoho's order.
var columns = [...]string{
	"id", "user_name", "client_id", "client_secret", "refresh_token",
	"access_token", "grant_token", "expiry_time", "redirect_url", "api_domain",
}

// indexed are the fields that have an index.
var indexed = [...]storekit.Field{
	storekit.FieldUserName, storekit.FieldAccessToken, storekit.FieldGrantToken, storekit.FieldRefreshToken,
}

// keys names the keys of one store.
type keys struct{ prefix string }

func (k keys) token(id string) string { return k.prefix + "token:" + id }
func (k keys) tokenPrefix() string    { return k.prefix + "token:" }
func (k keys) ids() string            { return k.prefix + "ids" }
func (k keys) counter() string        { return k.prefix + "next_id" }
func (k keys) lock(name string) string {
	return k.prefix + "lock:" + name
}

// anchor is a key that is never written: the transactions of a Cluster or
// Ring client watch it first, for go-redis to route them to the node of the
// store's keys.
func (k keys) anchor() string { return k.prefix + "watch" }

// index returns the name of the index set of field f with value v. User
// names up to maxRawName bytes are kept as they are; secrets and longer
// names are named by their SHA-256 after a '#', which a raw name cannot
// collide with (its key has a ':' there).
func (k keys) index(f storekit.Field, v string) string {
	col := f.Column()
	if f == storekit.FieldUserName && len(v) <= maxRawName {
		return k.prefix + "idx:" + col + ":" + v
	}
	sum := sha256.Sum256([]byte(v))
	return k.prefix + "idx:" + col + "#" + hex.EncodeToString(sum[:])
}

// emailIndex returns the name of the index set of the user names
// email:zgid of an e-mail, named as a user name's index is.
func (k keys) emailIndex(email string) string {
	if len(email) <= maxRawName {
		return k.prefix + "idx:email:" + email
	}
	sum := sha256.Sum256([]byte(email))
	return k.prefix + "idx:email#" + hex.EncodeToString(sum[:])
}

// indexes appends to dst the index keys t belongs to: one per look-up key
// it has, and the index of its e-mail when its user name is email:zgid.
func (k keys) indexes(dst []string, t *zohoauth.Token) []string {
	if t == nil {
		return dst
	}
	for _, f := range indexed {
		if v := f.Value(t); v != "" {
			dst = append(dst, k.index(f, v))
		}
	}
	if e, ok := storekit.Email(t.UserName); ok {
		dst = append(dst, k.emailIndex(e))
	}
	return dst
}

// encode returns the field-value pairs of t's hash, every column included.
func encode(t *zohoauth.Token) []any {
	return []any{
		"id", t.ID,
		"user_name", t.UserName,
		"client_id", t.ClientID,
		"client_secret", t.ClientSecret,
		"refresh_token", t.RefreshToken,
		"access_token", t.AccessToken,
		"grant_token", t.GrantToken,
		"expiry_time", storekit.FormatExpiry(t.Expiry),
		"redirect_url", t.RedirectURL,
		"api_domain", t.APIDomain,
	}
}

// set sets the field named col of t to v. Unknown fields are ignored, so
// that a hash written by a later version still reads.
func set(t *zohoauth.Token, col, v string) error {
	switch col {
	case "user_name":
		t.UserName = v
	case "client_id":
		t.ClientID = v
	case "client_secret":
		t.ClientSecret = v
	case "refresh_token":
		t.RefreshToken = v
	case "access_token":
		t.AccessToken = v
	case "grant_token":
		t.GrantToken = v
	case "expiry_time":
		e, err := storekit.ParseExpiry(v)
		if err != nil {
			return err
		}
		t.Expiry = e
	case "redirect_url":
		t.RedirectURL = v
	case "api_domain":
		t.APIDomain = v
	}
	return nil
}

// decodeMap returns the token of id from its hash as HGETALL returned it,
// or nil for an empty (missing) hash. The id is the key's, whatever the id
// field says.
func decodeMap(id string, m map[string]string) (*zohoauth.Token, error) {
	if len(m) == 0 {
		return nil, nil
	}
	t := &zohoauth.Token{ID: id}
	for col, v := range m {
		if err := set(t, col, v); err != nil {
			return nil, fmt.Errorf("token %s: %w", id, err)
		}
	}
	return t, nil
}

// decodePairs is decodeMap for the flat field-value array a script returns.
func decodePairs(id string, kv []any) (*zohoauth.Token, error) {
	if len(kv) == 0 {
		return nil, nil
	}
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("token %s: odd number of hash elements (%d)", id, len(kv))
	}
	t := &zohoauth.Token{ID: id}
	for i := 0; i < len(kv); i += 2 {
		col, ok1 := kv[i].(string)
		v, ok2 := kv[i+1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("token %s: hash element %d is %T, not a string", id, i, kv[i+1])
		}
		if err := set(t, col, v); err != nil {
			return nil, fmt.Errorf("token %s: %w", id, err)
		}
	}
	return t, nil
}
