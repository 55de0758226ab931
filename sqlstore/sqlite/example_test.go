package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/storekit"
)

// A SQLite store: in memory here; sqlite.DefaultPath (zohooauth.db)
// gives the file of Zoho's SQLite sample.
func ExampleOpen() {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, sqlite.Memory)
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
