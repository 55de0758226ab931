package redisstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/redisstore"
	"github.com/zohoauth/zohoauth/storeurl"
)

// TestSchemeChecksOptions checks that a redis URL's options are read by
// go-redis before anything is opened, the parameter named and the reason
// not repeating go-redis's message (which quotes the value), and that a cluster URL is read as a cluster's (its comma-separated
// nodes are no single address).
func TestSchemeChecksOptions(t *testing.T) {
	opener := storeurl.New(redisstore.Scheme())
	for raw, part := range map[string]string{
		"redis://h/0?dial_timeout=SECRETx":          `query parameter "dial_timeout"`,
		"redis://h/0?skip_verify=true":              `query parameter "skip_verify"`,
		"redis://h/0?pool_size=SECRET":              `query parameter "pool_size"`,
		"redis+cluster://h:1,h:2/?pool_size=SECRET": `query parameter "pool_size"`,
	} {
		_, err := opener.Parse(raw)
		var e *storeurl.Error
		if !errors.As(err, &e) || e.Part != part || !errors.Is(err, storeurl.ErrBadURL) {
			t.Errorf("%s: %v, want a bad %s", raw, err, part)
		}
		if e != nil && strings.Contains(e.Reason, "SECRET") {
			t.Errorf("%s: the reason repeats the value: %v", raw, err)
		}
	}
	for _, raw := range []string{
		"redis://h/0?prefix=app:&protocol=3&dial_timeout=2s",
		"rediss://h/0?skip_verify=true",
		"redis+cluster://127.0.0.1:7000,127.0.0.1:7001/?prefix=p",
		"rediss+cluster://:pw@h:1,h:2",
	} {
		if _, err := opener.Parse(raw); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
}
