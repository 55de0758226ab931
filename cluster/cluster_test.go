package cluster_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/storetest"
	"github.com/zohoauth/zohoauth/storeurl"
	"github.com/zohoauth/zohoauth/zohotest"
)

const (
	procs      = 4
	goroutines = 250

	clientID     = "1000.CLUSTER"
	clientSecret = "cluster-client-secret"
	email        = "ann@example.com"

	// refreshingMsg is the authenticator's record of a refresh about to
	// call Zoho; it is logged inside the store lock.
	refreshingMsg = "zohoauth: refreshing access token"
)

// envRedisCluster names the nodes of the test Redis Cluster,
// comma-separated host:port.
const envRedisCluster = "ZOHOAUTH_TEST_REDIS_CLUSTER_ADDRS"

// Environment of a child process.
const (
	envChild    = "ZOHOAUTH_CLUSTER_CHILD"
	envStore    = "ZOHOAUTH_CLUSTER_STORE"
	envEmulator = "ZOHOAUTH_CLUSTER_EMULATOR"
	envID       = "ZOHOAUTH_CLUSTER_ID"
	envStart    = "ZOHOAUTH_CLUSTER_START" // Unix nanoseconds
	envLease    = "ZOHOAUTH_CLUSTER_LEASE"
	// envRetry makes each goroutine of a child ask again after an error,
	// as a fleet does, until it gets a token or 60 s pass; the child
	// reports its first token's time (FIRST) and the errors (RETRIED).
	envRetry = "ZOHOAUTH_CLUSTER_RETRY"
	// envGoroutines sets the goroutines of a child (goroutines by default).
	envGoroutines = "ZOHOAUTH_CLUSTER_GOROUTINES"
	// envKeyset names a keyset file: the child reaches the store through
	// sealed, with a keyring that reads that file.
	envKeyset = "ZOHOAUTH_CLUSTER_KEYSET"
	// envStop names a file: each goroutine of the child keeps asking for
	// the token (every 20–40 ms) until the file exists, and the child
	// reports its calls (CALLS).
	envStop = "ZOHOAUTH_CLUSTER_STOP"
)

// storeCase is one persistent store, named by a store URL.
type storeCase struct {
	name string
	url  func(t testing.TB) string
}

func storeCases() []storeCase {
	return []storeCase{
		{"sqlite", func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "cluster.db") }},
		{"file", func(t testing.TB) string { return "file:" + filepath.Join(t.TempDir(), "sdk_tokens.txt") }},
		{"mysql", func(t testing.TB) string {
			return withQuery(serverURL(t, storetest.EnvMySQL, "mysql"), "table=zohoauth_cluster_test")
		}},
		{"postgres", func(t testing.TB) string {
			return withQuery(serverURL(t, storetest.EnvPostgres, "postgres"), "table=zohoauth_cluster_test")
		}},
		{"redis", func(t testing.TB) string {
			addr := storetest.Server(t, storetest.EnvRedis)
			return "redis://" + addr + "/0?prefix=" + url.QueryEscape(fmt.Sprintf("zohoauth-cluster-%d:", os.Getpid()))
		}},
		{"redis-cluster", func(t testing.TB) string {
			addrs := storetest.Server(t, envRedisCluster)
			return "redis+cluster://" + addrs + "/?prefix=" + url.QueryEscape(fmt.Sprintf("{zohoauth-cluster-%d}:", os.Getpid()))
		}},
	}
}

// serverURL returns the store URL of a database server from env.
func serverURL(t testing.TB, env, scheme string) string {
	v := storetest.Server(t, env)
	if strings.Contains(v, "://") {
		return v
	}
	return scheme + ":" + v
}

func withQuery(raw, q string) string {
	if strings.Contains(raw, "?") {
		return raw + "&" + q
	}
	return raw + "?" + q
}

