package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

var _ zohoauth.CompareAndSwapper = (*Store)(nil)

// SwapToken saves t as SaveToken does (t's id is old.ID), but only if the
// stored row with old.ID still has old's access token and expiry (the
// stored epoch-millisecond string); it implements
// zohoauth.CompareAndSwapper. The comparison and the save run in one
// transaction under the table's write lock, so no writer of any process
// comes between them; a swap that changes the access token and its expiry
// alone (a refresh) is one conditional UPDATE instead, which compares every
// column of the row with old's and writes the two, one statement that no
// writer comes into either. A changed row is an error matching
// zohoauth.ErrStale, an unknown id one matching zohoauth.ErrNotFound;
// either saves nothing.
func (s *Store) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	if old == nil || t == nil {
		return storekit.StoreError(storekit.MsgDetailsNotFoundDB, zohoauth.ErrNothingToSave)
	}
	if !storekit.ValidID(old.ID) {
		return storekit.StoreError(storekit.MsgGetTokenByIDDB, zohoauth.ErrNotFound)
	}
	in := t.Clone()
	in.ID = old.ID
	if err := s.checkLengths(in); err != nil {
		return err
	}
	swapped, err := s.swapAccess(ctx, old, in)
	if err != nil {
		return s.storeErr(storekit.MsgSaveTokenDB, err)
	}
	if swapped {
		*t = *in
		return nil
	}
	var saved *zohoauth.Token
	err = s.withWriteLock(ctx, func(tx *sql.Tx) error {
		var access, expiry sql.NullString
		err := tx.StmtContext(ctx, s.swapRead).QueryRowContext(ctx, old.ID).Scan(&access, &expiry)
		if errors.Is(err, sql.ErrNoRows) {
			return storekit.StoreError(storekit.MsgGetTokenByIDDB, zohoauth.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if access.String != old.AccessToken || !sameExpiry(expiry.String, old) {
			return storekit.StoreError(storekit.MsgSaveTokenDB, zohoauth.ErrStale)
		}
		saved, err = s.saveTx(ctx, tx, in)
		return err
	})
	if err != nil {
		return s.storeErr(storekit.MsgSaveTokenDB, err)
	}
	*t = *saved
	return nil
}

// sameExpiry reports whether the stored expiry string is old's expiry: the
// same epoch-millisecond string, or (for a row written elsewhere in
// another spelling, such as with leading zeros) the same instant.
func sameExpiry(stored string, old *zohoauth.Token) bool {
	if stored == storekit.FormatExpiry(old.Expiry) {
		return true
	}
	exp, err := storekit.ParseExpiry(stored)
	return err == nil && exp.Equal(old.Expiry)
}

// Indexes in columns of the two columns a refresh changes.
const (
	accessCol = 5
	expiryCol = 7
)

// swapFastQuery returns the statement of swapAccess: the UPDATE of the
// access token and expiry of the row whose id is the third argument, if
// its access token and expiry are the next two and every other column
// holds the next arguments, in the order of columns (an empty string for
// NULL). On MySQL the comparisons are binary: a table made elsewhere may
// have a case-insensitive collation, which would let another value match.
func (s *Store) swapFastQuery() string {
	eq := func(col string) string {
		if s.d == MySQL {
			return "CAST(COALESCE(" + col + ", '') AS BINARY) = CAST(? AS BINARY)"
		}
		return "COALESCE(" + col + ", '') = ?"
	}
	q := "UPDATE " + s.qtable + " SET access_token = ?, expiry_time = ? WHERE id = ? AND " + eq("access_token") + " AND " + eq("expiry_time")
	for i, c := range columns {
		if i != 0 && i != accessCol && i != expiryCol {
			q += " AND " + eq(c)
		}
	}
	return s.d.rebind(q)
}

// swapAccess makes the swap of old for in (in.ID is old.ID) in one
// statement when in differs from old in its access token and expiry alone,
// both set in each, and in can be saved: it reports whether it swapped. It
// does not when the stored row differs from old in any column (or spells
// the expiry otherwise), nor when its statement fails or could not be
// prepared: the transaction of SwapToken then compares and reports as
// always, so the outcome is that of the transaction whichever runs.
func (s *Store) swapAccess(ctx context.Context, old, in *zohoauth.Token) (bool, error) {
	if s.swapFast == nil {
		return false, nil
	}
	ov, nv := texts(old), texts(in) // "" for an absent field, NULL in the table
	for i := range columns {
		if i != accessCol && i != expiryCol && ov[i] != nv[i] {
			return false, nil
		}
	}
	if ov[accessCol] == "" || nv[accessCol] == "" || ov[expiryCol] == "" || nv[expiryCol] == "" ||
		(ov[accessCol] == nv[accessCol] && ov[expiryCol] == nv[expiryCol]) {
		return false, nil
	}
	if storekit.CheckSave(in, storekit.MsgDetailsNotFoundDB) != nil {
		return false, nil
	}
	args := make([]any, 0, len(columns)+2)
	args = append(args, nv[accessCol], nv[expiryCol], old.ID, ov[accessCol], ov[expiryCol])
	for i := range columns {
		if i != 0 && i != accessCol && i != expiryCol {
			args = append(args, ov[i]) // compared with COALESCE(column, '')
		}
	}
	if err := s.queueWriter(ctx); err != nil { // one writer of this Store at a time, as withWriteLock
		return false, err
	}
	defer func() { <-s.writeSem }()
	res, err := s.swapFast.ExecContext(ctx, args...)
	if err != nil {
		// Not done: the transaction runs, and reports what it meets.
		return false, nil
	}
	n, err := res.RowsAffected()
	return err == nil && n == 1, nil
}
