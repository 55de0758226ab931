// Package sealed keeps the secrets of a zohoauth.Store encrypted at rest: a
// wrapper over any store (memory, list, file, SQL, Redis or a custom one)
// that encrypts the client secret, grant token, refresh token and access
// token of every token it saves and decrypts them on the way out, with keys
// that rotate online.
//
// # What it protects
//
// A stolen token file, database file, backup, mysqldump, Redis RDB file, or
// a read-only database account, yields ciphertexts only: the keys live in a
// keyset file (mode 0600) or an environment variable, never in the store.
// It does not protect against a process that holds the keyset (it can read
// every token), nor against a writer of the store who deletes rows or puts
// back an older copy of a row (a ciphertext is bound to its column, not to
// its row: a value copied within one column between rows still decrypts,
// see below).
//
// # Cryptography
//
// No cryptography is home-made: values are encrypted with Tink for Go
// (github.com/tink-crypto/tink-go/v2), Google's misuse-resistant library,
// which is maintained, audited, and gives keysets with 32-bit key ids that
// every ciphertext carries in its prefix. Every field uses Tink's
// deterministic AEAD, AES-256-SIV (RFC 5297): the access, grant and refresh
// tokens are looked up by value (zohoauth.Store's matching rules), so the
// same value must give the same ciphertext for the inner store's indexes to
// find it; the client secret uses the same key for one keyset and one key
// id space (a randomized AEAD would hide only whether two tokens share a
// secret, which their plain client ids already tell). The column name is
// the associated data: a ciphertext moved to another column fails to
// decrypt. Deterministic encryption shows which rows hold equal values of
// one column, and nothing else.
//
// # Stored form
//
// An encrypted value is Prefix ("zs1:", the format version) followed by
// the unpadded base64url of Tink's ciphertext (key id, synthetic IV,
// encrypted bytes); IsSealed tells it from a plain value, so plain and
// encrypted rows can coexist while a store is encrypted (Mode Migrate) or
// decrypted (Mode Unseal). EncodedLen gives the size: a 70-character
// refresh token is stored in 126 characters, and Zoho's varchar(255)
// columns hold values of up to 167 bytes.
//
// # Keys and rotation
//
// A Keyset is edited by the operator (NewKeyset, Stage, Promote, Retire,
// WriteFile); a Keyring is the live keyset of a process, read from a Source
// (File or Env). Writes use the primary key; reads use any key; look-ups try
// the ciphertext under the primary key first and under the older keys after.
// A keyring re-reads its source before each write and when a value names a
// key it does not hold (then retries once), so a rotation reaches a fleet
// without restarts: stage the new key (every process learns it), promote
// it, Rekey the store, and Retire the old key, which Retire refuses while
// any stored value still uses it.
//
// # Secrets in memory
//
// A Keyring remembers recent encryptions of look-up values and openings of
// whole tokens (see WithCacheSize), so that a find of a token read recently
// costs one look-up in memory instead of AES-SIV on each field: up to
// DefaultCacheSize tokens' plain secrets stay in the process's memory while
// its keyset does not change. Over the memory store they are there anyway
// (the caller's values); over a file, SQL or Redis store the cache is what
// the wrapper adds to what a memory dump of the process shows. The cache is
// bounded, never written anywhere, and dropped whole when the keyset
// changes (a retired key's values are then refused, not opened from
// memory); a process that must not keep secrets between calls sets
// WithCacheSize(0).
//
// Over a store that is a storekit.Deriver (the memory store), the wrapper
// also hands each token it opens to the inner store, which keeps its plain
// secrets beside the stored token: a later find through the wrapper is the
// inner store's find and nothing more. In Strict mode under a keyset of one
// key, where every plain value has exactly one stored form, the inner store
// is also asked by the plain access, grant or refresh token (it indexes the
// openings it keeps by them), so that such a find needs no encryption of
// the value either; during a rotation (two keys) and in the other modes the
// value's stored forms are looked up in order, as over any store. The inner
// store serves an opening only to the keyset that made it, and drops it as
// soon as the stored token is saved, swapped or deleted, so a value changed
// under the wrapper is opened (and checked) again; it keeps one opening per
// stored token at most (the tokens of a memory store are in the process
// anyway). WithCacheSize(0) keeps none there either.
//
// # Errors
//
// A value that cannot be read fails with a *ValueError naming the field,
// the token id and the key id, matching ErrUnknownKey (a wrong keyset or a
// retired key), ErrDecrypt (a changed byte, a value moved from another
// column), ErrFormat, ErrPlainValue or ErrSealedValue: never a fallback to
// the stored text, and nothing in the store is overwritten. Errors never
// hold a secret value or key material. The store's errors are
// *zohoauth.Error values with Code zohoauth.CodeTokenStore, as the Store
// contract requires.
package sealed