// openStore opens raw and fails when it cannot (in CI a server out of reach
// is a failure) or when the store lacks Locker or CompareAndSwapper: every
// store here is the project's own and promises both, and the single refresh
// across processes rests on them.
func openStore(t testing.TB, raw string) storeurl.Store {
	t.Helper()
	s, err := openURL(context.Background(), raw)
	if err != nil {
		t.Fatalf("open %s: %v", storeurl.Redact(raw), err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if missing := storetest.Missing(s, storetest.Locker, storetest.CompareAndSwapper); len(missing) > 0 {
		t.Fatalf("the %s store is not a %v, which it promises", strings.SplitN(raw, ":", 2)[0], missing)
	}
	return s
}

// environment points every Zoho URL at the emulator at base.
func environment(base string) zohoauth.Environment {
	return zohoauth.Environment{DC: "us", Kind: zohoauth.Production, APIURL: base, AccountsURL: base, FileUploadURL: base}
}

// cluster is one store and one emulator shared by the processes.
type cluster struct {
	t        testing.TB
	srv      *zohotest.Server
	storeURL string
	store    storeurl.Store
	tokens   zohoauth.Store // store, or the wrapper the tokens are read and written through
	id       string
	refresh  string // the stored refresh token
}

// clusterOptions vary a cluster.
type clusterOptions struct {
	srv  zohotest.Options                    // the emulator's
	wrap func(zohoauth.Store) zohoauth.Store // when set, the parent's tokens go through wrap(store)
}

func newCluster(t testing.TB, sc storeCase) *cluster {
	return newClusterWith(t, sc, clusterOptions{})
}

func newClusterWith(t testing.TB, sc storeCase, opts clusterOptions) *cluster {
	raw := sc.url(t)
	c := &cluster{t: t, storeURL: raw, store: openStore(t, raw)}
	c.tokens = c.store
	if opts.wrap != nil {
		c.tokens = opts.wrap(c.store)
	}
	ctx := context.Background()
	if err := c.store.DeleteTokens(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.store.DeleteTokens(context.Background()) })
	c.srv = zohotest.NewServer(opts.srv)
	t.Cleanup(c.srv.Close)
	c.srv.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret})
	c.srv.AddUser(zohotest.User{Email: email, ZGID: "7001"})
	code, err := c.srv.IssueGrant(clientID, email, "ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ")
	if err != nil {
		t.Fatal(err)
	}
	a := mustNew(c.tokens, auth.Options{Accounts: &accounts.Client{Environment: environment(c.srv.URL)}})
	h, err := a.Login(ctx, &zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, GrantToken: code}, "")
	_ = a.Close()
	if err != nil {
		t.Fatal(err)
	}
	c.id = h.ID()
	c.refresh = c.stored().RefreshToken
	return c
}

func (c *cluster) stored() *zohoauth.Token {
	c.t.Helper()
	tok, err := c.tokens.FindTokenByID(context.Background(), c.id)
	if err != nil {
		c.t.Fatal(err)
	}
	return tok
}

// expireAt makes the stored token expire at the given instant.
func (c *cluster) expireAt(at time.Time) {
	c.t.Helper()
	tok := c.stored()
	tok.Expiry = at.Truncate(time.Millisecond)
	if err := c.tokens.SaveToken(context.Background(), tok); err != nil {
		c.t.Fatal(err)
	}
}

// child is one running child process.
type child struct {
	cmd   *exec.Cmd
	lines chan string // its stdout, closed at EOF
	err   error       // Wait's result, set before exited closes
	exit  chan struct{}
	out   []string // every line, once exited

	stderr *syncWriter // its log
}

