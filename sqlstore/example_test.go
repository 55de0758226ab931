package sqlstore_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
)

// A SQLite store: in memory here; sqlstore.DefaultSQLitePath (zohooauth.db)
// gives the file of Zoho's SQLite sample.
func ExampleOpenSQLite() {
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, sqlstore.Memory)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	tok := &zohoauth.Token{
		UserName:     "ada@example.com:60001234",
		ClientID:     "1000.CLIENT",
		ClientSecret: "client-secret",
		RefreshToken: "1000.refresh",
		AccessToken:  "1000.access",
		Expiry:       time.UnixMilli(1795879420612),
		APIDomain:    "https://www.zohoapis.eu",
	}
	if err := s.SaveToken(ctx, tok); err != nil {
		log.Fatal(err)
	}
	found, err := s.FindToken(ctx, &zohoauth.Token{UserName: "ada@example.com:60001234"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(found.ID, found.APIDomain, zohoauth.FormatExpiry(found.Expiry))
	// Output: 1 https://www.zohoapis.eu 1795879420612
}

// A MySQL or MariaDB store on Zoho's defaults: database zohooauth, table
// oauthtoken, port 3306. The table is created when missing.
func ExampleOpen() {
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, sqlstore.MySQL, "root@tcp(127.0.0.1:3306)/zohooauth", sqlstore.WithTable(sqlstore.DefaultTable))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	_, _ = s.FindTokenByID(ctx, "1")
}

// Mapping a store URL's scheme onto a dialect.
func ExampleParseDialect() {
	for _, scheme := range []string{"mysql", "mariadb", "postgresql", "sqlite"} {
		d, err := sqlstore.ParseDialect(scheme)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(scheme, d, d.DriverName())
	}
	// Output:
	// mysql mysql mysql
	// mariadb mysql mysql
	// postgresql postgres pgx
	// sqlite sqlite sqlite3
}
