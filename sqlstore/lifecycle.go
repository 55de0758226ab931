package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// LifecycleTableSuffix is appended to the token table's name to name the
// table of lifecycle records (oauthtoken_lifecycle for Zoho's table).
const LifecycleTableSuffix = "_lifecycle"

// MsgLifecycle is the Message of the errors of the lifecycle methods.
const MsgLifecycle = "Exception in lifecycle - DBStore"

// ErrNoLifecycleTable reports a store whose lifecycle table is missing and
// could not be created (a database user without the right to create
// tables, a read-only database): the store works, but keeps no lifecycle
// record until the table is created (see LifecycleDDL).
var ErrNoLifecycleTable = errors.New("the table of lifecycle records is missing and cannot be created")

// lifecycleColumns are the columns of the lifecycle table, in order. num
// is the numeric value of id (the first part of the primary key, so that
// records are paged in numeric order by the key); times are epoch
// milliseconds, NULL for the zero time.
var lifecycleColumns = [...]string{
	"num", "id", "login_at", "last_used_at", "last_refresh_at", "last_failure_at", "exhausted_at",
	"failures", "failure_days", "last_error",
}

const lifecycleSelect = "id, login_at, last_used_at, last_refresh_at, last_failure_at, exhausted_at, failures, failure_days, last_error"

// LifecycleDDL returns the statement that creates the lifecycle table of
// the token table table on dialect d, for a database administrator who
// creates it for a user without that right. The name must pass
// ValidTableName.
func LifecycleDDL(d Dialect, table string) string {
	return d.createLifecycleTable(d.quote(table + LifecycleTableSuffix))
}

// createLifecycleTable returns the statement that creates the lifecycle
// table q: the primary key (num, id) keeps records in numeric id order,
// with ids of one value ("7", "007") in byte order.
func (d Dialect) createLifecycleTable(q string) string {
	switch d {
	case MySQL:
		return "CREATE TABLE IF NOT EXISTS " + q + " (num BIGINT UNSIGNED NOT NULL, id varchar(10) CHARACTER SET ascii COLLATE ascii_bin NOT NULL," +
			" login_at BIGINT NULL, last_used_at BIGINT NULL, last_refresh_at BIGINT NULL, last_failure_at BIGINT NULL, exhausted_at BIGINT NULL," +
			" failures BIGINT NOT NULL DEFAULT 0, failure_days BIGINT NOT NULL DEFAULT 0, last_error TEXT NOT NULL," +
			" PRIMARY KEY (num, id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
	case Postgres:
		return "CREATE TABLE IF NOT EXISTS " + q + ` (num bigint NOT NULL, id varchar(10) COLLATE "C" NOT NULL,` +
			" login_at bigint, last_used_at bigint, last_refresh_at bigint, last_failure_at bigint, exhausted_at bigint," +
			" failures bigint NOT NULL DEFAULT 0, failure_days bigint NOT NULL DEFAULT 0, last_error text NOT NULL DEFAULT ''," +
			" PRIMARY KEY (num, id))"
	}
	return "CREATE TABLE IF NOT EXISTS " + q + " (num INTEGER NOT NULL, id TEXT NOT NULL," +
		" login_at INTEGER, last_used_at INTEGER, last_refresh_at INTEGER, last_failure_at INTEGER, exhausted_at INTEGER," +
		" failures INTEGER NOT NULL DEFAULT 0, failure_days INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT ''," +
		" PRIMARY KEY (num, id)) WITHOUT ROWID"
}

// lifeStmts are the prepared statements of the lifecycle table.
type lifeStmts struct {
	get, placeholder, lock, update, del, delAll *sql.Stmt
}

// lifeNum returns the numeric value of a valid id.
func lifeNum(id string) uint64 {
	n, _ := strconv.ParseUint(id, 10, 64) // a valid id: 1 to 10 digits
	return n
}