// spawn starts a child that asks for the token at start.
func (c *cluster) spawn(start time.Time, lease time.Duration, env ...string) *child {
	c.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterChild$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		envChild+"=1",
		envStore+"="+c.storeURL,
		envEmulator+"="+c.srv.URL,
		envID+"="+c.id,
		envStart+"="+strconv.FormatInt(start.UnixNano(), 10),
		envLease+"="+lease.String(),
	)
	cmd.Env = append(cmd.Env, env...)
	var stderr strings.Builder
	cmd.Stderr = &syncWriter{w: &stderr}
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	ch := &child{cmd: cmd, lines: make(chan string, 64), exit: make(chan struct{}), stderr: cmd.Stderr.(*syncWriter)}
	go func() {
		sc := bufio.NewScanner(out)
		var all []string
		for sc.Scan() {
			all = append(all, sc.Text())
			ch.lines <- sc.Text()
		}
		close(ch.lines)
		ch.err = cmd.Wait()
		ch.out = all
		if ch.err != nil && !strings.Contains(ch.err.Error(), "killed") {
			c.t.Logf("child %d: %v\n%s\nstderr:\n%s", cmd.Process.Pid, ch.err, strings.Join(all, "\n"), stderr.String())
		}
		close(ch.exit)
	}()
	return ch
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// result is what a child reported.
type result struct {
	tokens map[string]int // fingerprint → callers
	errors []string
	done   time.Time

	first      time.Time // envRetry: when the first caller got a token
	retried    int       // envRetry: errors the callers retried after
	retriedErr string    // the first of them
	calls      int       // envStop: the calls made
}

func parseResult(lines []string) result {
	r := result{tokens: map[string]int{}}
	for _, l := range lines {
		f := strings.Fields(l)
		switch {
		case len(f) == 3 && f[0] == "TOKEN":
			n, _ := strconv.Atoi(f[2])
			r.tokens[f[1]] += n
		case len(f) > 0 && f[0] == "ERROR":
			r.errors = append(r.errors, l)
		case len(f) == 2 && f[0] == "DONE":
			ns, _ := strconv.ParseInt(f[1], 10, 64)
			r.done = time.Unix(0, ns)
		case len(f) == 2 && f[0] == "FIRST":
			ns, _ := strconv.ParseInt(f[1], 10, 64)
			r.first = time.Unix(0, ns)
		case len(f) == 2 && f[0] == "CALLS":
			r.calls, _ = strconv.Atoi(f[1])
		case len(f) == 2 && f[0] == "RETRIED":
			r.retried, _ = strconv.Atoi(f[1])
		case len(f) > 1 && f[0] == "RETRIEDERR":
			r.retriedErr += " | " + strings.Join(f[1:], " ")
		}
	}
	return r
}

// checkSame checks that every caller of every result got the token with
// fingerprint want.
func checkSame(t *testing.T, results []result, want string) {
	t.Helper()
	for i, r := range results {
		if len(r.errors) > 0 {
			t.Errorf("child %d: %d errors: %v", i, len(r.errors), r.errors[0])
		}
		if len(r.tokens) != 1 || r.tokens[want] != goroutines {
			t.Errorf("child %d got tokens %v, want %d × %s", i, r.tokens, goroutines, want)
		}
	}
}

// checkValid checks that the store still holds the refresh token and an
// access token that the emulator accepts.
func (c *cluster) checkValid() *zohoauth.Token {
	c.t.Helper()
	tok := c.stored()
	if tok.RefreshToken != c.refresh {
		c.t.Fatal("the stored refresh token changed or was lost")
	}
	if tok.AccessToken == "" || !time.Now().Before(tok.Expiry) {
		c.t.Fatalf("stored access token missing or expired (expiry %v)", tok.Expiry)
	}
	req, _ := http.NewRequest(http.MethodGet, c.srv.URL+"/crm/v8/org", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("the emulator rejects the stored access token: %s", resp.Status)
	}
	return tok
}

// startDelay leaves the children time to start (a race-instrumented test
// binary, a store connection) before the token expires.
const startDelay = 2 * time.Second

func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	for _, sc := range storeCases() {
		t.Run(sc.name, func(t *testing.T) {
			c := newCluster(t, sc)
			t.Run("one refresh per expiry", func(t *testing.T) { c.roundExpiry(t) })
			t.Run("lock holder killed mid-refresh", func(t *testing.T) { c.roundKill(t) })
			if st := c.srv.Stats(); st.Throttled != 0 {
				t.Fatalf("Zoho's throttle was hit %d times", st.Throttled)
			}
		})
	}
}

