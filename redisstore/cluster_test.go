package redisstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storetest"
)

// envCluster names the nodes of the test Redis Cluster, comma-separated
// host:port (e.g. 127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002).
const envCluster = "ZOHOAUTH_TEST_REDIS_CLUSTER_ADDRS"

// clusterURL returns the redis+cluster:// URL of the test cluster (skipped
// when envCluster is unset outside CI, failed in CI).
func clusterURL(t testing.TB) string {
	t.Helper()
	return "redis+cluster://" + storetest.Server(t, envCluster) + "/"
}

// testClusterClient returns a client of the test cluster, closed when the
// test ends.
func testClusterClient(t testing.TB) *redis.ClusterClient {
	t.Helper()
	addrs := strings.Split(storetest.Server(t, envCluster), ",")
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() }); err != nil {
		_ = c.Close()
		t.Fatalf("Redis Cluster at %s (%s) does not answer: %v", addrs, envCluster, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newClusterBareStore returns an empty store of the test cluster under a
// prefix of its own, deleted when the test ends.
func newClusterBareStore(t testing.TB, opts ...Option) *Store {
	t.Helper()
	c := testClusterClient(t)
	s := New(c, append([]Option{WithPrefix(testPrefix())}, opts...)...)
	t.Cleanup(func() { purge(t, c, s.Prefix()) })
	return s
}

// newClusterTestStore is newClusterBareStore whose keys are checked for
// consistency when the test ends.
func newClusterTestStore(t testing.TB, opts ...Option) *Store {
	t.Helper()
	s := newClusterBareStore(t, opts...)
	t.Cleanup(func() { checkConsistent(t, s) })
	return s
}

// TestClusterConformance runs the conformance kit on a Redis Cluster.
func TestClusterConformance(t *testing.T) {
	clusterURL(t)
	storetest.Run(t, func(t *testing.T) zohoauth.Store { return newClusterTestStore(t) }, storetest.Claim(storetest.LifecycleKeeper, storetest.LockChecker))
}

// openClusterPrefix opens a store of the test cluster by URL under the
// prefix that the processes of a multi-process check share.
func openClusterPrefix(t *testing.T, prefix string) zohoauth.Store {
	s, err := Open(t.Context(), clusterURL(t), WithPrefix(prefix))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func clusterProcessOptions() storetest.ProcessOptions {
	return storetest.ProcessOptions{
		Setup:  func(t *testing.T) string { return newClusterTestStore(t).Prefix() },
		Rounds: 3,
	}
}

// TestClusterMultiProcess runs storetest.MultiProcess on a Redis Cluster.
func TestClusterMultiProcess(t *testing.T) {
	storetest.MultiProcess(t, openClusterPrefix, clusterProcessOptions())
}

// TestClusterLockMultiProcess runs storetest.MultiProcessLock on a Redis
// Cluster.
func TestClusterLockMultiProcess(t *testing.T) {
	storetest.MultiProcessLock(t, openClusterPrefix, clusterProcessOptions())
}

// TestClusterWrongTypeWritesNothing is TestSaveWrongTypeWritesNothing on a
// Redis Cluster.
func TestClusterWrongTypeWritesNothing(t *testing.T) {
	clusterURL(t)
	testSaveWrongType(t, func(t *testing.T) *Store { return newClusterBareStore(t) })
}

// TestClusterKeysInOneSlot: on a cluster, a prefix without a hash tag is
// used in braces, one with a tag as it is, and every key of a store (a
// token, its indexes, the id set, the counter, a lock, a lifecycle record
// and the set of records) is in one slot.
func TestClusterKeysInOneSlot(t *testing.T) {
	c := testClusterClient(t)
	ctx := t.Context()
	for _, tc := range []struct{ prefix, want string }{
		{"plain:", "{plain:}"},
		{"{tagged}:", "{tagged}:"},
		{"app:{t}:", "app:{t}:"},
		{"empty{}:", "{empty{}:}"},
		{"open{:", "{open{:}"},
	} {
		if got := New(c, WithPrefix(tc.prefix)).Prefix(); got != tc.want {
			t.Errorf("prefix %q on a cluster is %q, want %q", tc.prefix, got, tc.want)
		}
	}
	if got := New(c).Prefix(); got != "{"+DefaultPrefix+"}" {
		t.Errorf("default prefix on a cluster: %q", got)
	}
	s := newClusterTestStore(t)
	tok := fullToken(1)
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateLifecycle(ctx, tok.ID, func(l *zohoauth.Lifecycle) error { l.Failures = 1; return nil }); err != nil {
		t.Fatal(err)
	}
	lk, err := s.Lock(ctx, "refresh", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Unlock(context.WithoutCancel(ctx))
	keys := scanKeys(t, c, s.Prefix())
	if len(keys) < 9 {
		t.Fatalf("%d keys, want a token, 4 indexes, the id set, the counter, a lock, a lifecycle record and its set", len(keys))
	}
	slot, err := c.ClusterKeySlot(ctx, keys[0]).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys[1:] {
		if n, err := c.ClusterKeySlot(ctx, k).Result(); err != nil || n != slot {
			t.Errorf("key %s is in slot %d, %s in %d", k, n, keys[0], slot)
		}
	}
}

// TestClusterReplicas: a write that fewer replicas confirm than required
// fails with ErrNotReplicated, and so does taking a lock (which is given
// back); with the default of one replica, writes succeed.
func TestClusterReplicas(t *testing.T) {
	s := newClusterBareStore(t, WithReplicas(5, 50*time.Millisecond)) // each primary has one
	ctx := t.Context()
	err := s.SaveToken(ctx, fullToken(1))
	if !errors.Is(err, ErrNotReplicated) {
		t.Errorf("save waiting for 5 replicas: %v, want ErrNotReplicated", err)
	}
	if _, err := s.Lock(ctx, "l", time.Minute); !errors.Is(err, ErrNotReplicated) {
		t.Errorf("lock waiting for 5 replicas: %v, want ErrNotReplicated", err)
	}
	if n, err := s.Client().Exists(ctx, s.k.lock("l")).Result(); err != nil || n != 0 {
		t.Errorf("the lock that was not replicated is still held (%d, %v)", n, err)
	}

	d := New(s.Client(), WithPrefix(s.Prefix()))
	if d.replicas != 1 {
		t.Fatalf("a cluster store waits for %d replicas by default, want 1", d.replicas)
	}
	tok := fullToken(2)
	if err := d.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	lk, err := d.Lock(ctx, "l", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := lk.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestOpenClusterURL opens a store by a redis+cluster:// URL, and checks
// that bad cluster URLs give typed errors that do not show the password.
func TestOpenClusterURL(t *testing.T) {
	raw := clusterURL(t)
	ctx := t.Context()
	s, err := Open(ctx, raw+"?prefix_ignored=1")
	if err == nil {
		_ = s.Close()
		t.Error("an unknown option was accepted")
	}
	s, err = Open(ctx, raw, WithPrefix(testPrefix()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Cleanup(func() { purge(t, testClusterClient(t), s.Prefix()) })
	if _, ok := s.Client().(*redis.ClusterClient); !ok {
		t.Fatalf("a cluster URL made a %T", s.Client())
	}
	if s.replicas != 1 {
		t.Errorf("a cluster URL waits for %d replicas, want 1", s.replicas)
	}
	tok := fullToken(1)
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindTokenByID(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{
		"redis+cluster://user:pa55word@127.0.0.1:7000,127.0.0.1:7001/1",
		"redis+cluster://user:pa55word@127.0.0.1:7000/?addr=127.0.0.1:7001",
		"redis+cluster://user:pa55word@127.0.0.1:7000,/",
		"redis+cluster://user:pa55word@127.0.0.1:7000/?bogus=pa55word",
	} {
		_, err := Open(ctx, u)
		var ze *zohoauth.Error
		if !errors.As(err, &ze) || ze.Message != MsgOpen {
			t.Errorf("Open(%q) = %v, want a store error %q", u, err, MsgOpen)
			continue
		}
		if strings.Contains(err.Error(), "pa55word") {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
}

// movedWatch is a go-redis hook of a cluster's node clients that answers
// the next n WATCH commands with moved, a MOVED redirection, as nodes do
// while a slot changes hands.
type movedWatch struct {
	n     atomic.Int32
	moved error
}

func (h *movedWatch) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *movedWatch) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

func (h *movedWatch) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if strings.EqualFold(cmd.Name(), "watch") && h.n.Add(-1) >= 0 {
			cmd.SetErr(h.moved)
			return h.moved
		}
		return next(ctx, cmd)
	}
}

// TestClusterSaveRedirectedToTheEnd: go-redis's ClusterClient.Watch returns
// nil without running the transaction when its last attempt is
// redirected (MOVED), as during a failover. A save must then not report
// success for a write it never made (the old code panicked on the plan it
// never got): it is run again, and the token is stored.
func TestClusterSaveRedirectedToTheEnd(t *testing.T) {
	addrs := strings.Split(storetest.Server(t, envCluster), ",")
	ctx := t.Context()
	probe := testClusterClient(t)
	s0 := New(probe, WithPrefix(testPrefix()))
	t.Cleanup(func() { purge(t, probe, s0.Prefix()) })
	// A real MOVED answer: a key of the store's slot asked of a node that
	// does not serve it.
	owner, err := probe.MasterForKey(ctx, s0.k.anchor())
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		moved error
	)
	err = probe.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		if c.Options().Addr == owner.Options().Addr {
			return nil
		}
		if err := c.Get(ctx, s0.k.anchor()).Err(); err != nil {
			if _, ok := redis.IsMovedError(err); ok {
				mu.Lock()
				moved = err
				mu.Unlock()
			}
		}
		return nil
	})
	if err != nil || moved == nil {
		t.Fatalf("no MOVED answer from the cluster (%v)", err)
	}
	const redirects = 2
	h := &movedWatch{moved: moved}
	c := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:        addrs,
		MaxRedirects: redirects,
		NewClient: func(o *redis.Options) *redis.Client {
			nc := redis.NewClient(o)
			nc.AddHook(h)
			return nc
		},
	})
	t.Cleanup(func() { _ = c.Close() })
	s := New(c, WithPrefix(s0.Prefix()))
	h.n.Store(redirects + 1) // every attempt of one Watch is redirected
	tok := fullToken(1)
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("SaveToken panicked: %v", p)
			}
		}()
		if err := s.SaveToken(ctx, tok); err != nil {
			t.Fatalf("SaveToken: %v", err)
		}
	}()
	if h.n.Load() >= 0 {
		t.Fatal("the hook redirected no WATCH")
	}
	got, err := s0.FindTokenByID(ctx, tok.ID)
	if err != nil {
		t.Fatalf("the save that returned nil is not stored: %v", err)
	}
	if d := storetest.Diff(got, tok); d != nil {
		t.Fatalf("stored token differs in %v", d)
	}
}

// TestClusterLifecycleMultiProcess runs storetest.MultiProcessLifecycle on
// a Redis Cluster.
func TestClusterLifecycleMultiProcess(t *testing.T) {
	opts := clusterProcessOptions()
	opts.Claims = []storetest.Capability{storetest.LifecycleKeeper}
	storetest.MultiProcessLifecycle(t, openClusterPrefix, opts)
}
