package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/internal/tablename"
	"github.com/zohoauth/zohoauth/storekit"
)

// DefaultTable is the table name of Zoho's DBStore.
const DefaultTable = "oauthtoken"

// Errors of this package, to be checked with errors.Is. They arrive wrapped
// in a *zohoauth.Error with Code zohoauth.CodeTokenStore.
var (
	// ErrUnknownDialect reports a dialect name ParseDialect does not know.
	ErrUnknownDialect = errors.New("unknown SQL dialect")
	// ErrBadTableName reports a table name that is not a plain identifier.
	ErrBadTableName = errors.New("table name must be 1 to 40 letters, digits or underscores, not starting with a digit")
	// ErrIncompatibleTable reports an existing table that lacks one of
	// Zoho's columns.
	ErrIncompatibleTable = errors.New("table lacks a column of Zoho's oauthtoken table")
	// ErrTooLong reports a value longer than its column holds (a table
	// created by Zoho's SDK has varchar(255) columns). Nothing is stored.
	ErrTooLong = errors.New("value too long for its column")
	// ErrLockTimeout reports that the table's write lock was not granted in
	// time.
	ErrLockTimeout = errors.New("timed out waiting for the table's write lock")
)

// Store is a zohoauth.Store over a database/sql pool, in the table layout of
// Zoho's DBStore. It is safe for concurrent use by goroutines and by
// processes sharing the database. Close releases it.
type Store struct {
	db     *sql.DB
	drv    Driver
	d      Dialect
	table  string
	qtable string
	owned  bool      // Close closes db
	keep   *sql.Conn // holds an in-memory SQLite database open
	tries  *sql.DB   // WithLockTries: the pool of Lock's attempts; nil: db
	wal    bool      // a SQLite file in WAL mode: deletes checkpoint it

	writeSem chan struct{}                                          // one writer of this Store at a time
	lockKey  int64                                                  // PostgreSQL advisory lock
	lockName string                                                 // MySQL GET_LOCK name
	idNum    bool                                                   // MySQL: the table has idNumColumn, indexed
	lockMu   sync.Mutex                                             // guards lockSt
	lockSt   *lockStmts                                             // lock table statements, prepared on first Lock
	lockWake storekit.Waker                                         // wakes the goroutines waiting in Lock when this Store unlocks
	listener storekit.Listener                                      // LISTEN of PostgreSQL, shared by the waiters of Lock (lockwake.go)
	listen   func(context.Context) (<-chan struct{}, func(), error) // WithLockListen
	noWake   bool                                                   // WithoutLockWake
	polls    struct{ min, max, listen time.Duration }               // of Lock's waiters; zero: the defaults (tests change them)
	lifeMu   sync.Mutex                                             // serialises lifeReady
	lifeSt   atomic.Pointer[lifeStmts]                              // lifecycle table statements; nil until the table is known
	maxLen   [len(columns)]int
	// keepOrphans, set by tests only, makes SaveToken's inserts leave the
	// lifecycle records of their ids: the insert before they were deleted,
	// the baseline of its benchmark.
	keepOrphans bool

	byField  [storekit.FieldRefreshToken + 1]*sql.Stmt
	all      *sql.Stmt
	maxID    *sql.Stmt
	byEmail  *sql.Stmt // the rows of the user names email:zgid of an e-mail (a superset)
	insert   *sql.Stmt
	updMu    sync.Mutex           // guards upd and, after prepare, stmts
	upd      map[uint16]*sql.Stmt // UPDATE of the columns of a bit set; nil: to prepare
	chunks   map[string]*sql.Stmt // by text, the statements of full runs of inChunks; nil: to prepare
	deleteID *sql.Stmt
	swapRead *sql.Stmt
	swapFast *sql.Stmt // the conditional UPDATE of a swap of the access token alone (swap.go)
	stmts    []*sql.Stmt
}

var _ zohoauth.Store = (*Store)(nil)

type config struct {
	table  string
	keep   *sql.Conn
	tries  *sql.DB
	wal    bool
	noSync bool
	noWake bool                                                   // WithoutLockWake
	listen func(context.Context) (<-chan struct{}, func(), error) // WithLockListen
}

// Option configures a Store.
type Option func(*config)

// WithTable sets the table name (default DefaultTable). The name must pass
// ValidTableName; it is used exactly as given (quoted), never lower-cased.
func WithTable(name string) Option { return func(c *config) { c.table = name } }

