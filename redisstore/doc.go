// Package redisstore is a zohoauth.Store on Redis, shared by every process
// and machine that uses the same Redis and key prefix. It also implements
// the optional capabilities zohoauth.Locker (a lease lock with an owner
// token), zohoauth.CompareAndSwapper and zohoauth.BatchSaver.
//
// # Keys
//
// Every key starts with the store's prefix (WithPrefix, "zohoauth:" by
// default):
//
//	<prefix>token:<id>                 hash, Zoho's 10 column names as fields
//	                                   (id, user_name, client_id, client_secret,
//	                                   refresh_token, access_token, grant_token,
//	                                   expiry_time as epoch ms, redirect_url,
//	                                   api_domain); "" for an absent field
//	<prefix>idx:user_name:<name>       set of the ids of a user name (names
//	                                   longer than 128 bytes: idx:user_name#<sha256 hex>)
//	<prefix>idx:access_token#<sha256>  set of ids, and the same for grant_token
//	                                   and refresh_token
//	<prefix>ids                        sorted set of every id, scored by its value
//	<prefix>next_id                    the id counter (INCR); never reset
//	<prefix>lock:<name>                a held lock: its owner token, with a TTL
//	<prefix>life:<id>                  hash, the token's lifecycle record
//	                                   (zohoauth.LifecycleKeeper): login_at,
//	                                   last_used_at, last_refresh_at,
//	                                   last_failure_at, exhausted_at as epoch ms
//	                                   ("" for none), failures, failure_days,
//	                                   last_error
//	<prefix>life_ids                   sorted set of the ids with a record,
//	                                   scored by their value (orphans included)
//
// A record is written by WATCH and MULTI/EXEC on its hash, and deleted with
// its token by the same script; the script that inserts a token deletes the
// record of its id (an orphan, for an id given by the caller whose token
// another program deleted). DeleteTokens removes every record.
//
// Secrets never appear in key names: the index of a grant, refresh or access
// token is named by the SHA-256 of the token, so a SCAN, MONITOR or the slow
// log shows no token, and a 4 KiB token does not make a 4 KiB key. An index
// holds ids, and every match is checked against the token's hash.
//
// # Consistency
//
// A token and its index entries change together in one MULTI/EXEC that runs
// one script: it first checks that every key it writes is absent or of the
// layout's type, then writes, so a write is all or nothing even when
// something else left a key of the wrong type under the prefix (the write
// fails with a *KeyTypeError, matching ErrWrongType, and changes no key). A
// save reads what it depends on under WATCH (the index sets it looks in, the
// tokens it reads), applies the saving rules of the Store contract
// (storekit.PlanSave) in the client, and retries when another writer changed
// a watched key in the meantime; so concurrent saves from many processes
// give neither a duplicate row for one user nor a lost update. New ids come
// from INCR of the counter, which a token saved with its own id raises to
// that id in the same transaction, so an id is never handed out twice and
// never reused, even after DeleteTokens; the counter is taken only after the
// keys the new token goes into are checked the same way. A find is one Lua
// script (the index set and the tokens it names, read atomically), or one
// HGETALL by id.
//
// # Operating the Redis
//
// Tokens are credentials: run the Redis with persistence (AOF, or RDB
// snapshots at the least) and with maxmemory-policy noeviction, since an
// evicted token or index breaks what the store guarantees. The store sets
// no TTL on tokens; only held locks expire.
//
// # Redis Cluster
//
// A store works on a Redis Cluster (Open with redis+cluster://h1:p1,h2:p2/,
// or New with a *redis.ClusterClient). WATCH, MULTI and the scripts need
// all of a store's keys in one hash slot, so the prefix holds a hash tag: a
// prefix without one is used in braces ("zohoauth:" becomes "{zohoauth:}").
// One store therefore lives on one primary and its replicas; stores with
// different prefixes spread over the cluster.
//
// Redis replicates asynchronously: a primary acknowledges a write before
// its replicas have it, and a failover promotes a replica that may lack the
// last writes. On a cluster every write (a save, a delete, a lock taken)
// is acknowledged only after WAIT confirms it reached one replica
// (WithReplicas); a write that no replica confirms in time fails with
// ErrNotReplicated although the primary applied it. What this gives:
//
//   - A save that returned nil survives the loss of its primary, as long as
//     the replica that confirmed it is the one promoted (with one replica
//     per primary, it is). WAIT is not a consensus: a save that failed with
//     ErrNotReplicated, or whose connection broke before the answer, may be
//     there or not after a failover.
//   - A lock taken is replicated the same way before Lock returns; one that
//     no replica confirms in time (WithReplicas's timeout, at most half the
//     lease) is given back and Lock fails. The lease runs from the SET, so a
//     lock whose replica confirmed it only after the lease ran out (a
//     replica that finishes copying its primary confirms every waiting write
//     at once) may belong to another owner by then: Lock checks that it
//     still owns the lock, renews its lease, and otherwise waits on. A lock
//     is a lease, not a fence: a failover can still leave two owners for a
//     moment (a renewal is not waited for), and the compare-and-swap of the
//     save (SwapToken) is what keeps the second from overwriting a newer
//     token.
//   - While the slot's primary is down and until its replica is promoted
//     (cluster-node-timeout plus an election: a few seconds), reads and
//     writes of the store fail with the driver's error. With one replica per
//     primary, the promoted replica has none: writes keep failing with
//     ErrNotReplicated until another replica (the old primary, restarted)
//     has joined it and copied its data, a full synchronisation that Redis
//     starts repl-diskless-sync-delay (5 s by default) after the replica
//     asks. Without persistence, restart a dead node only once its replica
//     took over: started before, it comes back as an empty primary of its
//     slots and its replica copies that. A client made by Open reloads its
//     map of slots every second and after a network error; a client given to
//     New keeps go-redis's default (a minute, or a MOVED answer), so set its
//     ClusterStateReloadInterval.
//
// On a single Redis nothing is waited for (WithReplicas turns it on when the
// server has replicas): across a crash of that server, what survives is
// what its persistence (AOF with appendfsync always, or everysec and its
// last second lost) kept; without persistence, nothing.
package redisstore