// roundExpiry: 4 processes × 250 goroutines ask for the token just after
// it expires; one token request, one new token for all.
func (c *cluster) roundExpiry(t *testing.T) {
	old := c.stored().AccessToken
	expiry := time.Now().Add(startDelay)
	c.expireAt(expiry)
	before := c.srv.Stats()
	kids := make([]*child, procs)
	for i := range kids {
		kids[i] = c.spawn(expiry.Add(10*time.Millisecond), 5*time.Second)
	}
	results := make([]result, procs)
	for i, k := range kids {
		for range k.lines {
		}
		<-k.exit
		if k.err != nil {
			t.Fatalf("child %d: %v", i, k.err)
		}
		results[i] = parseResult(k.out)
	}
	after := c.srv.Stats()
	if n := after.Calls["POST /oauth/v2/token"] - before.Calls["POST /oauth/v2/token"]; n != 1 {
		t.Errorf("%d calls to the token endpoint for one expiry, want 1", n)
	}
	tok := c.checkValid()
	if tok.AccessToken == old {
		t.Fatal("not refreshed")
	}
	checkSame(t, results, zohoauth.Fingerprint(tok.AccessToken))
}

// roundKill: the process that holds the lock is killed while its refresh
// is in flight; another one takes over when the lease runs out.
func (c *cluster) roundKill(t *testing.T) {
	const lease = 1500 * time.Millisecond
	expiry := time.Now().Add(startDelay)
	c.expireAt(expiry)
	before := c.srv.Stats()
	c.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: time.Minute})
	kids := make([]*child, procs)
	for i := range kids {
		kids[i] = c.spawn(expiry.Add(10*time.Millisecond), lease)
	}
	// The first child to report a refresh in flight holds the lock: once
	// its request has reached the emulator, kill it.
	type line struct {
		i int
		s string
	}
	merged := make(chan line)
	var wg sync.WaitGroup
	for i, k := range kids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range k.lines {
				merged <- line{i, s}
			}
		}()
	}
	go func() { wg.Wait(); close(merged) }()
	victim := -1
	var killedAt time.Time
	for l := range merged {
		if victim >= 0 || l.s != "REFRESHING" {
			continue
		}
		victim = l.i
		deadline := time.Now().Add(10 * time.Second)
		for c.srv.Stats().FaultsInjected == before.FaultsInjected && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if err := kids[victim].cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		killedAt = time.Now()
		t.Logf("killed child %d (pid %d) in the middle of its refresh", victim, kids[victim].cmd.Process.Pid)
	}
	if victim < 0 {
		t.Fatal("no child reported a refresh")
	}
	var results []result
	for i, k := range kids {
		<-k.exit
		if i == victim {
			continue
		}
		if k.err != nil {
			t.Fatalf("child %d: %v", i, k.err)
		}
		r := parseResult(k.out)
		// The lease ran out at most a lease after the kill; then one lock
		// poll, one refresh and the callers' wake-up (slack for a loaded CI).
		d := r.done.Sub(killedAt)
		if d > lease+2*time.Second {
			t.Errorf("child %d finished %v after the kill, want within the lease (%v) and 2 s", i, d, lease)
		}
		t.Logf("child %d got the new token %v after the kill (lease %v)", i, d.Round(time.Millisecond), lease)
		results = append(results, r)
	}
	after := c.srv.Stats()
	if n := after.Refreshes - before.Refreshes; n != 1 {
		t.Errorf("%d successful refreshes, want 1 (the survivor's)", n)
	}
	if n := after.Calls["POST /oauth/v2/token"] - before.Calls["POST /oauth/v2/token"]; n != 2 {
		t.Errorf("%d calls to the token endpoint, want 2 (the killed holder's and the survivor's)", n)
	}
	tok := c.checkValid()
	checkSame(t, results, zohoauth.Fingerprint(tok.AccessToken))
}

