package auth_test

import (
	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/zohotest"
)

func zohoTestFault(path string, status int) zohotest.Fault {
	return zohotest.Fault{Path: path, Status: status, Body: []byte(`{"code":"INTERNAL_ERROR"}`)}
}

func zohotestUser(email, zgid string) zohotest.User { return zohotest.User{Email: email, ZGID: zgid} }

func zohotestFault401(path, body string) zohotest.Fault {
	return zohotest.Fault{Path: path, Status: 401, Body: []byte(body)}
}

// mustNew is auth.New for options it cannot refuse (no policy).
func mustNew(s zohoauth.Store, o auth.Options) *auth.Authenticator {
	a, err := auth.New(s, o)
	if err != nil {
		panic(err)
	}
	return a
}
