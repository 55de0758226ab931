package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storekit"
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
	fmt.Println(found.ID, found.APIDomain, storekit.FormatExpiry(found.Expiry))
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

// A lock shared by every process using the database, around a refresh
// guarded by SwapToken: a holder whose lease ran out cannot overwrite a
// newer token.
func ExampleStore_Lock() {
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, sqlstore.Memory)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	tok := &zohoauth.Token{UserName: "ada@example.com:60001234", ClientID: "1000.CLIENT", RefreshToken: "1000.refresh", AccessToken: "1000.old", Expiry: time.UnixMilli(1795879420612)}
	if err := s.SaveToken(ctx, tok); err != nil {
		log.Fatal(err)
	}

	lk, err := s.Lock(ctx, storekit.LockName(tok.ID), 30*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer lk.Unlock(context.WithoutCancel(ctx))
	read, err := s.FindTokenByID(ctx, tok.ID)
	if err != nil {
		log.Fatal(err)
	}
	next := &zohoauth.Token{AccessToken: "1000.new", Expiry: read.Expiry.Add(time.Hour)}
	if err := s.SwapToken(ctx, read, next); err != nil {
		log.Fatal(err)
	}
	err = s.SwapToken(ctx, read, &zohoauth.Token{AccessToken: "1000.late"})
	fmt.Println(next.ID, errors.Is(err, zohoauth.ErrStale))
	// Output: 1 true
}

// A batch saved all or nothing, in one transaction.
func ExampleStore_SaveTokens() {
	ctx := context.Background()
	s, err := sqlstore.OpenSQLite(ctx, sqlstore.Memory)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	batch := []*zohoauth.Token{
		{UserName: "ada@example.com:1", ClientID: "1000.CLIENT", RefreshToken: "1000.refresh.ada"},
		{ID: "40", UserName: "bob@example.com:2", ClientID: "1000.CLIENT", RefreshToken: "1000.refresh.bob"},
		{UserName: "cy@example.com:3", ClientID: "1000.CLIENT", RefreshToken: "1000.refresh.cy"},
	}
	if err := zohoauth.SaveAll(ctx, s, batch); err != nil { // SaveTokens, as s is a BatchSaver
		log.Fatal(err)
	}
	for _, t := range batch {
		fmt.Print(t.ID, " ")
	}
	fmt.Println()
	// Output: 1 40 41
}
