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
// comes between them. A changed row is an error matching zohoauth.ErrStale,
// an unknown id one matching zohoauth.ErrNotFound; either saves nothing.
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
	var saved *zohoauth.Token
	err := s.withWriteLock(ctx, func(tx *sql.Tx) error {
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
