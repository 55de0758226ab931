package storeurl_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storeurl"
)

// TestNotLinkedNamesTheImport checks that a URL of a store the program did
// not pass to New names the package to import and the value to pass, for
// every scheme, and that an unknown scheme stays ErrUnknownScheme.
func TestNotLinkedNamesTheImport(t *testing.T) {
	opener := storeurl.New(memory.Scheme())
	for raw, want := range map[string][2]string{
		"sqlite:z.db":             {"github.com/zohoauth/zohoauth/sqlstore/sqlite", "sqlite.Scheme()"},
		"mysql://root@h/db":       {"github.com/zohoauth/zohoauth/sqlstore/mysql", "mysql.Scheme()"},
		"postgres://u:pw@h/db":    {"github.com/zohoauth/zohoauth/sqlstore/postgres", "postgres.Scheme()"},
		"file:sdk_tokens.txt":     {"github.com/zohoauth/zohoauth/filestore", "filestore.Scheme()"},
		"redis://:pw@h:6379/0":    {"github.com/zohoauth/zohoauth/redisstore", "redisstore.Scheme()"},
		"redis+cluster://h:1,h:2": {"github.com/zohoauth/zohoauth/redisstore", "redisstore.Scheme()"},
	} {
		for _, open := range []func() error{
			func() error { _, err := opener.Open(context.Background(), raw); return err },
			func() error { _, err := opener.Parse(raw); return err },
		} {
			err := open()
			var e *storeurl.Error
			var nl *storeurl.NotLinkedError
			if !errors.As(err, &e) || e.Part != "scheme" || !errors.As(err, &nl) {
				t.Fatalf("%s: %v, want a *storeurl.Error on the scheme wrapping a *NotLinkedError", raw, err)
			}
			if nl.Import != want[0] || nl.Value != want[1] || !strings.Contains(err.Error(), want[0]) || !strings.Contains(err.Error(), want[1]) {
				t.Errorf("%s: %v, want import %s and %s", raw, err, want[0], want[1])
			}
			if !errors.Is(err, storeurl.ErrNotLinked) || !errors.Is(err, storeurl.ErrUnknownScheme) {
				t.Errorf("%s: %v does not match ErrNotLinked and ErrUnknownScheme", raw, err)
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("%s: the password shows in %v", raw, err)
			}
		}
	}
	_, err := opener.Open(context.Background(), "oracle://h/db")
	if !errors.Is(err, storeurl.ErrUnknownScheme) || errors.Is(err, storeurl.ErrNotLinked) {
		t.Fatalf("unknown scheme: %v, want ErrUnknownScheme only", err)
	}
	if s, err := opener.Open(context.Background(), "memory:"); err != nil {
		t.Fatalf("a linked scheme: %v", err)
	} else {
		_ = s.Close()
	}
}