// WithConn makes the Store hold c until Close, which closes it: an
// in-memory SQLite database lives as long as one of its connections does.
// The package sqlstore/sqlite uses it.
func WithConn(c *sql.Conn) Option { return func(cfg *config) { cfg.keep = c } }

// WithLockTries makes Lock's attempts to take a lock run on tries, a
// second pool on the same database, which the Store closes at Close (a
// failed New, Own or Open closes it too). The package sqlstore/sqlite uses it
// for a database file: its tries pool does not wait for a busy database
// (a busy timeout of 0), so that an attempt made while another connection
// writes — the holder saving the renewed token, then releasing the lock —
// fails at once (the Driver's Retryable) and is made again a millisecond
// or so later, after the waiter's check (storekit.LockChecker) has read the
// store again, rather than sleeping in SQLite's busy handler through the
// save and the release and taking a lock it no longer needs.
func WithLockTries(tries *sql.DB) Option { return func(cfg *config) { cfg.tries = tries } }

// WithWALScrub makes every delete checkpoint a SQLite database's WAL into
// the database file and truncate it, so that a deleted token's secrets are
// left in neither file (with SQLite's secure_delete on). The package
// sqlstore/sqlite uses it for a database file in WAL mode.
func WithWALScrub() Option { return func(cfg *config) { cfg.wal = true } }

// WithoutCommitSync makes a SQLite database file commit without syncing
// its WAL to the disk (synchronous=NORMAL instead of FULL): a save costs
// less, and the database stays consistent whatever happens, but the last
// saves acknowledged before a power failure or an operating system crash
// may be lost — a refresh token Zoho has just issued (invalidating the one
// before it when the limit of refresh tokens is reached), or a login.
// A crash of the program alone loses nothing either way. The package
// sqlstore/sqlite reads it (CommitSync); other engines ignore it.
func WithoutCommitSync() Option { return func(cfg *config) { cfg.noSync = true } }

// CommitSync reports whether a SQLite database opened with opts syncs its
// WAL at every commit: true unless opts hold WithoutCommitSync.
func CommitSync(opts ...Option) bool {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	return !cfg.noSync
}

// ValidTableName reports whether name can be a table name: 1 to 40 ASCII
// letters, digits or underscores, not starting with a digit. Nothing else
// reaches the SQL text, so nothing can be injected through it.
func ValidTableName(name string) bool { return tablename.Valid(name) }

// New returns a Store on a pool the caller opened with drv's database/sql
// driver, and keeps; Close does not close it. The table is created when
// missing, and indexes on the look-up columns are added. A SQLite pool
// should be opened with _txlock=immediate and a _busy_timeout (as
// sqlite.Open does) to be shared between processes.
func New(ctx context.Context, db *sql.DB, drv Driver, opts ...Option) (*Store, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if drv == nil || !drv.Dialect().valid() {
		closeTries(cfg.tries)
		return nil, storekit.StoreError("cannot open", ErrUnknownDialect)
	}
	s, err := newStore(ctx, db, drv, opts)
	if err != nil {
		closeTries(cfg.tries)
	}
	return s, err
}

// closeTries closes the WithLockTries pool of a Store that failed to open.
func closeTries(tries *sql.DB) {
	if tries != nil {
		_ = tries.Close()
	}
}

// Open opens a pool for drv's database/sql driver (Dialect.DriverName) on
// dsn, and returns a Store that owns it (Own). The driver packages check
// the DSN and call it; the driver must be registered (imported).
func Open(ctx context.Context, drv Driver, dsn string, opts ...Option) (*Store, error) {
	if drv == nil || !drv.Dialect().valid() {
		return nil, storekit.StoreError("cannot open", ErrUnknownDialect)
	}
	db, err := sql.Open(drv.Dialect().DriverName(), dsn)
	if err != nil {
		// The driver parsed the DSN and refused it.
		return nil, storekit.StoreError("cannot open", fmt.Errorf("%w: %w", ErrBadDSN, err))
	}
	// database/sql keeps 2 idle connections by default: concurrent callers
	// would reconnect and prepare again and again.
	db.SetMaxIdleConns(16)
	return Own(ctx, db, drv, opts...)
}

