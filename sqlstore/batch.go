package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

var _ zohoauth.BatchSaver = (*Store)(nil)

// batchRows is the number of rows of one multi-row INSERT, and of the values
// of one IN list, in SaveTokens: 500 rows of 10 values stay far below every
// engine's limit on parameters (SQLite 32,766, MySQL and PostgreSQL 65,535).
const batchRows = 500

// fullReadFactor: SaveTokens reads the whole table, rather than the rows
// the batch can touch, when it holds at most this many rows per token of
// the batch.
const fullReadFactor = 4

// SaveTokens saves tokens in order as SaveToken does, all or nothing, in one
// transaction under the table's write lock; it implements
// zohoauth.BatchSaver. On an error nothing is saved and the tokens are left
// unchanged.
//
// Rather than a few round trips per token, it reads the stored rows the
// batch can touch once — none when the table is empty; every row when the
// table holds at most four rows per token of the batch; otherwise the rows
// that have a value the saves look up (the id of a token that has one, the
// user name, access, refresh or grant token storekit.SaveKeys names for
// one that has none) or one of the batch's user names (IN lists on the
// indexed columns), and the other rows of their users — into an indexed table in memory (storekit.Table), plans every save
// there with storekit.PlanSave, the rules of SaveToken, and then writes: an
// UPDATE per stored row that changed and multi-row INSERTs of 500 rows for
// the new ones, all prepared statements.
func (s *Store) SaveTokens(ctx context.Context, tokens []*zohoauth.Token) error {
	for _, t := range tokens {
		if t == nil {
			return storekit.StoreError(storekit.MsgDetailsNotFoundDB, zohoauth.ErrNothingToSave)
		}
		if t.ID != "" && !storekit.ValidID(t.ID) {
			return storekit.StoreError(storekit.MsgSaveTokenDB, zohoauth.ErrInvalidID)
		}
		if err := s.checkLengths(t); err != nil {
			return err
		}
	}
	if len(tokens) == 0 {
		return nil
	}
	// The tokens are planned as they are (storekit.PlanSave changes none),
	// and change only once the transaction has committed.
	var saved []*zohoauth.Token
	err := s.withWriteLock(ctx, func(tx *sql.Tx) (err error) {
		saved, err = s.saveBatchTx(ctx, tx, tokens)
		return err
	})
	if err != nil {
		return s.storeErr(storekit.MsgSaveTokenDB, err)
	}
	for i, t := range tokens {
		*t = *saved[i]
	}
	return nil
}

// batchView is the read view of a batch: the stored rows it can touch, with
// its own saves applied, and the greatest numeric id of the whole table.
type batchView struct {
	*storekit.Table
	maxID uint64 // of the stored rows, loaded or not
}

// MaxID implements storekit.Rows.
func (v batchView) MaxID(ctx context.Context) (uint64, error) {
	n, _ := v.Table.MaxID(ctx)
	return max(n, v.maxID), nil
}

// saveBatchTx plans and writes a batch inside the write transaction.
func (s *Store) saveBatchTx(ctx context.Context, tx *sql.Tx, ins []*zohoauth.Token) ([]*zohoauth.Token, error) {
	view := batchView{Table: storekit.NewTableSize(len(ins))}
	stored := map[string]bool{} // ids of the rows read from the table
	empty, err := s.loadBatchRows(ctx, tx, ins, view.Table, stored)
	if err != nil {
		return nil, err
	}
	if !empty {
		if view.maxID, err = (rows{s: s, tx: tx}).MaxID(ctx); err != nil {
			return nil, err
		}
	}
	// An update keeps the id of the row it replaces (Token.SaveKeys finds
	// a token with an id by its id only; Merge keeps the stored id).
	var updates []string
	inserts := make([]string, 0, len(ins))
	updated := map[string]*zohoauth.Token{} // the stored row of each id updated
	saved := make([]*zohoauth.Token, len(ins))
	for i, in := range ins {
		plan, err := storekit.PlanSave(ctx, view, in, storekit.MsgDetailsNotFoundDB)
		if err != nil {
			return nil, err
		}
		id := plan.Token.ID
		switch {
		case plan.Old == nil:
			inserts = append(inserts, id)
		case plan.Old.ID != id:
			return nil, fmt.Errorf("save of row %s would change its id to %s", plan.Old.ID, id)
		case stored[id] && updated[id] == nil:
			updated[id] = plan.Old
			updates = append(updates, id)
		}
		if plan.Old != nil {
			view.Delete(plan.Old.ID)
		}
		if err := view.Insert(plan.Token); err != nil {
			return nil, fmt.Errorf("row %s: %w", id, err)
		}
		saved[i] = plan.Token
	}

	for _, id := range updates {
		if err := s.updateChanged(ctx, tx, updated[id], view.ByID(id)); err != nil {
			return nil, err
		}
	}
	if err := s.insertRows(ctx, tx, view.Table, inserts); err != nil {
		return nil, err
	}
	if err := s.deleteLivesTx(ctx, tx, inserts); err != nil {
		return nil, err
	}
	return saved, nil
}

