package cluster_test

import (
	"context"

	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/redisstore"
	"github.com/zohoauth/zohoauth/sqlstore/mysql"
	"github.com/zohoauth/zohoauth/sqlstore/postgres"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storeurl"
)

// openURL opens raw with every store of the module linked.
func openURL(ctx context.Context, raw string) (storeurl.Store, error) {
	return storeurl.New(sqlite.Scheme(), filestore.Scheme(), mysql.Scheme(), postgres.Scheme(), redisstore.Scheme(), memory.Scheme()).Open(ctx, raw)
}