// Own is New for a pool the Store owns: Close closes it, and so does a
// failed Own. The driver packages open their stores with it.
func Own(ctx context.Context, db *sql.DB, drv Driver, opts ...Option) (*Store, error) {
	s, err := New(ctx, db, drv, opts...)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

func newStore(ctx context.Context, db *sql.DB, drv Driver, opts []Option) (*Store, error) {
	cfg := config{table: DefaultTable}
	for _, o := range opts {
		o(&cfg)
	}
	d := drv.Dialect()
	if !ValidTableName(cfg.table) {
		return nil, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: "invalid table name", Detail: fmt.Sprintf("%.60q", cfg.table), Err: ErrBadTableName}
	}
	s := &Store{db: db, drv: drv, d: d, table: cfg.table, qtable: d.quote(cfg.table), keep: cfg.keep, tries: cfg.tries, wal: cfg.wal, noWake: cfg.noWake, listen: cfg.listen, lockKey: advisoryKey(cfg.table), writeSem: make(chan struct{}, 1)}
	if d == MySQL {
		var dbName string
		if err := db.QueryRowContext(ctx, "SELECT COALESCE(DATABASE(), '')").Scan(&dbName); err != nil {
			return nil, s.storeErr("cannot connect", err)
		}
		s.lockName = "zohoauth:" + dbName + "." + cfg.table
		if len(s.lockName) > 64 { // MySQL's limit on lock names
			h := fnv.New64a()
			h.Write([]byte(s.lockName))
			s.lockName = "zohoauth:" + strconv.FormatUint(h.Sum64(), 16)
		}
	}
	cols, err := s.ensureSchema(ctx)
	if err != nil {
		return nil, err
	}
	for i, c := range columns {
		s.maxLen[i] = cols[c].maxLen
	}
	if err := s.prepare(ctx); err != nil {
		s.closeStmts()
		return nil, err
	}
	// The lifecycle table, created when missing. A failure (no right to
	// create tables, a read-only database) leaves the store working without
	// lifecycle records: their methods try again and report
	// ErrNoLifecycleTable, and deletes have no records to delete.
	_, _ = s.lifeReady(ctx)
	return s, nil
}

// selectList is the column list of every SELECT: Zoho's columns by name.
const selectList = "id, user_name, client_id, client_secret, refresh_token, access_token, grant_token, expiry_time, redirect_url, api_domain"

func (s *Store) prepare(ctx context.Context) error {
	p := func(query string) (*sql.Stmt, error) {
		st, err := s.db.PrepareContext(ctx, s.d.rebind(query))
		if err != nil {
			return nil, s.storeErr("cannot prepare statements", err)
		}
		s.stmts = append(s.stmts, st)
		return st, nil
	}
	var err error
	for _, f := range []storekit.Field{storekit.FieldID, storekit.FieldUserName, storekit.FieldAccessToken, storekit.FieldGrantToken, storekit.FieldRefreshToken} {
		if s.byField[f], err = p("SELECT " + selectList + " FROM " + s.qtable + " WHERE " + f.Column() + " = ?"); err != nil {
			return err
		}
	}
	// The user names email:zgid of an e-mail: a range of the ordered
	// user_name index (byte order: SQLite's BINARY, the binary collation of
	// MySQL tables made here; a case-insensitive one of a table made
	// elsewhere gives a superset), and on PostgreSQL, whose user_name index
	// is a hash, the equality of the e-mail index (schema.go).
	byEmail := "SELECT " + selectList + " FROM " + s.qtable + " WHERE user_name >= ? AND user_name < ?"
	if s.d == Postgres {
		byEmail = "SELECT " + selectList + " FROM " + s.qtable + " WHERE " + emailExpr + " = ?"
	}
	if s.byEmail, err = p(byEmail); err != nil {
		return err
	}
	if s.all, err = p("SELECT " + selectList + " FROM " + s.qtable); err != nil {
		return err
	}
	var maxID string
	switch s.d {
	case SQLite:
		maxID = "SELECT ltrim(id, '0') FROM " + s.qtable + " WHERE id NOT GLOB '*[^0-9]*' AND length(ltrim(id, '0')) BETWEEN 1 AND 19" +
			" ORDER BY length(ltrim(id, '0')) DESC, ltrim(id, '0') DESC LIMIT 1"
	case Postgres:
		maxID = "SELECT ltrim(id, '0') FROM " + s.qtable + ` WHERE id ~ '^[0-9]+$' AND length(ltrim(id, '0')) BETWEEN 1 AND 19` +
			` ORDER BY length(ltrim(id, '0')) DESC, ltrim(id, '0') COLLATE "C" DESC LIMIT 1`
	case MySQL:
		if s.idNum {
			maxID = "SELECT CAST(COALESCE(MAX(" + idNumColumn + "), 0) AS CHAR) FROM " + s.qtable
		} else {
			// Without idNumColumn: a scan of the smallest index.
			maxID = "SELECT CAST(COALESCE(MAX(CAST(id AS UNSIGNED)), 0) AS CHAR) FROM " + s.qtable
		}
	}
	if s.maxID, err = p(maxID); err != nil {
		return err
	}
	if s.insert, err = p("INSERT INTO " + s.qtable + " (" + selectList + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"); err != nil {
		return err
	}
	if s.deleteID, err = p("DELETE FROM " + s.qtable + " WHERE id = ?"); err != nil {
		return err
	}
	// The swap's read locks the row on the servers (a locking read of
	// its latest version): a one-statement swap (swapAccess), which takes
	// no table lock, waits for the transaction's commit, and then finds
	// the row changed; or the read waits for it, and finds the row
	// changed. SQLite's transaction holds the database's write lock.
	swapRead := "SELECT access_token, expiry_time FROM " + s.qtable + " WHERE id = ?"
	if s.d != SQLite {
		swapRead += " FOR UPDATE"
	}
	if s.swapRead, err = p(swapRead); err != nil {
		return err
	}
	// The one-statement swap of a refresh (swap.go), when the table's
	// columns allow it: a table made elsewhere with an integer expiry_time
	// on PostgreSQL does not compare it with text; its swaps all run the
	// transaction.
	if st, err := s.db.PrepareContext(ctx, s.swapFastQuery()); err == nil {
		s.swapFast = st
		s.stmts = append(s.stmts, st)
	}
	return nil
}

