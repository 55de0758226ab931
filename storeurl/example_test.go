package storeurl_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storeurl"
)

// Open a store named by a URL, as a program does with a setting or an
// environment variable, and use it.
func ExampleOpen() {
	ctx := context.Background()
	s, err := storeurl.Open(ctx, "sqlite::memory:")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	tok := &zohoauth.Token{UserName: "ada@example.com:700", ClientID: "1000.X", ClientSecret: "secret", RefreshToken: "1000.r"}
	if err := s.SaveToken(ctx, tok); err != nil {
		fmt.Println(err)
		return
	}
	found, err := s.FindToken(ctx, &zohoauth.Token{UserName: "ada@example.com:700"})
	fmt.Println(found.ID, found.Email(), err)
	// Output: 1 ada@example.com <nil>
}

// A URL that cannot be used says which part is wrong, and never shows the
// password.
func ExampleParse() {
	_, err := storeurl.Parse("mysql://root:hunter2@db.example:99999/zoho")
	fmt.Println(err)
	var e *storeurl.Error
	if errors.As(err, &e) {
		fmt.Println(e.Part, errors.Is(err, storeurl.ErrBadURL))
	}
	l, _ := storeurl.Parse("postgres://app:hunter2@db.example/zoho?sslmode=disable&table=tokens")
	fmt.Println(l.Scheme, l.Table, l)
	// Output:
	// store URL "mysql://root:xxxxx@db.example:99999/zoho": bad port: port must be a number from 1 to 65535
	// port true
	// postgres tokens postgres://app:xxxxx@db.example/zoho?sslmode=disable&table=tokens
}
