package redisstore

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth/storeurl"
)

var (
	// redisInvalid finds the parameter in go-redis's "invalid NAME …" errors.
	redisInvalid = regexp.MustCompile(`^redis: invalid ([a-z_]+) `)
	// redisUnexpected finds the parameters in go-redis's "unexpected
	// option" error.
	redisUnexpected = regexp.MustCompile(`^redis: unexpected option: ([a-z_]+)`)
)

// Scheme returns the storeurl scheme of Redis stores (redis://, rediss://,
// redis+cluster://, rediss+cluster://), for storeurl.New. Its Check has
// go-redis read the URL's options, so that a bad one is found before
// anything is opened.
func Scheme() storeurl.Scheme {
	return storeurl.Scheme{
		Name: storeurl.SchemeRedis,
		Open: func(ctx context.Context, l *storeurl.Location) (storeurl.Store, error) {
			var opts []Option
			if l.Prefix != "" {
				opts = append(opts, WithPrefix(l.Prefix))
			}
			s, err := Open(ctx, l.DSN, opts...)
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		Check: checkLocation,
		Fix:   configFix,
	}
}

// checkLocation has go-redis check the options of a redis URL, naming the
// parameter it refuses without repeating go-redis's message, which may
// quote a value. go-redis checks a cluster's options as a node's: the first
// node stands for the list.
func checkLocation(l *storeurl.Location) error {
	u, err := url.Parse(l.DSN)
	if err != nil {
		return l.Bad("url", "go-redis cannot use the URL")
	}
	if base, ok := strings.CutSuffix(u.Scheme, "+cluster"); ok {
		u.Scheme = base
		u.Host, _, _ = strings.Cut(u.Host, ",")
	}
	if _, err := redis.ParseURL(u.String()); err != nil {
		if m := redisUnexpected.FindStringSubmatch(err.Error()); m != nil {
			return l.BadParam(m[1], "unknown parameter "+m[1]+" (skip_verify is for rediss URLs)")
		}
		if m := redisInvalid.FindStringSubmatch(err.Error()); m != nil {
			return l.BadParam(m[1], "go-redis cannot use the value")
		}
		return l.Bad("url", "go-redis cannot use the URL")
	}
	return nil
}

// configFix returns what to fix when err, an error of Open, reports
// credentials Redis refused, and "" otherwise.
func configFix(err error) string {
	if re, ok := errors.AsType[redis.Error](err); ok {
		if msg := re.Error(); strings.HasPrefix(msg, "WRONGPASS") || strings.HasPrefix(msg, "NOAUTH") || strings.HasPrefix(msg, "NOPERM") {
			return "check the user and the password"
		}
	}
	return ""
}