func (s *Store) closeStmts() {
	s.updMu.Lock()
	defer s.updMu.Unlock()
	s.upd, s.chunks = nil, nil
	for _, st := range s.stmts {
		_ = st.Close()
	}
	s.stmts = nil
}

// Close releases the prepared statements and, when the Store owns the
// pool (Own, and the Open of the driver packages), closes it; an in-memory database is gone then.
// Close is not safe to call concurrently with other methods.
func (s *Store) Close() error {
	s.listener.Close()
	s.closeStmts()
	var errs []error
	if s.keep != nil {
		errs = append(errs, s.keep.Close())
		s.keep = nil
	}
	if s.owned {
		errs = append(errs, s.db.Close())
	}
	if s.tries != nil {
		errs = append(errs, s.tries.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return s.storeErr("cannot close", err)
	}
	return nil
}

// DB returns the pool the Store works on.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the Store's dialect.
func (s *Store) Dialect() Dialect { return s.d }

// Table returns the Store's table name.
func (s *Store) Table() string { return s.table }

// FindToken implements zohoauth.Store.
func (s *Store) FindToken(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	if t == nil {
		return nil, storekit.StoreError(storekit.MsgDetailsNotFoundDB, zohoauth.ErrNotFound)
	}
	found, err := storekit.Find(ctx, rows{s: s}, t)
	switch {
	case errors.Is(err, zohoauth.ErrNotFound):
		return nil, storekit.StoreError(storekit.MsgDetailsNotFoundDB, zohoauth.ErrNotFound)
	case err != nil:
		return nil, s.storeErr(storekit.MsgGetTokenDB, err)
	}
	return found, nil
}

// FindTokenByID implements zohoauth.Store.
func (s *Store) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	if !storekit.ValidID(id) {
		return nil, storekit.StoreError(storekit.MsgGetTokenByIDDB, zohoauth.ErrNotFound)
	}
	found, err := rows{s: s}.Lookup(ctx, storekit.Key{Field: storekit.FieldID, Value: id})
	if err != nil {
		return nil, s.storeErr(storekit.MsgGetTokenByIDDB, err)
	}
	if found == nil {
		return nil, storekit.StoreError(storekit.MsgGetTokenByIDDB, zohoauth.ErrNotFound)
	}
	return found, nil
}

