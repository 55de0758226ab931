package sqlstore_test

import (
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storetest"
)

// TestConformance runs the Store conformance kit on every engine.
func TestConformance(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) zohoauth.Store { return e.open(t) }, storetest.Claim(storetest.LifecycleKeeper, storetest.LockChecker))
		})
	}
}

// TestConformanceMySQLFoundRows runs the kit on MySQL with clientFoundRows,
// under which the server counts a matched but unchanged row as affected:
// Lock and Extend must not take that count for a taken or extended lock.
func TestConformanceMySQLFoundRows(t *testing.T) {
	cfg, err := mysql.ParseDSN(storetest.Server(t, storetest.EnvMySQL))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ClientFoundRows = true
	dsn := cfg.FormatDSN()
	storetest.Run(t, func(t *testing.T) zohoauth.Store { return openServer(t, sqlstore.MySQL, dsn, tableName()) }, storetest.Claim(storetest.LifecycleKeeper, storetest.LockChecker))
}
