package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

var _ zohoauth.Pager = (*Store)(nil)

// TokensAfter implements zohoauth.Pager: at most limit tokens whose numeric
// id is greater than after ("" for the first page), ordered by numeric id
// (ties, such as "7" and "007", by the id text). Its queries are ranges of
// the index of the numeric id, in index order: the expression index on
// SQLite and PostgreSQL, the zohoauth_idnum column on MySQL and MariaDB (a
// scan without it). As that index does not hold the id text, ties are read
// whole by separate queries on one index value: the ids of after's value
// that come after it, and all the ids of the page's last value.
//
// Only numeric ids (storekit.ValidID) are paged. A table written by another
// program may hold other ids: when the last page is short and the table
// holds such rows, TokensAfter fails with an error matching
// zohoauth.ErrInvalidID that counts them, so that a walk never misses a
// token silently (Tokens returns them, after the numeric ones).
func (s *Store) TokensAfter(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	if limit < 1 {
		return nil, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: storekit.MsgGetTokensDB, Detail: "page size " + strconv.Itoa(limit) + ", want at least 1"}
	}
	if after != "" && !storekit.ValidID(after) {
		return nil, storekit.StoreError("invalid token id", zohoauth.ErrInvalidID)
	}
	list, err := s.page(ctx, after, limit)
	if err != nil {
		return nil, s.storeErr(storekit.MsgGetTokensDB, err)
	}
	if len(list) < limit {
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+s.qtable+" WHERE NOT ("+s.numericID()+")").Scan(&n); err != nil {
			return nil, s.storeErr(storekit.MsgGetTokensDB, err)
		}
		if n > 0 {
			return nil, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: storekit.MsgGetTokensDB,
				Detail: fmt.Sprintf("%d tokens have an id that is not numeric and cannot be paged", n), Err: zohoauth.ErrInvalidID}
		}
	}
	return list, nil
}

// page reads the tokens of TokensAfter: the ids of after's value after it,
// then up to limit tokens of greater values in index order; when those
// fill the limit, the last value's tokens are read whole, for its ties may
// straddle the limit. Sorted by value then text, the first limit are the
// page.
func (s *Store) page(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	base := "SELECT " + selectList + " FROM " + s.qtable + " WHERE " + s.numericID()
	var list, more []*zohoauth.Token
	if after != "" {
		eq, args := s.idEqual(after)
		ties, err := scanAll(s.db.QueryContext(ctx, s.d.rebind(base+" AND "+eq+" AND id > ?"), append(args, after)...))
		if err != nil {
			return nil, err
		}
		list = ties
	}
	for _, r := range s.idRanges(after) {
		q := base
		if r.cond != "" {
			q += " AND " + r.cond
		}
		got, err := scanAll(s.db.QueryContext(ctx, s.d.rebind(q+" ORDER BY "+r.order+" LIMIT ?"), append(r.args, limit-len(more))...))
		if err != nil {
			return nil, err
		}
		if more = append(more, got...); len(more) == limit {
			break
		}
	}
	if len(more) == limit {
		last := more[limit-1].ID
		eq, args := s.idEqual(last)
		tail, err := scanAll(s.db.QueryContext(ctx, s.d.rebind(base+" AND "+eq), args...))
		if err != nil {
			return nil, err
		}
		for len(more) > 0 && storekit.CompareIDs(more[len(more)-1].ID, last) == 0 {
			more = more[:len(more)-1]
		}
		more = append(more, tail...)
	}
	list = append(list, more...)
	slices.SortFunc(list, func(a, b *zohoauth.Token) int {
		if c := storekit.CompareIDs(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return list[:min(len(list), limit)], nil
}

// The key of the numeric-id index on SQLite and PostgreSQL: the length of
// the id without its leading zeros, then that text (in bytes order).
const (
	idLen     = "length(ltrim(id, '0'))"
	idTrimmed = "ltrim(id, '0')"
)

// idNumber is the numeric-id expression on MySQL.
func (s *Store) idNumber() string {
	if s.idNum {
		return idNumColumn
	}
	return "CAST(id AS UNSIGNED)" // a scan
}

func (s *Store) idTrimmed() string {
	if s.d == Postgres {
		return idTrimmed + ` COLLATE "C"`
	}
	return idTrimmed
}

// idEqual returns the condition, on the index, that an id has the value of
// the valid id id, and its arguments.
func (s *Store) idEqual(id string) (string, []any) {
	if s.d == MySQL {
		n, _ := strconv.ParseUint(id, 10, 64) // a valid id: 1 to 10 digits
		return s.idNumber() + " = ?", []any{n}
	}
	t := strings.TrimLeft(id, "0")
	return idLen + " = ? AND " + s.idTrimmed() + " = ?", []any{len(t), t}
}

// idRange is one range query of the index, in index order.
type idRange struct {
	cond  string // "" for all
	order string
	args  []any
}

// idRanges returns the range queries, in turn, of the ids of a value
// greater than after's ("" for all). On SQLite and PostgreSQL they are two,
// a range of the text among ids of one length and then a range of the
// lengths, as neither engine ranges a row value over an expression index.
func (s *Store) idRanges(after string) []idRange {
	if s.d == MySQL {
		order := s.idNumber()
		if after == "" {
			return []idRange{{order: order}}
		}
		n, _ := strconv.ParseUint(after, 10, 64) // a valid id: 1 to 10 digits
		return []idRange{{cond: order + " > ?", order: order, args: []any{n}}}
	}
	order := idLen + ", " + s.idTrimmed()
	if after == "" {
		return []idRange{{order: order}}
	}
	t := strings.TrimLeft(after, "0")
	return []idRange{
		{cond: idLen + " = ? AND " + s.idTrimmed() + " > ?", order: s.idTrimmed(), args: []any{len(t), t}},
		{cond: idLen + " > ?", order: order, args: []any{len(t)}},
	}
}

// numericID is the SQL condition that id is a valid id (storekit.ValidID):
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