// insertRows inserts the rows of view with the given ids, batchRows rows
// per statement.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, view *storekit.Table, ids []string) error {
	query := func(n int) string {
		return "INSERT INTO " + s.qtable + " (" + selectList + ") VALUES " +
			strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", n-1) + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	}
	return s.inChunks(ctx, tx, len(ids), query, func(st *sql.Stmt, start, end int) error {
		args := make([]any, 0, (end-start)*len(columns))
		for _, id := range ids[start:end] {
			v := values(view.ByID(id))
			args = append(args, v[:]...)
		}
		return s.execMany(ctx, st, args)
	})
}

// execMany runs st, a statement of many arguments that returns no rows.
// On SQLite it runs through Query: mattn/go-sqlite3 binds an Exec's
// arguments one cgo call each, and a Query's in one call (5,000 arguments
// a statement here: a few percent of a migration's CPU time). The rows are
// read to their end, so that a driver that runs a statement at its first
// Next runs it too.
func (s *Store) execMany(ctx context.Context, st *sql.Stmt, args []any) error {
	if s.d != SQLite {
		_, err := st.ExecContext(ctx, args...)
		return err
	}
	rs, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	for rs.Next() {
	}
	if err := rs.Err(); err != nil {
		_ = rs.Close()
		return err
	}
	return rs.Close()
}

// inChunks calls fn with every run [start, end) of at most batchRows of n
// items, and a statement for that many items (query returns its text).
// The statement of a full run is the Store's (chunkStmt): prepared once and
// reused by every batch after the first; that of a shorter run is prepared
// in tx, once.
func (s *Store) inChunks(ctx context.Context, tx *sql.Tx, n int, query func(items int) string, fn func(st *sql.Stmt, start, end int) error) error {
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			_ = st.Close()
		}
	}()
	for start := 0; start < n; start += batchRows {
		end := min(start+batchRows, n)
		st := stmts[end-start]
		if st == nil {
			var err error
			if st, err = s.chunkStmt(ctx, tx, s.d.rebind(query(end-start)), end-start == batchRows); err != nil {
				return fmt.Errorf("prepare: %w", err)
			}
			stmts[end-start] = st
		}
		if err := fn(st, start, end); err != nil {
			return err
		}
	}
	return nil
}

// chunkStmt returns the statement of query in tx. When keep is set, it is
// the Store's prepared statement of query when there is one, and otherwise
// query is noted so that prepareUpdates prepares it once the transaction
// has ended (as execUpdate does): a migration's thousand batches do not
// parse a 5,000-parameter INSERT a thousand times.
func (s *Store) chunkStmt(ctx context.Context, tx *sql.Tx, query string, keep bool) (*sql.Stmt, error) {
	if keep {
		if st := laterStmt(s, &s.chunks, query); st != nil {
			return tx.StmtContext(ctx, st), nil
		}
	}
	return tx.PrepareContext(ctx, query)
}

