package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth/redisstore"
	"github.com/zohoauth/zohoauth/storetest"
	"github.com/zohoauth/zohoauth/zohotest"
)

// envFailover switches TestRedisClusterFailover on: it kills a node of the
// test cluster, which would fail the tests of other packages that use the
// cluster at the same time, so CI runs it on its own, after them.
const envFailover = "ZOHOAUTH_TEST_REDIS_FAILOVER"

// envClusterDir is the folder of the test cluster's nodes: <port>/pid holds
// a node's process id (/var/lib/redis/cluster by default, as
// .ci/services.sh makes it).
const envClusterDir = "REDIS_CLUSTER_DIR"

// failoverProcs × failoverGoroutines ask for the token across the kill.
const (
	failoverProcs      = 4
	failoverGoroutines = 50
)

// TestRedisClusterFailover kills (SIGKILL) the primary that holds the
// token's slot while a refresh is in flight, and checks that the fleet goes
// on once the replica is promoted: the refresh token is kept, the stored
// access token is a new valid one, the token endpoint is called at most
// twice for the expiry (one refresh, at most one more because of the kill),
// and no save that the store acknowledged is lost, measured by a writer
// saving new tokens across the kill. It reports the time from the kill to
// the promotion and to the first token a caller got. Once a replica took
// over, the node is started again with its command of .ci/services.sh, as a
// supervisor would, and rejoins as the new primary's replica: until then
// the new primary has no replica, and the store's writes, which wait for
// one, fail. The test ends with the cluster whole again.
func TestRedisClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	addrs := storetest.Server(t, envRedisCluster)
	if os.Getenv(envFailover) != "1" {
		t.Skipf("%s is not 1: skipping the test that kills a node of the cluster", envFailover)
	}
	dir := os.Getenv(envClusterDir)
	if dir == "" {
		dir = "/var/lib/redis/cluster"
	}
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ",")})
	t.Cleanup(func() { _ = cc.Close() })
	waitHealthy(t, cc)

	prefix := fmt.Sprintf("{zohoauth-failover-%d}:", os.Getpid())
	storeURL := "redis+cluster://" + addrs + "/?prefix=" + url.QueryEscape(prefix)
	c := newCluster(t, storeCase{"redis-cluster", func(testing.TB) string { return storeURL }})

	// The primary of the token's slot, and its process.
	primary, err := cc.MasterForKey(ctx, prefix+"token:"+c.id)
	if err != nil {
		t.Fatal(err)
	}
	addr := primary.Options().Addr
	_, port, _ := net.SplitHostPort(addr)
	pidText, err := os.ReadFile(filepath.Join(dir, port, "pid"))
	if err != nil {
		t.Fatalf("the process of node %s: %v (%s names the cluster's folder)", addr, err, envClusterDir)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(pidText)))
	if err != nil {
		t.Fatal(err)
	}
	var killed, restarted bool
	t.Cleanup(func() {
		if killed && !restarted {
			restartNode(t, dir, port)
			waitHealthy(t, cc)
		}
	})

	// A writer saves new tokens across the kill: each save that returned
	// nil must be there afterwards.
	writer := startWriter(t, storeURL)

	const lease = 1500 * time.Millisecond
	expiry := time.Now().Add(startDelay)
	c.expireAt(expiry)
	before := c.srv.Stats()
	// Hold the refresh at the emulator long enough to kill the node while
	// it is in flight.
	c.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: 300 * time.Millisecond})
	kids := make([]*child, failoverProcs)
	for i := range kids {
		kids[i] = c.spawn(expiry.Add(10*time.Millisecond), lease,
			envRetry+"=1", envGoroutines+"="+strconv.Itoa(failoverGoroutines))
	}
	merged := make(chan string)
	var wg sync.WaitGroup
	for _, k := range kids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range k.lines {
				merged <- s
			}
		}()
	}
	go func() { wg.Wait(); close(merged) }()
	var killedAt time.Time
	rejoined := make(chan struct{})
	for l := range merged {
		if killed || l != "REFRESHING" {
			continue
		}
		deadline := time.Now().Add(10 * time.Second)
		for c.srv.Stats().FaultsInjected == before.FaultsInjected && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill node %s (pid %d): %v", addr, pid, err)
		}
		killed, killedAt = true, time.Now()
		t.Logf("killed the primary %s (pid %d) of the token's slot while a refresh was in flight", addr, pid)
		// As a supervisor would, start the node again once its replica
		// took over: it rejoins as the new primary's replica, which the
		// writes of the store wait for.
		go func() {
			defer close(rejoined)
			d, ok := waitPromoted(cc, prefix+"token:"+c.id, addr, 30*time.Second)
			if !ok {
				t.Errorf("no replica was promoted within 30 s of the kill")
			} else {
				t.Logf("a replica was promoted %v after the kill", d.Round(time.Millisecond))
			}
			// A node restarted without data serves its old slots as an
			// empty primary until its peers tell it about the promotion:
			// start it only once the processes' slot maps (reloaded every
			// second) point at the new primary.
			time.Sleep(2 * time.Second)
			restartNode(t, dir, port)
			t.Logf("node %s started again %v after the kill", addr, time.Since(killedAt).Round(time.Millisecond))
		}()
	}
	if !killed {
		t.Fatal("no child reported a refresh")
	}
	var first time.Time
	retried := 0
	for i, k := range kids {
		<-k.exit
		if k.err != nil {
			t.Fatalf("child %d: %v", i, k.err)
		}
		r := parseResult(k.out)
		for _, e := range r.errors {
			t.Errorf("child %d: a caller gave up: %s", i, e)
		}
		if !r.first.IsZero() && (first.IsZero() || r.first.Before(first)) {
			first = r.first
		}
		retried += r.retried
		if r.retried > 0 {
			t.Logf("child %d: %d errors retried, the first: %s", i, r.retried, r.retriedErr)
		}
	}
	<-rejoined
	restarted = true
	waitHealthy(t, cc)
	acked, failed, lost, unknownPresent := writer.stop(t)

	after := c.srv.Stats()
	calls := after.Calls["POST /oauth/v2/token"] - before.Calls["POST /oauth/v2/token"]
	refreshes := after.Refreshes - before.Refreshes
	t.Logf("kill to the first token a caller got: %v; token endpoint calls for the expiry: %d (%d successful refreshes); caller errors retried: %d",
		first.Sub(killedAt).Round(time.Millisecond), calls, refreshes, retried)
	t.Logf("writer across the kill: %d saves acknowledged, %d lost; %d failed (%d of them present afterwards)",
		acked, lost, failed, unknownPresent)
	if calls > 2 {
		t.Errorf("%d calls to the token endpoint for one expiry and one kill, want at most 2", calls)
		for i, k := range kids {
			k.stderr.mu.Lock()
			for _, l := range strings.Split(k.stderr.w.(*strings.Builder).String(), "\n") {
				if !strings.Contains(l, "lock not taken") && l != "" {
					t.Logf("child %d: %s", i, l)
				}
			}
			k.stderr.mu.Unlock()
		}
	}
	if lost != 0 {
		t.Errorf("%d acknowledged saves lost in the failover", lost)
	}
	c.checkValid()
}