// TestClusterChild is one process of TestCluster; it does nothing when run
// on its own.
func TestClusterChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("a child process of TestCluster")
	}
	ctx := context.Background()
	s, err := openURL(ctx, os.Getenv(envStore))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lease, err := time.ParseDuration(os.Getenv(envLease))
	if err != nil {
		t.Fatal(err)
	}
	ns, err := strconv.ParseInt(os.Getenv(envStart), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var st zohoauth.Store = s
	if path := os.Getenv(envKeyset); path != "" {
		keys, err := sealed.NewKeyring(ctx, sealed.File(path))
		if err != nil {
			t.Fatal(err)
		}
		st = sealed.New(s, keys)
	}
	a := mustNew(st, auth.Options{
		Accounts: &accounts.Client{Environment: environment(os.Getenv(envEmulator))},
		Margin:   time.Millisecond,
		Lease:    lease,
		Logger:   slog.New(&markHandler{next: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})}),
	})
	defer a.Close()
	time.Sleep(time.Until(time.Unix(0, ns)))
	n := goroutines
	if v := os.Getenv(envGoroutines); v != "" {
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	retry := os.Getenv(envRetry) == "1"
	// With envStop, the goroutines keep asking until the stop file exists.
	stopFile := os.Getenv(envStop)
	loop, stop := context.WithCancel(ctx)
	defer stop()
	if stopFile != "" {
		go func() {
			for loop.Err() == nil {
				if _, err := os.Stat(stopFile); err == nil {
					stop()
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	var calls atomic.Int64
	var (
		mu      sync.Mutex
		tokens  = map[string]int{}
		errs    []string
		retried []string
		first   time.Time
		wg      sync.WaitGroup
	)
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if stopFile != "" {
				for loop.Err() == nil {
					cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					access, err := a.For(&zohoauth.Token{ID: os.Getenv(envID)}).AccessToken(cctx)
					cancel()
					calls.Add(1)
					mu.Lock()
					if err != nil {
						errs = append(errs, err.Error())
					} else {
						tokens[zohoauth.Fingerprint(access)]++
					}
					mu.Unlock()
					time.Sleep(time.Duration(20+g%21) * time.Millisecond)
				}
				return
			}
			timeout := 30 * time.Second
			if retry {
				timeout = 60 * time.Second
			}
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			for {
				access, err := a.For(&zohoauth.Token{ID: os.Getenv(envID)}).AccessToken(cctx)
				mu.Lock()
				if err == nil {
					if first.IsZero() {
						first = time.Now()
					}
					tokens[zohoauth.Fingerprint(access)]++
					mu.Unlock()
					return
				}
				if !retry || cctx.Err() != nil {
					errs = append(errs, err.Error())
					mu.Unlock()
					return
				}
				retried = append(retried, err.Error())
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if stopFile != "" {
		fmt.Printf("CALLS %d\n", calls.Load())
	}
	if retry {
		fmt.Printf("FIRST %d\n", first.UnixNano())
		fmt.Printf("RETRIED %d\n", len(retried))
		if len(retried) > 0 {
			fmt.Printf("RETRIEDERR %s\n", strings.ReplaceAll(retried[0], "\n", " "))
			fmt.Printf("RETRIEDERR %s\n", strings.ReplaceAll(retried[len(retried)-1], "\n", " "))
		}
		for _, e := range errs {
			fmt.Printf("ERROR %s\n", e)
		}
		errs = nil
	}
	fps := make([]string, 0, len(tokens))
	for fp := range tokens {
		fps = append(fps, fp)
	}
	sort.Strings(fps)
	for _, fp := range fps {
		fmt.Printf("TOKEN %s %d\n", fp, tokens[fp])
	}
	for _, e := range errs {
		fmt.Printf("ERROR %s\n", e)
	}
	fmt.Printf("DONE %d\n", time.Now().UnixNano())
}

// markHandler prints REFRESHING on stdout when the authenticator is about
// to call Zoho (inside the store lock), and passes every record on.
type markHandler struct{ next slog.Handler }

func (h *markHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *markHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == refreshingMsg {
		fmt.Println("REFRESHING")
	}
	return h.next.Handle(ctx, r)
}

func (h *markHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &markHandler{next: h.next.WithAttrs(as)}
}

func (h *markHandler) WithGroup(name string) slog.Handler {
	return &markHandler{next: h.next.WithGroup(name)}
}
