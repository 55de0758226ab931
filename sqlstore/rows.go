package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// rows implements storekit.Rows with the Store's prepared statements, on the
// pool or, inside a save, on the transaction. Inside a save (which holds the
// write lock, so nothing changes under it) the rows of the last user name
// queried are kept, so that the conflict check of PlanSave reuses the rows
// its look-up read instead of asking again.
type rows struct {
	s    *Store
	tx   *sql.Tx
	memo *userRows // nil outside a transaction
}

type userRows struct {
	name string
	list []*zohoauth.Token
}

var _ storekit.Rows = rows{}

func (r rows) query(ctx context.Context, st *sql.Stmt, args ...any) (*sql.Rows, error) {
	if r.tx != nil {
		st = r.tx.StmtContext(ctx, st)
	}
	return st.QueryContext(ctx, args...)
}

// Lookup returns the matching token with the lowest numeric id. The SQL
// narrows by the key's column (an index look-up); the exact comparison and
// the client rule are applied here, so a case-insensitive or space-padding
// collation of a table made elsewhere cannot produce a false match.
func (r rows) Lookup(ctx context.Context, k storekit.Key) (*zohoauth.Token, error) {
	if int(k.Field) >= len(r.s.byField) || r.s.byField[k.Field] == nil || k.Value == "" {
		return nil, nil // a key this table has no column for matches nothing
	}
	st := r.s.byField[k.Field]
	var list []*zohoauth.Token
	var err error
	if k.Field == storekit.FieldUserName {
		list, err = r.userName(ctx, k.Value)
	} else {
		list, err = scanAll(r.query(ctx, st, k.Value))
	}
	if err != nil {
		return nil, err
	}
	var best *zohoauth.Token
	for _, t := range list {
		if k.Matches(t) && (best == nil || storekit.CompareIDs(t.ID, best.ID) < 0) {
			best = t
		}
	}
	return best, nil
}

// WithUserName returns the tokens whose user name is exactly name.
func (r rows) WithUserName(ctx context.Context, name string) ([]*zohoauth.Token, error) {
	list, err := r.userName(ctx, name)
	if err != nil {
		return nil, err
	}
	var out []*zohoauth.Token
	for _, t := range list {
		if t.UserName == name {
			out = append(out, t)
		}
	}
	return out, nil
}

// userName returns the rows the user_name index finds for name (a superset
// of the exact matches when the table's collation folds case or spaces).
func (r rows) userName(ctx context.Context, name string) ([]*zohoauth.Token, error) {
	if r.memo != nil && r.memo.list != nil && r.memo.name == name {
		return r.memo.list, nil
	}
	list, err := scanAll(r.query(ctx, r.s.byField[storekit.FieldUserName], name))
	if err != nil {
		return nil, err
	}
	if r.memo != nil {
		if list == nil {
			list = []*zohoauth.Token{}
		}
		r.memo.name, r.memo.list = name, list
	}
	return list, nil
}

// WithEmail returns the rows the e-mail look-up finds: every user name
// email:zgid of the e-mail, and perhaps others, which storekit.Find leaves
// out (storekit.OfEmail).
func (r rows) WithEmail(ctx context.Context, email string) ([]*zohoauth.Token, error) {
	if r.s.d == Postgres {
		return scanAll(r.query(ctx, r.s.byEmail, email))
	}
	lo, hi := storekit.EmailRange(email)
	return scanAll(r.query(ctx, r.s.byEmail, lo, hi))
}

// MaxID returns the greatest numeric id in use, 0 for none.
func (r rows) MaxID(ctx context.Context) (uint64, error) {
	st := r.s.maxID
	if r.tx != nil {
		st = r.tx.StmtContext(ctx, st)
	}
	var s sql.NullString
	err := st.QueryRowContext(ctx).Scan(&s)
	if err == sql.ErrNoRows || (err == nil && (!s.Valid || s.String == "")) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("greatest id: %w", err)
	}
	n, err := strconv.ParseUint(s.String, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("greatest id: %w", err)
	}
	return n, nil
}

// scanAll reads every row of a query of selectList.
func scanAll(rs *sql.Rows, err error) ([]*zohoauth.Token, error) {
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var list []*zohoauth.Token
	for rs.Next() {
		t, err := scanToken(rs)
		if err != nil {
			return nil, err
		}
		list = append(list, t)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	return list, nil
}

// scanToken reads one row of selectList. NULL and ” both read as absent.
func scanToken(rs *sql.Rows) (*zohoauth.Token, error) {
	var v [len(columns)]sql.NullString
	if err := rs.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]); err != nil {
		return nil, err
	}
	exp, err := storekit.ParseExpiry(v[7].String)
	if err != nil {
		return nil, fmt.Errorf("row with id %.12q: %w", v[0].String, err)
	}
	return &zohoauth.Token{
		ID:           v[0].String,
		UserName:     v[1].String,
		ClientID:     v[2].String,
		ClientSecret: v[3].String,
		RefreshToken: v[4].String,
		AccessToken:  v[5].String,
		GrantToken:   v[6].String,
		Expiry:       exp,
		RedirectURL:  v[8].String,
		APIDomain:    v[9].String,
	}, nil
}

// texts returns the column values of t in Zoho's order as text, "" for an
// absent field.
func texts(t *zohoauth.Token) [len(columns)]string {
	return [len(columns)]string{
		t.ID, t.UserName, t.ClientID, t.ClientSecret, t.RefreshToken,
		t.AccessToken, t.GrantToken, storekit.FormatExpiry(t.Expiry), t.RedirectURL, t.APIDomain,
	}
}

// values returns the column values of t in Zoho's order, with NULL for an
// absent field, as Zoho's SDKs write None.
func values(t *zohoauth.Token) [len(columns)]any {
	var v [len(columns)]any
	for i, s := range texts(t) {
		if s != "" {
			v[i] = s
		}
	}
	return v
}
