package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
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

// envFailover names nodes of a Redis Cluster that only
// TestRedisClusterFailover uses (comma-separated host:port, as
// ZOHOAUTH_TEST_REDIS_CLUSTER_ADDRS): the test kills one of its primaries,
// which would fail the tests of other packages that share a cluster, so it
// must not be the cluster they use (.ci/services.sh starts one on
// 127.0.0.1:7100-7105). Its nodes run on this machine, and the test
// restarts the one it killed with the options it reads from the node.
const envFailover = "ZOHOAUTH_TEST_REDIS_FAILOVER_ADDRS"

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
// the promotion, to the survivor's refresh and to the first token a caller
// got. Once a replica took over, the node is started again with its own
// options, as a supervisor would, and rejoins as the new primary's replica:
// until it has copied the new primary's data the new primary has no
// replica, and the store's writes, which wait for one, fail. The test ends
// with the cluster whole again.
func TestRedisClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	addrs := storetest.Server(t, envFailover)
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ",")})
	t.Cleanup(func() { _ = cc.Close() })
	waitHealthy(t, cc)
	notShared(t, cc)

	prefix := fmt.Sprintf("{zohoauth-failover-%d}:", os.Getpid())
	storeURL := "redis+cluster://" + addrs + "/?prefix=" + url.QueryEscape(prefix)
	c := newCluster(t, storeCase{"redis-cluster", func(testing.TB) string { return storeURL }})

	// The primary of the token's slot, its process and how to start it.
	primary, err := cc.MasterForKey(ctx, prefix+"token:"+c.id)
	if err != nil {
		t.Fatal(err)
	}
	addr := primary.Options().Addr
	node := inspectNode(t, primary)
	var killed, restarted bool
	t.Cleanup(func() {
		if killed && !restarted {
			node.restart(t)
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
	var promotedAfter, restartedAfter time.Duration
	rejoined := make(chan struct{})
	for l := range merged {
		if killed || l != "REFRESHING" {
			continue
		}
		deadline := time.Now().Add(10 * time.Second)
		for c.srv.Stats().FaultsInjected == before.FaultsInjected && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if err := syscall.Kill(node.pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill node %s (pid %d): %v", addr, node.pid, err)
		}
		killed, killedAt = true, time.Now()
		t.Logf("killed the primary %s (pid %d) of the token's slot while a refresh was in flight", addr, node.pid)
		// As a supervisor would, start the node again once its replica
		// took over: it rejoins as the new primary's replica, which the
		// writes of the store wait for. (Started before, it would come
		// back as an empty primary of its slots, and its replica would
		// copy that: without persistence, a node is restarted only after
		// its failover.)
		go func() {
			defer close(rejoined)
			d, ok := waitPromoted(cc, prefix+"token:"+c.id, addr, 30*time.Second)
			if !ok {
				t.Errorf("no replica was promoted within 30 s of the kill")
				return
			}
			promotedAfter = d
			node.restart(t)
			restartedAfter = time.Since(killedAt)
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
	// The survivor's refresh: the first one started after the kill (the
	// one in flight at the kill is answered after it too).
	var logs []string
	for _, k := range kids {
		k.stderr.mu.Lock()
		logs = append(logs, strings.Split(k.stderr.w.(*strings.Builder).String(), "\n")...)
		k.stderr.mu.Unlock()
	}
	refreshed := firstLogged(firstLogged(killedAt, logs, refreshingMsg), logs, newTokenMsg)
	t.Logf("after the kill: promotion %v, node restarted %v, the survivor's refresh %v, the first token a caller got %v",
		promotedAfter.Round(time.Millisecond), restartedAfter.Round(time.Millisecond),
		refreshed.Sub(killedAt).Round(time.Millisecond), first.Sub(killedAt).Round(time.Millisecond))
	t.Logf("token endpoint calls for the expiry: %d (%d successful refreshes); caller errors retried: %d", calls, refreshes, retried)
	t.Logf("writer across the kill: %d saves acknowledged, %d lost; %d failed (%d of them present afterwards)",
		acked, lost, failed, unknownPresent)
	if calls > 2 {
		t.Errorf("%d calls to the token endpoint for one expiry and one kill, want at most 2", calls)
		for _, l := range logs {
			if !strings.Contains(l, "lock not taken") && l != "" {
				t.Log(l)
			}
		}
	}
	if lost != 0 {
		t.Errorf("%d acknowledged saves lost in the failover", lost)
	}
	c.checkValid()
}

// newTokenMsg is the authenticator's record of a token Zoho issued.
const newTokenMsg = "zohoauth: new access token"

// firstLogged returns the time of the first line of logs (a child's log,
// slog's text format) with message msg logged after since; the zero time
// when there is none.
func firstLogged(since time.Time, logs []string, msg string) time.Time {
	var first time.Time
	for _, l := range logs {
		if !strings.Contains(l, `msg="`+msg+`"`) {
			continue
		}
		v, ok := strings.CutPrefix(l, "time=")
		if !ok {
			continue
		}
		v, _, _ = strings.Cut(v, " ")
		if at, err := time.Parse(time.RFC3339Nano, v); err == nil && at.After(since) && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return first
}

// notShared fails the test when a node of the cluster cc is also a node of
// the cluster the other tests share (envRedisCluster): killing one would
// fail them.
func notShared(t *testing.T, cc *redis.ClusterClient) {
	t.Helper()
	shared := os.Getenv(envRedisCluster)
	if shared == "" {
		return
	}
	sc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(shared, ",")})
	defer sc.Close()
	ctx := context.Background()
	theirs, err := sc.ClusterNodes(ctx).Result()
	if err != nil {
		return // not answering: nothing of it to kill
	}
	ours, err := cc.ClusterNodes(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, l := range strings.Split(theirs, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			ids[f[0]] = true
		}
	}
	for _, l := range strings.Split(ours, "\n") {
		if f := strings.Fields(l); len(f) > 1 && ids[f[0]] {
			t.Fatalf("%s and %s name the same cluster (node %s): the failover test needs a cluster of its own", envFailover, envRedisCluster, f[1])
		}
	}
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

// node is a Redis node of this machine: its process and the options it was
// started with.
type node struct {
	addr string
	pid  int
	args []string // redis-server's command-line options
}

// nodeOptions are the options a node is started again with, read from the
// node itself (CONFIG GET), so that the test does not repeat the recipe of
// .ci/services.sh.
var nodeOptions = []string{
	"port", "bind", "cluster-enabled", "cluster-config-file", "cluster-node-timeout",
	"save", "appendonly", "dir", "pidfile", "logfile", "daemonize",
}

// inspectNode reads the process id of the node that c reaches and its
// options, and checks that the process is a redis-server of this machine.
func inspectNode(t *testing.T, c *redis.Client) *node {
	t.Helper()
	ctx := context.Background()
	n := &node{addr: c.Options().Addr}
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "process_id:"); ok {
			n.pid, _ = strconv.Atoi(v)
		}
	}
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", n.pid)); n.pid <= 1 || err != nil || !strings.HasPrefix(string(comm), "redis-server") {
		t.Fatalf("node %s says its process is %d, which is not a redis-server of this machine (%v): %s must name nodes that run here", n.addr, n.pid, err, envFailover)
	}
	for _, name := range nodeOptions {
		kv, err := c.ConfigGet(ctx, name).Result()
		if err != nil {
			t.Fatal(err)
		}
		v, ok := kv[name]
		if !ok {
			t.Fatalf("node %s has no option %s", n.addr, name)
		}
		// A list (bind, save) is given as separate arguments.
		n.args = append(n.args, "--"+name)
		if f := strings.Fields(v); len(f) > 1 {
			n.args = append(n.args, f...)
		} else {
			n.args = append(n.args, v)
		}
	}
	if !slices.Contains(n.args, "--daemonize") || n.args[slices.Index(n.args, "--daemonize")+1] != "yes" {
		t.Fatalf("node %s does not run as a daemon: the test cannot start it again as it was", n.addr)
	}
	return n
}

// restart starts the node again with its options; it keeps its nodes.conf
// and rejoins the cluster.
func (n *node) restart(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("redis-server", n.args...).CombinedOutput(); err != nil {
		t.Errorf("restart node %s: %v\n%s", n.addr, err, out)
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
