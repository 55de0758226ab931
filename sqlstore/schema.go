package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// columns are the columns of Zoho's oauthtoken table, in Zoho's order: its
// SDKs read rows by position (SELECT *), so a table this package creates has
// exactly these columns in exactly this order.
var columns = [...]string{
	"id", "user_name", "client_id", "client_secret", "refresh_token",
	"access_token", "grant_token", "expiry_time", "redirect_url", "api_domain",
}

// ZohoDDL returns the CREATE TABLE statement of Zoho's SDK README for the
// table name (the DBStore schema, with its varchar(255) columns). This
// package never runs it; tests and migrations use it to build a table as
// Zoho's SDK does. The name must pass ValidTableName.
func ZohoDDL(table string) string {
	return "CREATE TABLE " + table + ` (
  id varchar(10) NOT NULL,
  user_name varchar(255),
  client_id varchar(255),
  client_secret varchar(255),
  refresh_token varchar(255),
  access_token varchar(255),
  grant_token varchar(255),
  expiry_time varchar(20),
  redirect_url varchar(255),
  api_domain varchar(255),
  primary key (id)
)`
}

// wideColumns are Zoho's columns in Zoho's order, with text instead of
// varchar(255) for every column that may hold a token.
const wideColumns = ` (
  id varchar(10) NOT NULL,
  user_name text,
  client_id text,
  client_secret text,
  refresh_token text,
  access_token text,
  grant_token text,
  expiry_time varchar(20),
  redirect_url text,
  api_domain text,
  PRIMARY KEY (id)
)`

// createTable returns the statement that creates the table when it is
// missing: Zoho's columns in Zoho's order, with types wide enough for any
// token. SQLite ignores declared lengths, so it gets Zoho's DDL as it is.
func (d Dialect) createTable(q string) string {
	switch d {
	case MySQL:
		// utf8mb4 for every token; a binary collation, so that the
		// indexes compare values as they are.
		return "CREATE TABLE IF NOT EXISTS " + q + wideColumns + " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
	case Postgres:
		return "CREATE TABLE IF NOT EXISTS " + q + wideColumns
	}
	return strings.Replace(ZohoDDL(q), "CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1)
}

// lookupColumns are the columns a token is found by, besides the id (which
// is the primary key).
var lookupColumns = [...]string{"user_name", "access_token", "refresh_token", "grant_token"}

// emailExpr is the e-mail of a user name email:zgid on PostgreSQL: the
// expression of its e-mail index and of the look-up by e-mail.
const emailExpr = "(split_part(user_name, ':', 1))"

// column describes one column of an existing table.
type column struct {
	name   string
	maxLen int // greatest number of characters, 0 = no limit this package knows of
	text   bool
}

// ensureSchema creates the table when it is missing, adds the look-up
// indexes that are missing, and returns the table's columns. It first reads
// the schema without any lock or write transaction: a complete schema (the
// usual case, and the only one a read-only database or user can open) is
// used as it is. Otherwise it takes the store's write lock, so that several
// processes starting at once do not race on the DDL, checks again inside
// it, and creates what is still missing only; so a database user without
// DDL rights can use a table that is complete.
func (s *Store) ensureSchema(ctx context.Context) (map[string]column, error) {
	if cols, err := s.readColumns(ctx, s.db); err == nil && len(cols) > 0 && s.hasColumns(cols) == nil {
		stmts, idNum, err := s.missingIndexes(ctx, s.db, cols)
		if err == nil && len(stmts) == 0 && (s.d != MySQL || idNum) {
			s.idNum = idNum
			return cols, nil
		}
	}
	var cols map[string]column
	err := s.withWriteLock(ctx, func(tx *sql.Tx) error {
		var err error
		if cols, err = s.readColumns(ctx, tx); err != nil {
			return err
		}
		if len(cols) == 0 {
			if _, err := tx.ExecContext(ctx, s.d.createTable(s.qtable)); err != nil {
				return fmt.Errorf("create table: %w", err)
			}
			if cols, err = s.readColumns(ctx, tx); err != nil {
				return err
			}
		}
		if err := s.hasColumns(cols); err != nil {
			return err
		}
		return s.addIndexes(ctx, tx, cols)
	})
	if err != nil {
		return nil, s.storeErr("cannot prepare table "+s.table, err)
	}
	return cols, nil
}

// hasColumns reports ErrIncompatibleTable when cols lacks one of Zoho's
// columns.
func (s *Store) hasColumns(cols map[string]column) error {
	for _, c := range columns {
		if _, ok := cols[c]; !ok {
			return fmt.Errorf("%w: table %s has no column %s", ErrIncompatibleTable, s.table, c)
		}
	}
	return nil
}

// querier is what reading the schema needs: a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) readColumns(ctx context.Context, tx querier) (map[string]column, error) {
	return s.readColumnsOf(ctx, tx, s.table)
}

// readColumnsOf returns the columns of the table name (none when it is
// missing).
func (s *Store) readColumnsOf(ctx context.Context, tx querier, name string) (map[string]column, error) {
	var query string
	switch s.d {
	case MySQL:
		query = `SELECT LOWER(column_name), LOWER(data_type), COALESCE(character_maximum_length, 0)
FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?`
	case Postgres:
		query = `SELECT LOWER(column_name), LOWER(data_type), COALESCE(character_maximum_length, 0)
FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?`
	default:
		query = `SELECT LOWER(name), LOWER(type), 0 FROM pragma_table_info(?)`
	}
	rows, err := tx.QueryContext(ctx, s.d.rebind(query), name)
	if err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	defer rows.Close()
	cols := map[string]column{}
	for rows.Next() {
		var c column
		var typ string
		var n int64
		if err := rows.Scan(&c.name, &typ, &n); err != nil {
			return nil, fmt.Errorf("read columns: %w", err)
		}
		switch {
		case s.d == SQLite:
			// SQLite does not enforce declared lengths.
		case typ == "varchar" || typ == "char" || typ == "character varying" || typ == "character":
			c.maxLen = int(n)
		case s.d == MySQL && strings.HasSuffix(typ, "text"):
			c.text = true // limited in bytes; strict mode reports an overflow
		}
		cols[c.name] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns: %w", err)
	}
	return cols, nil
}

