package mysql_test

import (
	"context"
	"log"

	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/mysql"
)

// A MySQL or MariaDB store on Zoho's defaults: database zohooauth, table
// oauthtoken, port 3306. The table is created when missing.
func ExampleOpen() {
	ctx := context.Background()
	s, err := mysql.Open(ctx, "root@tcp(127.0.0.1:3306)/zohooauth", sqlstore.WithTable(sqlstore.DefaultTable))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	_, _ = s.FindTokenByID(ctx, "1")
}
