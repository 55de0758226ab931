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
// A program opens the URLs of the stores it links, and only those: it passes
// their schemes to New, and its Opener opens them. A program that offers
// only the file store links no database driver, and builds without cgo:
//
//	opener := storeurl.New(filestore.Scheme(), memory.Scheme())
//	s, err := opener.Open(ctx, "file:sdk_tokens.txt")
//
// No store registers itself: there is no global registry and no blank
// import. A URL of a scheme the program did not pass is an error naming the
// package to import and the value to pass (NotLinkedError).
//
// Parse checks a URL without opening anything; Opener.Open parses and
// opens. A URL that cannot be used is an *Error that names the wrong part.
package storeurl