// SaveToken implements zohoauth.Store. It reads, merges and writes inside
// one transaction that holds the table's write lock (see the package doc),
// so concurrent saves from any number of processes neither duplicate a user
// nor lose an update.
func (s *Store) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	if t == nil {
		return storekit.StoreError(storekit.MsgDetailsNotFoundDB, zohoauth.ErrNothingToSave)
	}
	if t.ID != "" && !storekit.ValidID(t.ID) {
		return storekit.StoreError(storekit.MsgSaveTokenDB, zohoauth.ErrInvalidID)
	}
	in := t.Clone()
	if err := s.checkLengths(in); err != nil {
		return err
	}
	var saved *zohoauth.Token
	err := s.withWriteLock(ctx, func(tx *sql.Tx) (err error) {
		saved, err = s.saveTx(ctx, tx, in)
		return err
	})
	if err != nil {
		return s.storeErr(storekit.MsgSaveTokenDB, err)
	}
	*t = *saved
	return nil
}

// saveTx is the save of one token (checked with checkLengths) inside a
// transaction that holds the write lock: find, merge and check
// (storekit.PlanSave), then insert or update. An insert deletes the
// lifecycle record of its id in tx. It returns the stored token.
func (s *Store) saveTx(ctx context.Context, tx *sql.Tx, in *zohoauth.Token) (*zohoauth.Token, error) {
	plan, err := storekit.PlanSave(ctx, rows{s: s, tx: tx, memo: &userRows{}}, in, storekit.MsgDetailsNotFoundDB)
	if err != nil {
		return nil, err
	}
	if plan.Old == nil {
		args := values(plan.Token)
		if _, err = tx.StmtContext(ctx, s.insert).ExecContext(ctx, args[:]...); err == nil && !s.keepOrphans {
			// A created token starts with no lifecycle record: the record
			// of its id is an orphan, left by a program that deleted the
			// token that last had the id (the greatest id plus one, which
			// Zoho's SDKs give too).
			err = s.deleteLifeTx(ctx, tx, plan.Token.ID)
		}
	} else {
		err = s.updateChanged(ctx, tx, plan.Old, plan.Token)
	}
	if err != nil {
		return nil, err
	}
	return plan.Token, nil
}

// updateChanged writes, in the row of old (as read in tx), the columns whose
// value in t differs from old's; nothing when none does. The id is never
// written (a save keeps the id of the row it updates), so an UPDATE touches
// only the indexes of the columns that changed, and a column whose stored
// bytes read as t's value (an empty string for an absent value, another
// spelling of the same expiry) keeps its bytes.
func (s *Store) updateChanged(ctx context.Context, tx *sql.Tx, old, t *zohoauth.Token) error {
	if old.ID != t.ID {
		return fmt.Errorf("save of row %.12q would change its id", old.ID)
	}
	nv, ov := values(t), values(old)
	var set uint16
	args := make([]any, 0, len(columns))
	for i := 1; i < len(columns); i++ { // 0 is the id
		if nv[i] != ov[i] {
			set |= 1 << i
			args = append(args, nv[i])
		}
	}
	if set == 0 {
		return nil
	}
	return s.execUpdate(ctx, tx, set, append(args, old.ID))
}

// updateQuery returns the UPDATE, by id, of the columns whose bits are set
// in set (bit i: columns[i]), in the order of columns.
func (s *Store) updateQuery(set uint16) string {
	var b strings.Builder
	b.WriteString("UPDATE " + s.qtable + " SET ")
	sep := ""
	for i, c := range columns {
		if set&(1<<i) != 0 {
			b.WriteString(sep + c + " = ?")
			sep = ", "
		}
	}
	b.WriteString(" WHERE id = ?")
	return s.d.rebind(b.String())
}

// execUpdate runs the UPDATE of the columns of set in tx: its prepared
// statement when there is one, and otherwise its text, noting set so that
// prepareUpdates prepares it once the transaction has ended (another
// connection cannot always prepare while tx holds the write lock: an
// in-memory SQLite database locks its readers out).
func (s *Store) execUpdate(ctx context.Context, tx *sql.Tx, set uint16, args []any) error {
	st := laterStmt(s, &s.upd, set)
	var err error
	if st != nil {
		_, err = tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	} else {
		_, err = tx.ExecContext(ctx, s.updateQuery(set), args...)
	}
	return err
}

// prepareUpdates prepares the UPDATE statements execUpdate noted, and the
// statements chunkStmt noted. A failure leaves the statement unprepared:
// the next save runs its text again.
func (s *Store) prepareUpdates(ctx context.Context) {
	s.updMu.Lock()
	defer s.updMu.Unlock()
	prepareLater(ctx, s, s.chunks, func(query string) string { return query })
	prepareLater(ctx, s, s.upd, s.updateQuery)
}

