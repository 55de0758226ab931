package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/zohoauth/zohoauth"
)

var _ zohoauth.Pager = (*Store)(nil)

// TokensAfter implements zohoauth.Pager: at most limit tokens whose numeric
// id is greater than after ("" for the first page), ordered by numeric id
// (ties, such as "7" and "007", by the id text), in one query on the index
// of the numeric id: the expression index on SQLite and PostgreSQL, the
// zohoauth_idnum column on MySQL and MariaDB (a scan without it).
//
// Only numeric ids (zohoauth.ValidID) are paged. A table written by another
// program may hold other ids: when the last page is short and the table
// holds such rows, TokensAfter fails with an error matching
// zohoauth.ErrInvalidID that counts them, so that a walk never misses a
// token silently (Tokens returns them, after the numeric ones).
func (s *Store) TokensAfter(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	if limit < 1 {
		return nil, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: zohoauth.MsgGetTokensDB, Detail: "page size " + strconv.Itoa(limit) + ", want at least 1"}
	}
	if after != "" && !zohoauth.ValidID(after) {
		return nil, zohoauth.StoreError("invalid token id", zohoauth.ErrInvalidID)
	}
	query, args := s.pageQuery(after, limit)
	list, err := scanAll(s.db.QueryContext(ctx, s.d.rebind(query), args...))
	if err != nil {
		return nil, storeErr(zohoauth.MsgGetTokensDB, err)
	}
	if len(list) < limit {
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.qtable+" WHERE NOT ("+s.numericID()+")").Scan(&n); err != nil {
			return nil, storeErr(zohoauth.MsgGetTokensDB, err)
		}
		if n > 0 {
			return nil, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: zohoauth.MsgGetTokensDB,
				Detail: fmt.Sprintf("%d tokens have an id that is not numeric and cannot be paged", n), Err: zohoauth.ErrInvalidID}
		}
	}
	return list, nil
}

// numericID is the SQL condition that id is a valid id (zohoauth.ValidID):
// 1 to 10 ASCII digits.
func (s *Store) numericID() string {
	switch s.d {
	case SQLite:
		return "length(id) BETWEEN 1 AND 10 AND id NOT GLOB '*[^0-9]*'"
	case Postgres:
		return "id ~ '^[0-9]{1,10}$'"
	}
	return "id REGEXP '^[0-9]{1,10}$'"
}

// pageQuery returns the query of TokensAfter and its arguments. after is ""
// or a valid id.
func (s *Store) pageQuery(after string, limit int) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT " + selectList + " FROM " + s.qtable + " WHERE " + s.numericID())
	var args []any
	switch s.d {
	case SQLite, Postgres:
		// The key of the expression index: the length of the id without
		// its leading zeros, then that text (in bytes order).
		collate := ""
		if s.d == Postgres {
			collate = ` COLLATE "C"`
		}
		key := "length(ltrim(id, '0')), ltrim(id, '0')" + collate + ", id" + collate
		if after != "" {
			trimmed := strings.TrimLeft(after, "0")
			b.WriteString(" AND (" + key + ") > (?, ?, ?)")
			args = append(args, len(trimmed), trimmed, after)
		}
		b.WriteString(" ORDER BY " + key)
	case MySQL:
		num := "CAST(id AS UNSIGNED)"
		if s.idNum {
			num = idNumColumn
		}
		if after != "" {
			n, _ := strconv.ParseUint(after, 10, 64) // a valid id: 1 to 10 digits
			b.WriteString(" AND (" + num + " > ? OR (" + num + " = ? AND id > ?))")
			args = append(args, n, n, after)
		}
		b.WriteString(" ORDER BY " + num + ", id")
	}
	b.WriteString(" LIMIT ?")
	return b.String(), append(args, limit)
}
