// Package cluster holds no code: its tests check that processes sharing a
// persistent store make one refresh per token expiry, with real
// OS processes (re-executions of the test binary) around one emulator, and
// benchmark what a coordinated refresh costs.
//
// TestCluster runs, for each persistent store (SQLite, Zoho's CSV file,
// MariaDB/MySQL, PostgreSQL, Redis, Redis Cluster), two rounds of 4 processes × 250
// goroutines asking for one token at the moment it expires: in the first,
// exactly one call reaches the token endpoint and every caller gets the same
// new token; in the second, the process holding the lock is killed
// (SIGKILL) while its refresh is in flight, and another one completes within
// the lease without losing the token or hitting Zoho's throttle.
//
// TestClusterRotation rotates the key of sealed over each persistent store
// while 4 processes × 250 goroutines keep getting a token that expires every
// second: stage a new key in the keyset file, promote it, Rekey, retire the
// old key, each step after one more refresh; no call fails, one refresh per
// expiry, and Retire finds no value under the old key.
//
// TestRedisClusterFailover kills (SIGKILL) the Redis Cluster primary that
// holds the token's slot while a refresh is in flight, starts it again once
// its replica took over, and checks that no acknowledged save is lost and
// that the kill costs at most one more call to the token endpoint. It
// kills a node of the cluster named by ZOHOAUTH_TEST_REDIS_FAILOVER_ADDRS,
// which must be a cluster of this machine that no other test uses.
//
// TestRevokeAcrossProcesses runs two processes over one SQLite file and
// the emulator, both holding the token's access token in memory: one
// revokes every token of the user (auth.Authenticator.RevokeUser), and the
// other's next API call fails with zohoauth.ErrNotFound or
// auth.ErrReauthorize after Zoho's 401, without using the stale token nor
// saving the token again.
//
// TestSweepOneProcessPerInterval runs, for each persistent store, 4
// processes that call auth.Authenticator.Sweep at the same moment over a
// store of idle tokens and orphan lifecycle records: exactly one sweeps
// (the others report the sweep skipped), the idle tokens and orphans are
// removed once, and 4 more processes within the interval all skip.
// BenchmarkSweep times a dry and an acting sweep of ZOHOAUTH_SWEEP_TOKENS
// tokens (2000 by default) on SQLite and PostgreSQL and counts the store
// calls.
//
// BenchmarkCoordinatedRefreshProcs measures the callers' wait at an expiry
// against the refresh's round trip with the followers in other OS
// processes (4 long-lived children × 250 goroutines, a 100 ms Zoho delay),
// in rounds that alternate between store lock waiters woken by the
// holder's release and the same waiters polling; BenchmarkCoordinatedRefresh
// runs its 4 authenticators over one store in one process.
//
// The database servers are named by ZOHOAUTH_TEST_MYSQL_DSN,
// ZOHOAUTH_TEST_POSTGRES_DSN, ZOHOAUTH_TEST_REDIS_ADDR,
// ZOHOAUTH_TEST_REDIS_CLUSTER_ADDRS and ZOHOAUTH_TEST_REDIS_FAILOVER_ADDRS:
// unset, their stores are skipped, or fail when CI=true.
package cluster
