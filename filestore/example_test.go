package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storekit"
)

func Example() {
	dir, err := os.MkdirTemp("", "filestore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := filestore.New(filepath.Join(dir, filestore.DefaultFile))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	ctx := context.Background()
	tok := &zohoauth.Token{
		UserName:     "ana@example.com:700123",
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
	found, err := s.FindToken(ctx, &zohoauth.Token{UserName: "ana@example.com:700123"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("found id", found.ID, "in", found.APIDomain)

	// The file is Zoho's, readable by the official SDKs.
	data, err := os.ReadFile(s.Path())
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.SplitAfter(string(data), "\r\n") {
		if line != "" {
			fmt.Printf("%q\n", line)
		}
	}
	// Output:
	// found id 1 in https://www.zohoapis.eu
	// "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\r\n"
	// "1,ana@example.com:700123,1000.CLIENT,client-secret,1000.refresh,1000.access,,1795879420612,,https://www.zohoapis.eu\r\n"
}

// ExampleParse reads a file as Zoho's Node SDK writes it.
func ExampleParse() {
	file := "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\n" +
		"1,ana@example.com:700123,1000.CLIENT,secret,1000.refresh,1000.access,,1795879420612,,https://www.zohoapis.eu\n"
	tokens, err := filestore.Parse([]byte(file))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(tokens), tokens[0].UserName, tokens[0].Expiry.UTC().Format(time.RFC3339Nano))

	_, err = filestore.Parse([]byte(file + "2,bob@example.com:1,1000.CLIENT,secret\n"))
	fmt.Println(err)
	// Output:
	// 1 ana@example.com:700123 2026-11-28T15:23:40.612Z
	// token file line 3: 4 fields, want 10
}

// ExampleStore_Lock shows a refresh guarded across processes: take the
// token's lock, read the token again inside it, and save the new access
// token only if no one changed the stored one meanwhile.
func ExampleStore_Lock() {
	dir, err := os.MkdirTemp("", "filestore-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := filestore.New(filepath.Join(dir, filestore.DefaultFile))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	tok := &zohoauth.Token{UserName: "ana@example.com:700123", ClientID: "1000.CLIENT", ClientSecret: "s",
		RefreshToken: "1000.refresh", AccessToken: "1000.old", Expiry: time.UnixMilli(1795879420612)}
	if err := s.SaveToken(ctx, tok); err != nil {
		log.Fatal(err)
	}

	lk, err := s.Lock(ctx, storekit.LockName(tok.ID), 15*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	defer lk.Unlock(context.WithoutCancel(ctx))
	read, err := s.FindTokenByID(ctx, tok.ID) // inside the lock
	if err != nil {
		log.Fatal(err)
	}
	// … the token endpoint is called here, renewing the lease if slow …
	next := &zohoauth.Token{AccessToken: "1000.new", Expiry: read.Expiry.Add(time.Hour)}
	if err := s.SwapToken(ctx, read, next); err != nil {
		log.Fatal(err)
	}
	fmt.Println(next.ID, next.AccessToken, next.RefreshToken)
	// A second swap from the same, now stale, read saves nothing.
	err = s.SwapToken(ctx, read, &zohoauth.Token{AccessToken: "1000.late"})
	fmt.Println(errors.Is(err, zohoauth.ErrStale))
	// Output:
	// 1 1000.new 1000.refresh
	// true
}