// lifeReady returns the statements of the lifecycle table, creating the
// table when it is missing (under the table's write lock, as the lock
// table is). A failure is an error wrapping ErrNoLifecycleTable, or
// ErrIncompatibleTable when a table of that name lacks a column; the next
// call tries again.
func (s *Store) lifeReady(ctx context.Context) (*lifeStmts, error) {
	if st := s.lifeSt.Load(); st != nil {
		return st, nil
	}
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if st := s.lifeSt.Load(); st != nil {
		return st, nil
	}
	name := s.table + LifecycleTableSuffix
	cols, err := s.readColumnsOf(ctx, s.db, name)
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		err := s.withWriteLock(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, s.d.createLifecycleTable(s.d.quote(name)))
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoLifecycleTable, err)
		}
		if cols, err = s.readColumnsOf(ctx, s.db, name); err != nil {
			return nil, err
		}
	}
	for _, c := range lifecycleColumns {
		if _, ok := cols[c]; !ok {
			return nil, fmt.Errorf("%w: table %s has no column %s", ErrIncompatibleTable, name, c)
		}
	}
	q := s.d.quote(name)
	var placeholder string
	switch s.d {
	case MySQL:
		// ON DUPLICATE KEY takes the row's exclusive lock at once (INSERT
		// IGNORE would take a shared one, and two of them deadlock on the
		// FOR UPDATE that follows).
		placeholder = "INSERT INTO " + q + " (num, id, last_error) VALUES (?, ?, '') ON DUPLICATE KEY UPDATE num = num"
	case Postgres:
		placeholder = "INSERT INTO " + q + " (num, id, last_error) VALUES (?, ?, '') ON CONFLICT (num, id) DO NOTHING"
	default:
		placeholder = "INSERT OR IGNORE INTO " + q + " (num, id, last_error) VALUES (?, ?, '')"
	}
	lock := "SELECT " + lifecycleSelect + " FROM " + q + " WHERE num = ? AND id = ?"
	if s.d != SQLite { // SQLite's write transaction holds the database
		lock += " FOR UPDATE"
	}
	queries := []string{
		"SELECT " + lifecycleSelect + " FROM " + q + " WHERE num = ? AND id = ?",
		placeholder,
		lock,
		"UPDATE " + q + " SET login_at = ?, last_used_at = ?, last_refresh_at = ?, last_failure_at = ?, exhausted_at = ?," +
			" failures = ?, failure_days = ?, last_error = ? WHERE num = ? AND id = ?",
		"DELETE FROM " + q + " WHERE num = ? AND id = ?",
		"DELETE FROM " + q,
	}
	st := make([]*sql.Stmt, len(queries))
	for i, query := range queries {
		if st[i], err = s.db.PrepareContext(ctx, s.d.rebind(query)); err != nil {
			for _, p := range st[:i] {
				_ = p.Close()
			}
			return nil, fmt.Errorf("prepare lifecycle statements: %w", err)
		}
	}
	s.updMu.Lock()
	s.stmts = append(s.stmts, st...)
	s.updMu.Unlock()
	ls := &lifeStmts{get: st[0], placeholder: st[1], lock: st[2], update: st[3], del: st[4], delAll: st[5]}
	s.lifeSt.Store(ls)
	return ls, nil
}

// lifeErr is storeErr for the lifecycle methods.
func (s *Store) lifeErr(err error) error { return s.storeErr(MsgLifecycle, err) }

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanLifecycle(r scanner) (zohoauth.Lifecycle, error) {
	var l zohoauth.Lifecycle
	var times [5]sql.NullInt64
	var failures, days int64
	if err := r.Scan(&l.ID, &times[0], &times[1], &times[2], &times[3], &times[4], &failures, &days, &l.LastError); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	for i, p := range []*time.Time{&l.LoginAt, &l.LastUsedAt, &l.LastRefreshAt, &l.LastFailureAt, &l.ExhaustedAt} {
		if times[i].Valid {
			*p = storekit.LifecycleTime(time.UnixMilli(times[i].Int64))
		}
	}
	l.Failures, l.FailureDays = int(failures), int(days)
	return l, nil
}

// lifeArgs returns the arguments of the lifecycle UPDATE of l.
func lifeArgs(l zohoauth.Lifecycle) []any {
	args := make([]any, 0, 10)
	for _, t := range []time.Time{l.LoginAt, l.LastUsedAt, l.LastRefreshAt, l.LastFailureAt, l.ExhaustedAt} {
		if ms, ok := storekit.LifecycleMillis(t); ok {
			args = append(args, ms)
		} else {
			args = append(args, nil)
		}
	}
	return append(args, int64(l.Failures), int64(l.FailureDays), l.LastError, lifeNum(l.ID), l.ID)
}

