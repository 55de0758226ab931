// Package storeurl opens a zohoauth.Store named by a URL, so that a program
// (the zohoauth command, or any program built on the library) lets its user
// choose where tokens live with one string:
//
//	sqlite:zohooauth.db        SQLite file (the zohoauth command's default)
//	sqlite::memory:            SQLite in memory
//	file:sdk_tokens.txt        Zoho's CSV token file, shared with Zoho's SDKs
//	mysql://root@127.0.0.1:3306/test
//	postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//	redis://127.0.0.1:6379/0
//	memory:                    a map in this process
//
// Parse checks a URL without opening anything; Open parses and opens. A URL
// that cannot be used is an *Error that names the wrong part.
package storeurl