// laterStmt returns the Store's prepared statement of key in *m, or nil
// when there is none yet, noting key (with a nil statement) so that
// prepareUpdates prepares it once the transaction has ended.
func laterStmt[K comparable](s *Store, m *map[K]*sql.Stmt, key K) *sql.Stmt {
	s.updMu.Lock()
	defer s.updMu.Unlock()
	st, ok := (*m)[key]
	if !ok {
		if *m == nil {
			*m = map[K]*sql.Stmt{}
		}
		(*m)[key] = nil // to prepare
	}
	return st
}

// prepareLater prepares the statements laterStmt noted in m, query giving
// the text of a key; a key whose statement cannot be prepared is
// forgotten. s.updMu is held.
func prepareLater[K comparable](ctx context.Context, s *Store, m map[K]*sql.Stmt, query func(K) string) {
	for key, st := range m {
		if st != nil {
			continue
		}
		st, err := s.db.PrepareContext(ctx, query(key))
		if err != nil {
			delete(m, key)
			continue
		}
		m[key] = st
		s.stmts = append(s.stmts, st)
	}
}

// checkLengths refuses a value longer than its column (a table made by
// Zoho's SDK has varchar(255) columns), before anything is written. The
// error names the column and its limit, never the value.
func (s *Store) checkLengths(t *zohoauth.Token) error {
	v := texts(t)
	for i, max := range s.maxLen {
		// A text of at most max bytes has at most max characters.
		if max > 0 && len(v[i]) > max && utf8.RuneCountInString(v[i]) > max {
			return &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: storekit.MsgSaveTokenDB,
				Detail: fmt.Sprintf("column %s holds at most %d characters", columns[i], max), Err: ErrTooLong}
		}
	}
	return nil
}

// DeleteToken implements zohoauth.Store.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	if !storekit.ValidID(id) {
		return storekit.StoreError(storekit.MsgDeleteTokenDB, zohoauth.ErrNotFound)
	}
	err := s.withWriteLock(ctx, func(tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.deleteID).ExecContext(ctx, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return zohoauth.ErrNotFound
		}
		return s.deleteLifeTx(ctx, tx, id)
	})
	if err != nil {
		return s.storeErr(storekit.MsgDeleteTokenDB, err)
	}
	s.scrubWAL(ctx)
	return nil
}

// Tokens implements zohoauth.Store.
func (s *Store) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	list, err := scanAll(s.all.QueryContext(ctx))
	if err != nil {
		return nil, s.storeErr(storekit.MsgGetTokensDB, err)
	}
	slices.SortFunc(list, func(a, b *zohoauth.Token) int { return storekit.CompareIDs(a.ID, b.ID) })
	return list, nil
}

// DeleteTokens implements zohoauth.Store.
func (s *Store) DeleteTokens(ctx context.Context) error {
	err := s.withWriteLock(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+s.qtable); err != nil {
			return err
		}
		return s.deleteLifeTx(ctx, tx, "")
	})
	if err != nil {
		return s.storeErr(storekit.MsgDeleteTokensDB, err)
	}
	s.scrubWAL(ctx)
	return nil
}

// scrubWAL copies the WAL of a SQLite file into the database and truncates
// it, after a delete: with secure_delete on, the deleted values are then
// zeros in the database file, and the WAL no longer holds the pages that had
// them. It does its best: a reader that holds an old snapshot keeps the WAL
// (the next delete or the last Close scrubs it), and a failure is not the
// delete's.
func (s *Store) scrubWAL(ctx context.Context) {
	if s.wal {
		_, _ = s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
}

// storeErr returns err as it is when it is a *zohoauth.Error (an error of
// the contract, with its own message), and otherwise an *Error
// with Code CodeTokenStore and msg that wraps err.
//
// A driver's error in err that can quote a value is reduced to the reason
// and the column, and one that reports a configuration that cannot work is
// tagged with ErrAccessDenied, ErrBadDSN or ErrNotADatabase (driverError).
func (s *Store) storeErr(msg string, err error) error {
	if ze, ok := err.(*zohoauth.Error); ok {
		return driverError(s.drv, ze)
	}
	return storekit.StoreError(msg, driverError(s.drv, err))
}