// Lifecycle returns the lifecycle record of the token with the given id,
// zero when none is kept. It implements zohoauth.LifecycleKeeper: records
// are rows of a table of their own, the token table's name +
// LifecycleTableSuffix, which Zoho's SDKs never read; times are epoch
// milliseconds in BIGINT columns, NULL for the zero time.
func (s *Store) Lifecycle(ctx context.Context, id string) (zohoauth.Lifecycle, error) {
	if err := storekit.CheckLifecycleID(ctx, MsgLifecycle, id); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	st, err := s.lifeReady(ctx)
	if err != nil {
		return zohoauth.Lifecycle{}, s.lifeErr(err)
	}
	l, err := scanLifecycle(st.get.QueryRowContext(ctx, lifeNum(id), id))
	if errors.Is(err, sql.ErrNoRows) {
		return zohoauth.Lifecycle{ID: id}, nil
	}
	if err != nil {
		return zohoauth.Lifecycle{}, s.lifeErr(err)
	}
	return l, nil
}

// UpdateLifecycle applies fn to the record of id in one transaction that
// holds the record's row lock: it inserts an empty row when there is none
// (an upsert that waits for a concurrent insert of the same id to end),
// reads it with SELECT … FOR UPDATE (on SQLite the write transaction, BEGIN
// IMMEDIATE, holds the database), calls fn, and writes the result, or
// deletes the row when the result is zero. Concurrent updates of one id,
// from any process, queue on the row and lose nothing; updates of other
// ids, and token saves, do not wait for it (except on SQLite, which has one
// writer at a time). An update that changes nothing rolls back. A deadlock
// or serialisation failure reported by the database is retried, calling
// fn again.
func (s *Store) UpdateLifecycle(ctx context.Context, id string, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, error) {
	if err := storekit.CheckLifecycleID(ctx, MsgLifecycle, id); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	st, err := s.lifeReady(ctx)
	if err != nil {
		return zohoauth.Lifecycle{}, s.lifeErr(err)
	}
	var out zohoauth.Lifecycle
	var fnErr error
	tx := func(tx *sql.Tx) error {
		num := lifeNum(id)
		if _, err := tx.StmtContext(ctx, st.placeholder).ExecContext(ctx, num, id); err != nil {
			return err
		}
		old, err := scanLifecycle(tx.StmtContext(ctx, st.lock).QueryRowContext(ctx, num, id))
		if errors.Is(err, sql.ErrNoRows) {
			// PostgreSQL: a concurrent update deleted the row between the
			// upsert and the lock. Try again.
			return errGone
		}
		if err != nil {
			return err
		}
		l, err := storekit.ApplyLifecycle(id, old, fn)
		if err != nil {
			fnErr = err
			return err
		}
		out = l
		switch {
		case l == old:
			return errUnchanged // nothing to write: roll back (the placeholder too)
		case l.IsZero():
			_, err = tx.StmtContext(ctx, st.del).ExecContext(ctx, num, id)
		default:
			_, err = tx.StmtContext(ctx, st.update).ExecContext(ctx, lifeArgs(l)...)
		}
		return err
	}
	for attempt := 0; ; attempt++ {
		fnErr = nil
		err = s.lifeTx(ctx, tx)
		if errors.Is(err, errUnchanged) {
			return out, nil
		}
		if fnErr != nil {
			return zohoauth.Lifecycle{}, fnErr
		}
		if err == nil {
			return out, nil
		}
		if attempt < 5 && (errors.Is(err, errGone) || s.drv.Retryable(err)) && ctx.Err() == nil {
			continue
		}
		return zohoauth.Lifecycle{}, s.lifeErr(err)
	}
}

// Internal outcomes of the transaction of UpdateLifecycle.
var (
	errUnchanged = errors.New("lifecycle unchanged")             // nothing to write: roll back
	errGone      = errors.New("lifecycle row deleted meanwhile") // try again
)

// lifeTx runs fn in a transaction: under the store's write lock on SQLite
// (whose transactions all take the database), a plain one elsewhere, where
// fn locks the row it changes.
func (s *Store) lifeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.d == SQLite {
		return s.withWriteLock(ctx, fn)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	return runTx(tx, fn)
}