// loadBatchRows reads into view the stored rows a batch can find or check
// against: those with a value of a key of the batch (storekit.SaveKeys) or
// one of its user names, and the other rows of their user names (a save that merges a found row's user
// name checks that user's rows for conflicts). An empty table reads nothing.
func (s *Store) loadBatchRows(ctx context.Context, tx *sql.Tx, ins []*zohoauth.Token, view *storekit.Table, stored map[string]bool) (empty bool, err error) {
	// The rows counted up to one past the full-read threshold only: a
	// COUNT(*) of the whole table visits every row (SQLite, PostgreSQL),
	// and a migration saving batch after batch into a growing table would
	// pay for every row at each batch.
	var n int
	limit := strconv.Itoa(fullReadFactor*len(ins) + 1)
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+s.qtable+" LIMIT "+limit+") AS n").Scan(&n); err != nil {
		return false, err
	}
	if n == 0 {
		return true, nil
	}
	add := func(t *zohoauth.Token) error {
		if stored[t.ID] {
			return nil
		}
		stored[t.ID] = true
		if err := view.Insert(t); err != nil {
			return fmt.Errorf("stored row %.12q: %w", t.ID, err)
		}
		return nil
	}
	if n <= fullReadFactor*len(ins) {
		// One scan of a table not much larger than the batch is cheaper
		// than the IN lists (a thousand queries for 100,000 tokens).
		rs, err := tx.StmtContext(ctx, s.all).QueryContext(ctx)
		if err != nil {
			return false, err
		}
		defer rs.Close()
		for rs.Next() {
			t, err := scanToken(rs)
			if err != nil {
				return false, err
			}
			if err := add(t); err != nil {
				return false, err
			}
		}
		return false, rs.Err()
	}
	fields := []storekit.Field{storekit.FieldID, storekit.FieldUserName, storekit.FieldAccessToken, storekit.FieldRefreshToken, storekit.FieldGrantToken}
	asked := make(map[storekit.Field]map[string]bool, len(fields))
	load := func(f storekit.Field, vals []string) error {
		if asked[f] == nil {
			asked[f] = make(map[string]bool, len(vals))
		}
		list := make([]string, 0, len(vals))
		for _, v := range vals {
			if v != "" && !asked[f][v] {
				asked[f][v] = true
				list = append(list, v)
			}
		}
		return s.loadWhereIn(ctx, tx, f.Column(), list, add)
	}
	// The values PlanSave looks up: the keys of SaveKeys (a token with an
	// id is found by its id alone) and the user names, whose rows the
	// conflict check reads.
	vals := make(map[storekit.Field][]string, len(fields))
	var buf [2]storekit.Key
	for _, t := range ins {
		for _, k := range storekit.SaveKeys(buf[:0], t) {
			vals[k.Field] = append(vals[k.Field], k.Value)
		}
		vals[storekit.FieldUserName] = append(vals[storekit.FieldUserName], t.UserName)
	}
	for _, f := range fields {
		if err := load(f, vals[f]); err != nil {
			return false, err
		}
	}
	var users []string
	for _, t := range view.All() {
		users = append(users, t.UserName)
	}
	return false, load(storekit.FieldUserName, users)
}

// loadWhereIn calls add with every row whose column col holds one of vals,
// batchRows values per query.
func (s *Store) loadWhereIn(ctx context.Context, tx *sql.Tx, col string, vals []string, add func(*zohoauth.Token) error) error {
	query := func(n int) string {
		return "SELECT " + selectList + " FROM " + s.qtable + " WHERE " + col + " IN (" + strings.Repeat("?, ", n-1) + "?)"
	}
	return s.inChunks(ctx, tx, len(vals), query, func(st *sql.Stmt, start, end int) error {
		args := make([]any, end-start)
		for i, v := range vals[start:end] {
			args[i] = v
		}
		list, err := scanAll(st.QueryContext(ctx, args...))
		if err != nil {
			return err
		}
		for _, t := range list {
			if err := add(t); err != nil {
				return err
			}
		}
		return nil
	})
}
