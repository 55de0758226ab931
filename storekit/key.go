package storekit

import "github.com/zohoauth/zohoauth"

// Field names a look-up key of a stored token.
type Field uint8

// The look-up keys of a token.
const (
	FieldID Field = iota + 1
	FieldUserName
	FieldAccessToken
	FieldGrantToken
	FieldRefreshToken
)

// Column returns the name of the field's column in Zoho's file and table
// (id, user_name, access_token, grant_token, refresh_token).
func (f Field) Column() string {
	switch f {
	case FieldID:
		return "id"
	case FieldUserName:
		return "user_name"
	case FieldAccessToken:
		return "access_token"
	case FieldGrantToken:
		return "grant_token"
	case FieldRefreshToken:
		return "refresh_token"
	}
	return ""
}

// Value returns the value of field f of t.
func (f Field) Value(t *zohoauth.Token) string {
	switch f {
	case FieldID:
		return t.ID
	case FieldUserName:
		return t.UserName
	case FieldAccessToken:
		return t.AccessToken
	case FieldGrantToken:
		return t.GrantToken
	case FieldRefreshToken:
		return t.RefreshToken
	}
	return ""
}

// Key is one look-up key of a token: a field, its value, and the client id
// a match must not contradict.
type Key struct {
	Field    Field
	Value    string
	ClientID string // "" matches any client
}

// Matches reports whether the stored token s matches k: the field has k's
// value, and the client ids do not contradict (either is empty, or they are
// equal).
func (k Key) Matches(s *zohoauth.Token) bool {
	return k.Value != "" && k.Field.Value(s) == k.Value && SameClient(k.ClientID, s.ClientID)
}

// SameClient reports whether two client ids may belong to one client: either
// is empty or they are equal.
func SameClient(a, b string) bool { return a == "" || b == "" || a == b }

// FindKeys appends to dst the keys a store tries, in order, to find t (see
// the Matching rules of zohoauth.Store), and returns the extended slice.
// Passing a small array's slice (var buf [2]Key; FindKeys(buf[:0], t))
// avoids an allocation.
func FindKeys(dst []Key, t *zohoauth.Token) []Key {
	key := func(f Field) Key { return Key{Field: f, Value: f.Value(t), ClientID: t.ClientID} }
	switch {
	case t.UserName != "":
		return append(dst, key(FieldUserName))
	case t.AccessToken != "" && t.ClientID == "" && t.ClientSecret == "":
		return append(dst, key(FieldAccessToken))
	case t.GrantToken != "" || t.RefreshToken != "":
		if t.GrantToken != "" {
			dst = append(dst, key(FieldGrantToken))
		}
		if t.RefreshToken != "" {
			dst = append(dst, key(FieldRefreshToken))
		}
		return dst
	case t.ID != "":
		return append(dst, Key{Field: FieldID, Value: t.ID})
	case t.AccessToken != "":
		return append(dst, key(FieldAccessToken))
	}
	return dst
}

// SaveKeys appends to dst the keys a save uses to find the stored token it
// updates: the id alone when set, otherwise FindKeys.
func SaveKeys(dst []Key, t *zohoauth.Token) []Key {
	if t.ID != "" {
		return append(dst, Key{Field: FieldID, Value: t.ID})
	}
	return FindKeys(dst, t)
}

// Conflicts reports whether the stored tokens a and b, with different ids,
// may not both exist: they have the same user name for the same client.
func Conflicts(a, b *zohoauth.Token) bool {
	return a.ID != b.ID && a.UserName != "" && a.UserName == b.UserName && SameClient(a.ClientID, b.ClientID)
}

// CheckSave validates a token that is about to be stored, after it was merged
// over the stored token it updates (if any). detailsNotFoundMsg is the
// store's Zoho text for "Given user authentication details not found." (such
// as MsgDetailsNotFoundFile). The error, if any, is a *zohoauth.Error with
// Code zohoauth.CodeTokenStore that wraps zohoauth.ErrInvalidID or
// zohoauth.ErrNothingToSave.
func CheckSave(merged *zohoauth.Token, detailsNotFoundMsg string) error {
	if merged.ID != "" && !ValidID(merged.ID) {
		return StoreError("invalid token id", zohoauth.ErrInvalidID)
	}
	if merged.GrantToken == "" && merged.RefreshToken == "" && merged.AccessToken == "" {
		return StoreError(detailsNotFoundMsg, zohoauth.ErrNothingToSave)
	}
	return nil
}