// DeleteLifecycle deletes the record of id.
func (s *Store) DeleteLifecycle(ctx context.Context, id string) error {
	if err := storekit.CheckLifecycleID(ctx, MsgLifecycle, id); err != nil {
		return err
	}
	st, err := s.lifeReady(ctx)
	if err != nil {
		return s.lifeErr(err)
	}
	if s.d == SQLite {
		err = s.withWriteLock(ctx, func(tx *sql.Tx) error {
			_, err := tx.StmtContext(ctx, st.del).ExecContext(ctx, lifeNum(id), id)
			return err
		})
	} else {
		_, err = st.del.ExecContext(ctx, lifeNum(id), id)
	}
	if err != nil {
		return s.lifeErr(err)
	}
	return nil
}

// LifecyclesAfter returns at most limit records whose id is numerically
// greater than after, in numeric id order, orphans included: a range of
// the table's primary key.
func (s *Store) LifecyclesAfter(ctx context.Context, after string, limit int) ([]zohoauth.Lifecycle, error) {
	if err := storekit.CheckLifecyclePage(ctx, MsgLifecycle, after, limit); err != nil {
		return nil, err
	}
	if _, err := s.lifeReady(ctx); err != nil {
		return nil, s.lifeErr(err)
	}
	q := "SELECT " + lifecycleSelect + " FROM " + s.d.quote(s.table+LifecycleTableSuffix)
	var args []any
	if after != "" {
		n := lifeNum(after)
		if s.d == MySQL {
			q += " WHERE num > ? OR (num = ? AND id > ?)"
			args = []any{n, n, after}
		} else {
			q += " WHERE (num, id) > (?, ?)"
			args = []any{n, after}
		}
	}
	q += " ORDER BY num, id LIMIT ?"
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), append(args, limit)...)
	if err != nil {
		return nil, s.lifeErr(err)
	}
	defer rows.Close()
	var out []zohoauth.Lifecycle
	for rows.Next() {
		l, err := scanLifecycle(rows)
		if err != nil {
			return nil, s.lifeErr(err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, s.lifeErr(err)
	}
	return out, nil
}

// deleteLifeTx deletes, in tx, the record of id (all records when id is
// ""), when the store has its lifecycle table: the cascade of DeleteToken
// and DeleteTokens, in their transaction.
func (s *Store) deleteLifeTx(ctx context.Context, tx *sql.Tx, id string) error {
	st := s.lifeSt.Load()
	if st == nil {
		return nil
	}
	var err error
	if id == "" {
		_, err = tx.StmtContext(ctx, st.delAll).ExecContext(ctx)
	} else {
		_, err = tx.StmtContext(ctx, st.del).ExecContext(ctx, lifeNum(id), id)
	}
	if err != nil {
		return fmt.Errorf("delete lifecycle: %w", err)
	}
	return nil
}

// deleteLivesTx deletes, in tx, the records of ids, when the store has its
// lifecycle table: the orphans that the tokens a batch creates must not
// inherit (see saveTx), batchRows ids per statement. num IN and id IN
// select exactly the records of ids: an id's num is its value. A first
// query, a range of the primary key, looks for a record between the
// least and the greatest num of ids: when there is none (a migration into
// a new store: the table is empty), nothing is deleted and the DELETEs,
// which bind and look up every id, are not run.
func (s *Store) deleteLivesTx(ctx context.Context, tx *sql.Tx, ids []string) error {
	if len(ids) == 0 || s.lifeSt.Load() == nil {
		return nil
	}
	q := s.d.quote(s.table + LifecycleTableSuffix)
	lo, hi := lifeNum(ids[0]), lifeNum(ids[0])
	for _, id := range ids[1:] {
		n := lifeNum(id)
		lo, hi = min(lo, n), max(hi, n)
	}
	var one int
	err := tx.QueryRowContext(ctx, s.d.rebind("SELECT 1 FROM "+q+" WHERE num >= ? AND num <= ? LIMIT 1"), lo, hi).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("delete lifecycle: %w", err)
	}
	query := func(n int) string {
		in := "(?" + strings.Repeat(", ?", n-1) + ")"
		return "DELETE FROM " + q + " WHERE num IN " + in + " AND id IN " + in
	}
	err = s.inChunks(ctx, tx, len(ids), query, func(st *sql.Stmt, start, end int) error {
		args := make([]any, 0, 2*(end-start))
		for _, id := range ids[start:end] {
			args = append(args, lifeNum(id))
		}
		for _, id := range ids[start:end] {
			args = append(args, id)
		}
		_, err := st.ExecContext(ctx, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete lifecycle: %w", err)
	}
	return nil
}
