package tokenserver_test

import (
	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
)

// mustNew is auth.New for options it cannot refuse (no policy).
func mustNew(s zohoauth.Store, o auth.Options) *auth.Authenticator {
	a, err := auth.New(s, o)
	if err != nil {
		panic(err)
	}
	return a
}
