package memory_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
)

func Example() {
	ctx := context.Background()
	store := memory.New()

	// A first save gives the token an id.
	tok := &zohoauth.Token{
		UserName:     "ana@example.com:20001",
		ClientID:     "1000.CLIENT",
		ClientSecret: "client-secret",
		RefreshToken: "1000.refresh",
		AccessToken:  "1000.access",
	}
	if err := store.SaveToken(ctx, tok); err != nil {
		panic(err)
	}
	fmt.Println("saved as id", tok.ID)

	// A later save of the same user updates it; empty fields keep their values.
	if err := store.SaveToken(ctx, &zohoauth.Token{UserName: "ana@example.com:20001", AccessToken: "1000.access2"}); err != nil {
		panic(err)
	}
	found, err := store.FindToken(ctx, &zohoauth.Token{UserName: "ana@example.com:20001"})
	if err != nil {
		panic(err)
	}
	fmt.Println(found.ID, found.RefreshToken, found.AccessToken)

	// Unknown ids are typed errors.
	_, err = store.FindTokenByID(ctx, "99")
	fmt.Println(errors.Is(err, zohoauth.ErrNotFound))
	// Output:
	// saved as id 1
	// 1 1000.refresh 1000.access2
	// true
}
