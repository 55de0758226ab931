// Package storekit is for people who write a token store: a package that
// implements zohoauth.Store over some medium (a file, a database, a
// service). Programs that only use a store need the root package zohoauth
// and a store package, not this one; this package is to zohoauth what
// database/sql/driver is to database/sql.
//
// It holds what every store of this module shares, so that a new store
// applies the rules of the Store contract exactly as the others do:
//
//   - the look-up keys of a token (Key, Field, FindKeys) and the matching
//     and saving rules over a store's own rows (Rows, Find, PlanSave,
//     CheckSave, Conflicts);
//   - ids (ValidID, CompareIDs, NextID) and Zoho's expiry format
//     (FormatExpiry, ParseExpiry);
//   - the errors a store reports (StoreError) and Zoho's message texts
//     (the Msg constants), so that logs written for Zoho's SDKs still match;
//   - Table, an indexed in-memory set of tokens with those rules, for a
//     store that keeps its tokens in memory or needs an index of them;
//   - the wait of a lock held by another owner (LockWait, Waker), for a
//     store that is a zohoauth.Locker, and LockChecker, a Locker whose
//     waiters leave without the lock once the holder did the work
//     (LockWait.Done gives it).
//
// A store must implement the six methods of zohoauth.Store. It may add the
// optional capabilities a caller discovers with a type assertion:
// zohoauth.Locker (a named lock with a lease, shared by every process of the
// store; the name of a token's lock is LockName), zohoauth.CompareAndSwapper
// (a save guarded by the token the caller read), zohoauth.BatchSaver (many
// tokens in one transaction) and zohoauth.Pager (the tokens a page at a
// time). The package storetest checks a store and each capability it has
// against the contract in one line of test: storetest.Run(t, newStore).
//
// A store that keeps its tokens in the process may also be a Deriver: it
// keeps, beside each stored token, the token a wrapper derived from it (the
// sealed store: the token decrypted) until the stored token changes, so a
// find through the wrapper costs no more than the store's own. Table does
// the keeping for a store built on it.
package storekit
