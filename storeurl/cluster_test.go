package storeurl_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth/redisstore"
	"github.com/zohoauth/zohoauth/storetest"
	"github.com/zohoauth/zohoauth/storeurl"
)

// TestOpenRedisCluster opens a redis+cluster:// URL with a prefix: a store
// on a Redis Cluster client, its prefix given a hash tag.
func TestOpenRedisCluster(t *testing.T) {
	addrs := storetest.Server(t, "ZOHOAUTH_TEST_REDIS_CLUSTER_ADDRS")
	s, err := openURL(context.Background(), "redis+cluster://"+addrs+"/?prefix=zohoauth-storeurl-test:")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rs, ok := s.(*redisstore.Store)
	if !ok {
		t.Fatalf("a %T", s)
	}
	if _, ok := rs.Client().(*redis.ClusterClient); !ok {
		t.Errorf("a %T client, want a cluster client", rs.Client())
	}
	if rs.Prefix() != "{zohoauth-storeurl-test:}" {
		t.Errorf("prefix %q", rs.Prefix())
	}
	if _, err := s.Tokens(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestParseRedisClusterURL needs no server: a node list with a prefix and a
// go-redis option parses, and an unknown parameter is still refused.
func TestParseRedisClusterURL(t *testing.T) {
	l, err := storeurl.Parse("redis+cluster://127.0.0.1:7000,127.0.0.1:7001/?prefix=%7Bz%7D%3A&dial_timeout=2s")
	if err != nil {
		t.Fatal(err)
	}
	if l.Prefix != "{z}:" || l.Scheme != storeurl.SchemeRedis {
		t.Errorf("scheme %q prefix %q", l.Scheme, l.Prefix)
	}
	if _, err := storeurl.Parse("redis+cluster://127.0.0.1:7000,127.0.0.1:7001/?foo=bar"); !errors.Is(err, storeurl.ErrBadURL) || !strings.Contains(err.Error(), "unknown parameter foo") {
		t.Errorf("foo=bar: %v", err)
	}
}
