package storeurl_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storeurl"
)

// A program passes the stores it offers to New, and opens the URLs its user
// gives it (a setting, an environment variable). It links only those
// stores: this one, the memory and file stores, links no database driver.
// A URL of another store says what to add.
func ExampleNew() {
	ctx := context.Background()
	opener := storeurl.New(memory.Scheme(), filestore.Scheme())
	s, err := opener.Open(ctx, "memory:")
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

	_, err = opener.Open(ctx, "mysql://root:hunter2@127.0.0.1/zoho")
	fmt.Println(err)
	fmt.Println(errors.Is(err, storeurl.ErrNotLinked))
	// Output:
	// 1 ada@example.com <nil>
	// store URL "mysql://root:xxxxx@127.0.0.1/zoho": bad scheme: the mysql store is not linked into this program: import "github.com/zohoauth/zohoauth/sqlstore/mysql" and pass mysql.Scheme() to storeurl.New
	// true
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
