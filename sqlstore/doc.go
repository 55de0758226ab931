// Package sqlstore is a zohoauth.Store over database/sql, in the table of
// Zoho's DBStore, for MySQL and MariaDB, PostgreSQL, and SQLite (a file, or
// a database in memory). It links no database driver: each driver has a
// package of its own that opens Stores with it, so that a program links
// only the drivers it uses.
//
//	s, err := sqlite.Open(ctx, sqlite.DefaultPath) // sqlstore/sqlite: zohooauth.db, as Zoho's sample
//	s, err := mysql.Open(ctx, "root@tcp(127.0.0.1:3306)/zohooauth") // sqlstore/mysql
//	s, err := postgres.Open(ctx, "postgres://u@host/zohooauth", sqlstore.WithTable("tokens")) // sqlstore/postgres
//	s, err := postgres.New(ctx, db) // on a pool you own
//
// # Zoho's table
//
// The default table is oauthtoken with Zoho's ten columns in Zoho's order
// (id, user_name, client_id, client_secret, refresh_token, access_token,
// grant_token, expiry_time, redirect_url, api_domain), because Zoho's SDKs
// read rows by position. A table made by Zoho's SDK (ZohoDDL) is used as it
// is; when the table is missing it is created with the same columns but
// types wide enough for any token (text rather than varchar(255); MySQL
// tables are utf8mb4). Absent fields are written as NULL and expiry_time as
// epoch milliseconds, as Zoho's SDKs do, so either side reads the other's
// rows. Indexes are added on user_name, access_token, refresh_token and
// grant_token (hash indexes on PostgreSQL, 191-character prefix indexes on
// MySQL), and an index that finds the greatest numeric id without a scan:
// an expression index on SQLite and PostgreSQL; on MySQL and MariaDB, which
// has no expression index, an index on an INVISIBLE generated column,
// zohoauth_idnum, that SELECT * and INSERT without a column list leave out
// (where it cannot be added — an old server, no ALTER right — new ids come
// from a scan of the primary key instead). The official SDKs neither see
// nor mind any of these. Only what is missing is created, so a database
// user with no right but reading and writing rows can use a complete table.
// Opening reads the schema first without any lock or write: a complete
// schema is used as it is, so opening a store to read writes nothing (a
// read-only SQLite database opens); only a missing table, index or column
// takes the write lock, and is checked again under it.
// A value longer than a varchar column of a Zoho-made table is refused with
// ErrTooLong before anything is written (and Open puts MySQL sessions in
// strict mode, so the server refuses what slips through), never truncated.
//
// # Secrets at rest and in errors
//
// sqlite.Open creates the database file 0600 whatever the umask (SQLite gives
// its -wal and -shm files the same mode) and takes the group's and others'
// bits from an existing one. It turns secure_delete on and checkpoints the
// WAL after every delete, so that a deleted token's secrets stay in neither
// file; a value overwritten by a save stays in the WAL until the next
// checkpoint. A commit syncs the WAL (synchronous=FULL), so that an
// acknowledged save survives a power failure; WithoutCommitSync trades
// that for cheaper saves (about ten times, measured on a local disk). A driver error that can quote a value (MySQL's "Incorrect
// string value: '\xFF…'", PostgreSQL's "Key (col)=(value)" details) is
// reduced to the reason and the column before it leaves the store; errors of
// a configuration that cannot work wrap ErrAccessDenied, ErrBadDSN,
// ErrNotAFile, ErrNotADatabase or ErrIncompatibleTable.
//
// # Concurrency
//
// Every statement is prepared once and parameterised; the table name, the
// only text put into SQL, must pass ValidTableName. Reads run on the pool
// without a transaction. Every write (save, delete) runs in a transaction
// that holds a write lock on the table, shared by all processes: BEGIN
// IMMEDIATE with a busy timeout on SQLite, pg_advisory_xact_lock on
// PostgreSQL, GET_LOCK on MySQL. Inside it the save finds the stored token,
// merges, checks for conflicts and allocates the id (storekit.PlanSave),
// then writes only the columns whose value changed (never the id, so only
// the indexes of those columns are touched): so concurrent saves from many processes neither duplicate a
// user (Zoho's table has no unique key on user_name) nor lose an update, and
// new ids are the greatest numeric id plus one, compared as numbers (Zoho's
// string max(id) gives "10" twice, at the eleventh token). A save is
// therefore a few round trips, not one upsert statement: no single
// statement can apply the contract's matching rules to a table without a
// unique key, and a lock-free upsert could not keep ids numeric and unique.
// The writers of one Store queue in the process first, so that only one per
// process waits on the database.
//
// # Locks and guarded saves
//
// Store is a zohoauth.Locker: a lock is a row (name, owner, expires) of a
// table of its own, the token table's name + "_locks" (oauthtoken_locks),
// created on the first Lock, so Zoho's table and its SELECT * readers never
// see it. The owner is 128 random bits; the lease's end is in epoch
// milliseconds of the DATABASE's clock (machines' clocks may differ; the
// database's is the one they share). Taking a lock is one upsert that takes
// a row over only when its lease ran out (ON CONFLICT … DO UPDATE … WHERE on
// PostgreSQL and SQLite; ON DUPLICATE KEY UPDATE with IF on MySQL, whose
// owner is then read back); extending and releasing are an UPDATE and a
// DELETE on name and owner, so a stale owner can do neither
// (zohoauth.ErrLockLost). Waiters are woken by a release in any process —
// PostgreSQL's LISTEN/NOTIFY, MySQL's GET_LOCK on a named lock the holder
// holds (a wake-up only: the lease decides), a watch of a SQLite file's
// directory (inotify) — and keep a fallback poll of 250 ms at most; without
// a wake-up (WithoutLockWake) they poll every 10 to 50 ms, jittered. On
// PostgreSQL the lock table is UNLOGGED, so that a lock costs no WAL flush:
// a server crash or a fail-over frees every lock (holders learn it at their
// next Extend, and their writes are guarded by SwapToken).
// Locks die with their lease, not with a connection: MySQL's GET_LOCK (used
// above for wake-ups only) and
// PostgreSQL's session advisory locks would free a crashed holder's lock at
// once, but they cannot lapse under a holder that hangs with its connection
// open, and a pool hands sessions around, so they are not used. A lock
// whose holder crashed stays as a row until a waiter takes it over.
//
// Store is a zohoauth.CompareAndSwapper: SwapToken compares the stored
// access token and expiry_time string and saves in the same transaction,
// under the write lock, with the save path of SaveToken; its read locks the
// row (FOR UPDATE) on the servers. The swap of a refresh (the access token
// and expiry change, nothing else) is one UPDATE of those two columns whose
// WHERE compares every column with the token read, without the write lock;
// when it changes no row, the transaction runs and reports.
//
// On a SQLite file, Lock's attempts run on connections of their own that
// do not wait for a busy database (WithLockTries): a waiter woken by the
// holder's save, which SQLite shows to readers only once its commit ends,
// checks again a millisecond later instead of sleeping in SQLite's busy
// handler through the save and the release.
//
// Store is a zohoauth.BatchSaver: SaveTokens saves a batch in one
// transaction under the write lock, all or nothing. It reads the stored rows
// the batch can touch once (none for an empty table), applies the rules of
// SaveToken (storekit.PlanSave) to an index of them in memory, and writes
// with multi-row INSERTs of 500 rows: about as fast as the bare driver's
// multi-row INSERT of the same rows (see BenchmarkSaveTokens).
//
// # Lifecycle records
//
// Store is a zohoauth.LifecycleKeeper: a token's record is a row of a table
// of its own, the token table's name + "_lifecycle" (oauthtoken_lifecycle),
// so Zoho's table keeps its ten columns and its rows. Its primary key is
// (num, id), num being the id's numeric value, so records are paged in
// numeric id order by the key; times are epoch milliseconds in BIGINT
// columns, as Zoho keeps expiry_time, NULL for the zero time; last_error is
// text. The table is created at open when missing (a read of the schema
// first, so a complete schema begins no write); a user who may not create
// it still gets a working store, whose lifecycle methods report
// ErrNoLifecycleTable (LifecycleDDL gives an administrator the statement).
// UpdateLifecycle upserts an empty row and reads it back with SELECT … FOR
// UPDATE in one transaction (on SQLite, the write transaction), so
// concurrent updates of one id queue on its row without taking the token
// table's write lock. DeleteToken and DeleteTokens delete the records in
// their own transaction, and an insert (SaveToken, SaveTokens) deletes the
// record of its id in its own: a new token takes the greatest id plus one,
// as with Zoho's SDKs, which may be the id of a row that Zoho's SDK deleted,
// leaving its record, and must not inherit it.
//
// # Drivers
//
// SQLite goes through github.com/mattn/go-sqlite3, the C SQLite library
// through cgo (package sqlstore/sqlite, whose doc says why and what a build
// needs); MySQL and MariaDB through github.com/go-sql-driver/mysql (package
// sqlstore/mysql); PostgreSQL through github.com/jackc/pgx/v5 (package
// sqlstore/postgres). A Driver tells the Store its dialect and how to read
// the driver's errors; another driver of one of the three dialects can be
// used by implementing it and passing it to New.
package sqlstore
