package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/redisstore"
	"github.com/zohoauth/zohoauth/storekit"
)

// Example saves, finds and locks a token in the Redis at
// ZOHOAUTH_TEST_REDIS_ADDR, under a prefix of its own.
func Example() {
	addr := os.Getenv("ZOHOAUTH_TEST_REDIS_ADDR")
	if addr == "" {
		fmt.Println("set ZOHOAUTH_TEST_REDIS_ADDR to run the example")
		return
	}
	ctx := context.Background()
	store, err := redisstore.Open(ctx, "redis://"+addr+"/0", redisstore.WithPrefix("zohoauth-example:"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	defer store.DeleteTokens(ctx)

	tok := &zohoauth.Token{
		UserName:     "ana@example.com:20001",
		ClientID:     "1000.CLIENT",
		ClientSecret: "client-secret",
		RefreshToken: "1000.refresh",
		AccessToken:  "1000.access",
		Expiry:       time.Now().Add(time.Hour),
	}
	if err := store.SaveToken(ctx, tok); err != nil {
		fmt.Println(err)
		return
	}

	// Every process on this Redis refreshes the token under one lock.
	lock, err := store.Lock(ctx, storekit.LockName(tok.ID), 30*time.Second)
	if err != nil {
		fmt.Println(err)
		return
	}
	read, _ := store.FindTokenByID(ctx, tok.ID)
	next := &zohoauth.Token{ID: tok.ID, AccessToken: "1000.access2", Expiry: time.Now().Add(time.Hour)}
	err = store.SwapToken(ctx, read, next) // fails with ErrStale if another writer got there first
	_ = lock.Unlock(context.WithoutCancel(ctx))
	if err != nil {
		fmt.Println(err)
		return
	}

	found, err := store.FindToken(ctx, &zohoauth.Token{UserName: "ana@example.com:20001"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(found.AccessToken, found.RefreshToken)

	_, err = store.FindTokenByID(ctx, "0")
	fmt.Println(errors.Is(err, zohoauth.ErrNotFound))
}