// waitHealthy waits until every slot is served and each of the cluster's
// three primaries has its replica.
func waitHealthy(t *testing.T, cc *redis.ClusterClient) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		info, err1 := cc.ClusterInfo(ctx).Result()
		nodes, err2 := cc.ClusterNodes(ctx).Result()
		if err1 == nil && err2 == nil && strings.Contains(info, "cluster_state:ok") && strings.Count(nodes, "slave") == 3 && !strings.Contains(nodes, "fail") {
			cc.ReloadState(ctx)
			return
		}
		last = fmt.Sprint(err1, err2, "\n", nodes)
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the cluster is not whole after 60 s: %s", last)
}

// waitPromoted polls until another node than old serves key's slot, and
// returns how long that took.
func waitPromoted(cc *redis.ClusterClient, key, old string, max time.Duration) (time.Duration, bool) {
	start := time.Now()
	ctx := context.Background()
	for time.Since(start) < max {
		cc.ReloadState(ctx)
		if n, err := cc.MasterForKey(ctx, key); err == nil && n.Options().Addr != old && n.Ping(ctx).Err() == nil {
			return time.Since(start), true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, false
}

// restartNode starts the node of port again with the command of
// .ci/services.sh; it keeps its nodes.conf and rejoins as a replica.
func restartNode(t *testing.T, dir, port string) {
	t.Helper()
	d := filepath.Join(dir, port)
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1",
		"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(d, "nodes.conf"), "--cluster-node-timeout", "2000",
		"--save", "", "--appendonly", "no", "--dir", d, "--daemonize", "yes", "--pidfile", filepath.Join(d, "pid"), "--logfile", filepath.Join(d, "log"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("restart node %s: %v\n%s", port, err, out)
	}
}

// writer saves new tokens in a loop and remembers which saves were
// acknowledged.
type writer struct {
	store  *redisstore.Store
	cancel context.CancelFunc
	done   chan struct{}
	acked  map[string]string // id → access token
	failed []string          // access tokens of failed saves
}

func startWriter(t *testing.T, storeURL string) *writer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	raw, _, _ := strings.Cut(storeURL, "?")
	u, _ := url.Parse(storeURL)
	s, err := redisstore.Open(ctx, raw, redisstore.WithPrefix(u.Query().Get("prefix")))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	w := &writer{store: s, cancel: cancel, done: make(chan struct{}), acked: map[string]string{}}
	go func() {
		defer close(w.done)
		for n := 0; ctx.Err() == nil; n++ {
			tok := storetest.Token(100000+n, "W")
			sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
			err := s.SaveToken(sctx, tok)
			scancel()
			if err != nil {
				if ctx.Err() == nil {
					w.failed = append(w.failed, tok.AccessToken)
					time.Sleep(20 * time.Millisecond)
				}
				continue
			}
			w.acked[tok.ID] = tok.AccessToken
		}
	}()
	return w
}

// stop stops the writer and counts its acknowledged saves, those lost, its
// failed saves and those of them that are in the store all the same.
func (w *writer) stop(t *testing.T) (acked, failed, lost, failedPresent int) {
	t.Helper()
	w.cancel()
	<-w.done
	defer w.store.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	present := map[string]bool{}
	for {
		toks, err := w.store.Tokens(ctx)
		if err == nil {
			for _, tok := range toks {
				present[tok.AccessToken] = true
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("read the writer's tokens: %v", errors.Join(err, ctx.Err()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, access := range w.acked {
		if !present[access] {
			lost++
		}
	}
	for _, access := range w.failed {
		if present[access] {
			failedPresent++
		}
	}
	return len(w.acked), len(w.failed), lost, failedPresent
}
