package auth_test

import "github.com/zohoauth/zohoauth/zohotest"

func zohoTestFault(path string, status int) zohotest.Fault {
	return zohotest.Fault{Path: path, Status: status, Body: []byte(`{"code":"INTERNAL_ERROR"}`)}
}

func zohotestUser(email, zgid string) zohotest.User { return zohotest.User{Email: email, ZGID: zgid} }

func zohotestFault401(path, body string) zohotest.Fault {
	return zohotest.Fault{Path: path, Status: 401, Body: []byte(body)}
}