// indexName returns the name of the index this package adds on a column.
func (s *Store) indexName(col string) string { return s.table + "_" + col + "_idx" }

// addIndexes adds an index on every look-up column that has none, and on
// SQLite and PostgreSQL one that finds the greatest numeric id without a
// scan. Indexes are additive: Zoho's SDKs neither see nor mind them.
func (s *Store) addIndexes(ctx context.Context, tx *sql.Tx, cols map[string]column) error {
	stmts, _, err := s.missingIndexes(ctx, tx, cols)
	if err != nil {
		return err
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create index: %w", err)
		}
	}
	if s.d == MySQL {
		s.idNum = s.addIDNum(ctx, tx, cols)
	}
	return nil
}

// missingIndexes returns the statements that create the indexes addIndexes
// adds and the table lacks, reading the schema only; on MySQL it also
// reports whether idNumColumn and its index exist.
func (s *Store) missingIndexes(ctx context.Context, q querier, cols map[string]column) (stmts []string, idNum bool, err error) {
	switch s.d {
	case SQLite:
		have, err := s.indexNames(ctx, q, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? COLLATE NOCASE")
		if err != nil {
			return nil, false, err
		}
		add := func(name, def string) {
			if !slices.Contains(have, name) {
				stmts = append(stmts, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s %s", s.d.quote(name), s.qtable, def))
			}
		}
		for _, c := range lookupColumns {
			add(s.indexName(c), "("+c+")")
		}
		add(s.indexName("idnum"), "(length(ltrim(id, '0')), ltrim(id, '0'))")
	case Postgres:
		have, err := s.indexNames(ctx, q, "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1")
		if err != nil {
			return nil, false, err
		}
		add := func(name, def string) {
			if !slices.Contains(have, name) {
				stmts = append(stmts, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON %s %s", s.d.quote(name), s.qtable, def))
			}
		}
		// Hash indexes: equality is all a look-up needs, and unlike a
		// b-tree they take values of any length (tokens up to 4 KiB and more).
		for _, c := range lookupColumns {
			add(s.indexName(c), "USING hash ("+c+")")
		}
		add(s.indexName("email"), "USING hash ("+emailExpr+")")
		add(s.indexName("idnum"), `((length(ltrim(id, '0'))), (ltrim(id, '0') COLLATE "C"))`)
	case MySQL:
		indexed := func(col string) (bool, error) {
			var n int
			err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.statistics
WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ? AND seq_in_index = 1`, s.table, col).Scan(&n)
			if err != nil {
				return false, fmt.Errorf("read indexes: %w", err)
			}
			return n > 0, nil
		}
		for _, c := range lookupColumns {
			ok, err := indexed(c)
			if err != nil {
				return nil, false, err
			}
			if ok {
				continue
			}
			// A prefix index: text columns need one, and 191 characters
			// tell tokens apart while staying within every row format's
			// key limit.
			prefix := 191
			if m := cols[c].maxLen; m > 0 && m < prefix {
				prefix = m
			}
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ADD INDEX %s (%s(%d))", s.qtable, s.d.quote(s.indexName(c)), c, prefix))
		}
		if _, ok := cols[idNumColumn]; ok {
			if idNum, err = indexed(idNumColumn); err != nil {
				return nil, false, err
			}
		}
	}
	return stmts, idNum, nil
}

// indexNames returns the names the query (with the table name as its one
// argument) reads.
func (s *Store) indexNames(ctx context.Context, q querier, query string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, s.table)
	if err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	defer rows.Close()
	var have []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("read indexes: %w", err)
		}
		have = append(have, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read indexes: %w", err)
	}
	return have, nil
}

// idNumColumn is the invisible generated column that gives MySQL an index
// on the numeric value of id (MariaDB has no expression index). Invisible
// columns are left out of SELECT * and of INSERT without a column list, so
// Zoho's SDKs, which read by position, see Zoho's ten columns.
const idNumColumn = "zohoauth_idnum"

// addIDNum adds idNumColumn and its index when missing, and reports whether
// the table has both. It fails softly: a server without invisible columns
// (before MySQL 8.0.23 or MariaDB 10.3) or a user without ALTER rights gets
// the greatest id by a scan instead.
func (s *Store) addIDNum(ctx context.Context, tx *sql.Tx, cols map[string]column) bool {
	if _, ok := cols[idNumColumn]; !ok {
		_, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s BIGINT UNSIGNED AS (IF(id REGEXP '^[0-9]{1,19}$', CAST(id AS UNSIGNED), NULL)) VIRTUAL INVISIBLE, ADD INDEX %s (%s)",
			s.qtable, idNumColumn, s.d.quote(s.indexName("idnum")), idNumColumn))
		return err == nil
	}
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.statistics
WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ? AND seq_in_index = 1`, s.table, idNumColumn).Scan(&n)
	if err != nil {
		return false
	}
	if n == 0 {
		_, err = tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD INDEX %s (%s)", s.qtable, s.d.quote(s.indexName("idnum")), idNumColumn))
	}
	return err == nil
}
