package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storekit"
)

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
	s, err := sqlite.Open(ctx, sqlite.Memory)
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
	s, err := sqlite.Open(ctx, sqlite.Memory)
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
