package zohoauth

import "context"

// Store persists tokens: the TokenStore of Zoho's SDKs, in Go. A Store only
// stores, finds and deletes; it knows nothing of refresh. Implementations
// must be safe for concurrent use by multiple goroutines, must copy every
// token they are given or return (a caller that changes a token it passed or
// received does not change the store), and report every failure as an *Error
// with Code CodeTokenStore and Zoho's message text, wrapping the cause.
// The package storekit holds what a store's author needs to apply these
// rules, and the package storetest checks all of this in one line of test.
//
// # Matching
//
// A token is found by the first of its keys that is set:
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
// A UserName without ':' that no stored token has exactly is an e-mail: it
// matches the stored tokens of the user email:zgid (Zoho's SDKs store user
// names in that form), never those of a longer e-mail that shares its
// prefix. When those tokens belong to more than one user name (several
// zgids), FindToken fails with an error matching storekit.ErrAmbiguous. A
// store finds them through an index, not a scan. Saves match user names
// exactly.
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
	//   - with ErrInvalidID when t.ID is set and not a valid id (1 to 10
	//     decimal digits);
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
