package zohoauth

import "context"

// Store persists tokens: the TokenStore of Zoho's SDKs, in Go. A Store only
// stores, finds and deletes; it knows nothing of refresh. Implementations
// must be safe for concurrent use by multiple goroutines, must copy every
// token they are given or return (a caller that changes a token it passed or
// received does not change the store), and report every failure as an *Error
// with Code CodeTokenStore and Zoho's message text, wrapping the cause.
// The package storetest checks all of this in one line of test.
//
// # Matching
//
// A token is found by the first of its keys that is set (Token.FindKeys):
//
//  1. UserName, when set, and only UserName;
//  2. otherwise AccessToken, when the token has no client id and no client
//     secret (an access-token-only token);
//  3. otherwise GrantToken, then RefreshToken (both tried when both are set);
//  4. otherwise ID;
//  5. otherwise AccessToken.
//
// When the token has a ClientID, a stored token with a different non-empty
// ClientID does not match: one user may hold tokens of several clients, and
// they stay apart. When several stored tokens match one key, the one with the
// lowest id wins.
//
// # Saving
//
// SaveToken is an upsert. The stored token it updates is the one with the
// token's ID when the ID is set, otherwise the one FindToken would return.
// The saved value is the token merged over the stored one (Token.Merge): a
// field left empty keeps its stored value, so a save never erases a stored
// refresh token; to clear a field, delete the token and save it again.
// When nothing matches, the token is inserted: with its own ID when set,
// otherwise with a new numeric id greater than every id in use (a store may
// skip numbers, but never hands out an id that is in use).
type Store interface {
	// FindToken returns a copy of the stored token that matches t (see
	// Matching above). It returns an error matching ErrNotFound when
	// nothing matches or t has no key.
	FindToken(ctx context.Context, t *Token) (*Token, error)

	// SaveToken inserts or updates t (see Saving above) and, on success,
	// updates t in place to the stored value, its ID included. It fails
	// without changing anything:
	//   - with ErrNothingToSave (Zoho's "Given user authentication details
	//     not found.") when the merged token has no grant, refresh or access
	//     token;
	//   - with ErrInvalidID when t.ID is set and not a valid id (ValidID);
	//   - with ErrConflict when the result would give a user name two stored
	//     tokens for one client.
	SaveToken(ctx context.Context, t *Token) error

	// DeleteToken deletes the token with the given id. An unknown id is an
	// error matching ErrNotFound.
	DeleteToken(ctx context.Context, id string) error

	// Tokens returns copies of all stored tokens, ordered by numeric id.
	Tokens(ctx context.Context) ([]*Token, error)

	// DeleteTokens deletes every stored token.
	DeleteTokens(ctx context.Context) error

	// FindTokenByID returns a copy of the token with the given id. An
	// unknown id is an error matching ErrNotFound.
	FindTokenByID(ctx context.Context, id string) (*Token, error)
}

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

// Key is one look-up key of a token: a field, its value, and the client id
// a match must not contradict.
type Key struct {
	Field    Field
	Value    string
	ClientID string // "" matches any client
}

// Get returns the value of field f of t.
func (t *Token) Get(f Field) string {
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

// Matches reports whether the stored token s matches k: the field has k's
// value, and the client ids do not contradict (either is empty, or they are
// equal).
func (k Key) Matches(s *Token) bool {
	return k.Value != "" && s.Get(k.Field) == k.Value && SameClient(k.ClientID, s.ClientID)
}

// SameClient reports whether two client ids may belong to one client: either
// is empty or they are equal.
func SameClient(a, b string) bool { return a == "" || b == "" || a == b }

// FindKeys appends to dst the keys a store tries, in order, to find t (see
// Store), and returns the extended slice. Passing a small array's slice
// (var buf [2]Key; t.FindKeys(buf[:0])) avoids an allocation.
func (t *Token) FindKeys(dst []Key) []Key {
	key := func(f Field) Key { return Key{Field: f, Value: t.Get(f), ClientID: t.ClientID} }
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
func (t *Token) SaveKeys(dst []Key) []Key {
	if t.ID != "" {
		return append(dst, Key{Field: FieldID, Value: t.ID})
	}
	return t.FindKeys(dst)
}

// Conflicts reports whether the stored tokens a and b, with different ids,
// may not both exist: they have the same user name for the same client.
func Conflicts(a, b *Token) bool {
	return a.ID != b.ID && a.UserName != "" && a.UserName == b.UserName && SameClient(a.ClientID, b.ClientID)
}

// CheckSave validates a token that is about to be stored, after it was merged
// over the stored token it updates (if any). detailsNotFoundMsg is the
// store's Zoho text for "Given user authentication details not found." (such
// as MsgDetailsNotFoundFile). The error, if any, is an *Error with Code
// CodeTokenStore that wraps ErrInvalidID or ErrNothingToSave.
func CheckSave(merged *Token, detailsNotFoundMsg string) error {
	if merged.ID != "" && !ValidID(merged.ID) {
		return StoreError("invalid token id", ErrInvalidID)
	}
	if merged.GrantToken == "" && merged.RefreshToken == "" && merged.AccessToken == "" {
		return StoreError(detailsNotFoundMsg, ErrNothingToSave)
	}
	return nil
}
