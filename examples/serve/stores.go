package main

import (
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/redisstore"
	"github.com/zohoauth/zohoauth/sqlstore/mysql"
	"github.com/zohoauth/zohoauth/sqlstore/postgres"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storeurl"
)

// stores returns the opener of every store the server offers.
func stores() *storeurl.Opener {
	return storeurl.New(sqlite.Scheme(), filestore.Scheme(), mysql.Scheme(), postgres.Scheme(), redisstore.Scheme(), memory.Scheme())
}
