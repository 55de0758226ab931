package redisstore

import (
	"context"
	"crypto/rand"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storetest"
)

// testAddr returns the address of the test Redis (storetest.EnvRedis;
// skipped when unset outside CI, failed in CI).
func testAddr(t testing.TB) string {
	t.Helper()
	return storetest.Server(t, storetest.EnvRedis)
}

// testClient returns a client of the test Redis, closed when the test ends.
func testClient(t testing.TB) *redis.Client {
	t.Helper()
	addr := testAddr(t)
	c := redis.NewClient(&redis.Options{Addr: addr})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		t.Fatalf("Redis at %s (%s) does not answer: %v", addr, storetest.EnvRedis, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix returns a prefix no other test uses.
func testPrefix() string { return "zohoauth-test:" + rand.Text() + ":" }

// newTestStore returns an empty store under a prefix of its own, whose keys
// are checked for consistency and then deleted when the test ends.
func newTestStore(t testing.TB, opts ...Option) *Store {
	t.Helper()
	s := newBareStore(t, opts...)
	t.Cleanup(func() { checkConsistent(t, s) }) // runs before purge
	return s
}

// newBareStore is newTestStore without the consistency check.
func newBareStore(t testing.TB, opts ...Option) *Store {
	t.Helper()
	c := testClient(t)
	s := New(c, append([]Option{WithPrefix(testPrefix())}, opts...)...)
	t.Cleanup(func() { purge(t, c, s.Prefix()) })
	return s
}

// scanKeys returns every key under prefix (which holds no glob characters).
func scanKeys(t testing.TB, c redis.UniversalClient, prefix string) []string {
	t.Helper()
	var (
		mu  sync.Mutex
		out []string
	)
	scan := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			out = append(out, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(context.Background(), func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(context.Background(), c)
	}
	if err != nil {
		t.Fatalf("SCAN %s*: %v", prefix, err)
	}
	return out
}

// purge deletes every key under prefix.
func purge(t testing.TB, c redis.UniversalClient, prefix string) {
	t.Helper()
	keys := scanKeys(t, c, prefix)
	for start := 0; start < len(keys); start += 1000 {
		if err := c.Del(context.Background(), keys[start:min(start+1000, len(keys))]...).Err(); err != nil {
			t.Errorf("DEL: %v", err)
		}
	}
}

// checkConsistent checks the invariants of the store's keys: the id set
// holds exactly the ids of the token hashes, each index holds exactly the
// ids of the tokens with its value, and the counter is at least every id.
func checkConsistent(t testing.TB, s *Store) {
	t.Helper()
	ctx := context.Background()
	c := s.Client()
	var tokenIDs []string
	want := map[string][]string{} // index key → ids
	var indexKeys, lifeIDs []string
	for _, key := range scanKeys(t, c, s.Prefix()) {
		rest := strings.TrimPrefix(key, s.Prefix())
		switch {
		case strings.HasPrefix(rest, "token:"):
			id := strings.TrimPrefix(rest, "token:")
			m, err := c.HGetAll(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			tok, err := decodeMap(id, m)
			if err != nil {
				t.Errorf("token %s does not decode: %v", id, err)
				continue
			}
			if m["id"] != id {
				t.Errorf("token key %s holds id field %q", key, m["id"])
			}
			tokenIDs = append(tokenIDs, id)
			for _, ik := range s.k.indexes(nil, tok) {
				want[ik] = append(want[ik], id)
			}
		case strings.HasPrefix(rest, "idx:"):
			indexKeys = append(indexKeys, key)
		case strings.HasPrefix(rest, "life:"):
			id := strings.TrimPrefix(rest, "life:")
			m, err := c.HGetAll(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := decodeLife(id, m); err != nil || !storekit.ValidID(id) {
				t.Errorf("lifecycle record %s does not decode: %v", key, err)
			}
			lifeIDs = append(lifeIDs, id)
		}
	}
	inSet, err := c.ZRange(ctx, s.k.lifeIDs(), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(inSet)
	slices.Sort(lifeIDs)
	if !slices.Equal(inSet, lifeIDs) {
		t.Errorf("the lifecycle set holds ids %v, the store has records of %v", inSet, lifeIDs)
	}
	ids, err := c.ZRange(ctx, s.k.ids(), 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	slices.Sort(tokenIDs)
	if !slices.Equal(ids, tokenIDs) {
		t.Errorf("the id set holds %d ids, the store %d token hashes", len(ids), len(tokenIDs))
	}
	if len(indexKeys) != len(want) {
		t.Errorf("%d index keys, want %d", len(indexKeys), len(want))
	}
	for _, ik := range indexKeys {
		got, err := c.SMembers(ctx, ik).Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		w := want[ik]
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("index %s holds ids %v, want %v", ik, got, w)
		}
	}
	if len(tokenIDs) > 0 {
		n, err := c.Get(ctx, s.k.counter()).Uint64()
		if err != nil {
			t.Fatalf("counter: %v", err)
		}
		for _, id := range tokenIDs {
			if storekit.CompareIDs(id, strconv.FormatUint(n, 10)) > 0 {
				t.Errorf("id %s is above the counter %d", id, n)
			}
		}
	}
}
