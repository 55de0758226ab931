package sqlstore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/mysql"
	"github.com/zohoauth/zohoauth/sqlstore/postgres"
	"github.com/zohoauth/zohoauth/storekit"
)

// TestDriverErrorQuotesNoValue checks the reduction of driver errors that
// quote a value, as the servers word them, and that names are kept.
func TestDriverErrorQuotesNoValue(t *testing.T) {
	const secret = "TOPSECRETVALUE"
	tests := []struct {
		name string
		err  error
		want string // the reduced text holds this
	}{
		{"MariaDB incorrect string", &gomysql.MySQLError{Number: 1366, SQLState: [5]byte{'2', '2', '0', '0', '7'},
			Message: "Incorrect string value: '\\xFF" + secret[:6] + "...' for column `test`.`oauthtoken`.`client_secret` at row 1"},
			"Error 1366 (22007): Incorrect string value for column client_secret"},
		{"MySQL incorrect string", &gomysql.MySQLError{Number: 1366, Message: "Incorrect string value: '\\xFF" + secret + "' for column 'refresh_token' at row 1"},
			"Incorrect string value for column refresh_token"},
		{"duplicate entry", &gomysql.MySQLError{Number: 1062, Message: "Duplicate entry '" + secret + "' for key 'oauthtoken.refresh_token_uq'"},
			"Duplicate entry for key refresh_token_uq"},
		{"invalid character string", &gomysql.MySQLError{Number: 1300, Message: "Invalid utf8mb4 character string: '" + secret + "'"},
			"Invalid utf8mb4 character string"},
		{"PostgreSQL encoding", &pgconn.PgError{Severity: "ERROR", Code: "22021", Message: "invalid byte sequence for encoding \"UTF8\": 0x" + secret},
			"ERROR: invalid byte sequence for encoding \"UTF8\" (SQLSTATE 22021)"},
		{"PostgreSQL unique", &pgconn.PgError{Severity: "ERROR", Code: "23505", Message: "duplicate key value violates unique constraint \"x\"",
			Detail: "Key (refresh_token)=(" + secret + ") already exists.", ColumnName: "refresh_token"},
			"duplicate key value violates unique constraint \"x\" (column refresh_token)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, wrapped := range []error{tt.err, fmt.Errorf("commit: %w", tt.err), asRulesError(tt.err)} {
				drv := sqlstore.Driver(mysql.Driver())
				if _, ok := tt.err.(*pgconn.PgError); ok {
					drv = postgres.Driver()
				}
				got := sqlstore.StoreErr(drv, storekit.MsgSaveTokenDB, wrapped)
				for _, text := range []string{got.Error(), fmt.Sprintf("%+v", got)} {
					if strings.Contains(text, secret[:4]) || strings.Contains(text, secret[6:10]) {
						t.Errorf("%q quotes the value", text)
					}
					if !strings.Contains(text, tt.want) {
						t.Errorf("%q does not say %q", text, tt.want)
					}
				}
				var me *gomysql.MySQLError
				var pe *pgconn.PgError
				if !errors.As(got, &me) && !errors.As(got, &pe) {
					t.Errorf("%v: the driver's error type is gone", got)
				}
				if pe != nil && pe.Detail != "" {
					t.Errorf("Detail kept: %q", pe.Detail)
				}
			}
		})
	}
	keep := &gomysql.MySQLError{Number: 1045, Message: "Access denied for user 'root'@'localhost' (using password: YES)"}
	got := sqlstore.StoreErr(mysql.Driver(), "cannot connect", keep)
	if !strings.Contains(got.Error(), keep.Message) || !errors.Is(got, sqlstore.ErrAccessDenied) {
		t.Errorf("access denied became %v", got)
	}
}

// asRulesError wraps err in a *zohoauth.Error, as the saving rules do.
func asRulesError(err error) error { return storekit.StoreError("rules", err) }
