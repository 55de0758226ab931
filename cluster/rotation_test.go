package cluster_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/storetest"
	"github.com/zohoauth/zohoauth/zohotest"
)

// rotationTTL is the lifetime of the emulator's access tokens in
// TestClusterRotation: each expiry forces a refresh while the keyset
// changes underneath.
const rotationTTL = time.Second

// rotationFiller is how many other tokens the store holds, so that Rekey
// walks several pages while the processes refresh the one they use.
const rotationFiller = 120

// TestClusterRotation rotates the key of an encrypted store online: 4
// processes × 250 goroutines keep asking for one token through sealed over
// each persistent store, with access tokens that live one second, while the
// test, as the operator would, stages a new key in the keyset file,
// promotes it, runs Rekey, and retires the old key. Each step waits for the
// next refresh, so that one refresh runs under each keyset: after the
// promotion, the process that refreshes writes under a key the other
// processes have never read, and they reload the keyset file when they meet
// it.
//
// It checks that no call failed, that the emulator saw exactly one
// successful refresh per expiry (two refreshes of one expiry would come
// less than half a lifetime apart; a lost expiry would leave the steps
// waiting) and no throttle, that Rekey left no value under the old key and
// Retire succeeded, and that every stored value is under the new key at
// the end.
func TestClusterRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	for _, sc := range storeCases() {
		t.Run(sc.name, func(t *testing.T) { rotateUnderLoad(t, sc) })
	}
}

func rotateUnderLoad(t *testing.T, sc storeCase) {
	ctx := context.Background()
	dir := t.TempDir()
	keysetPath := filepath.Join(dir, "keyset.json")
	ks, err := sealed.NewKeyset()
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.WriteFile(keysetPath); err != nil {
		t.Fatal(err)
	}
	oldKey := ks.Primary()
	keys, err := sealed.NewKeyring(ctx, sealed.File(keysetPath))
	if err != nil {
		t.Fatal(err)
	}
	refreshes := &refreshLog{}
	c := newClusterWith(t, sc, clusterOptions{
		srv:  zohotest.Options{AccessTokenTTL: rotationTTL, Logger: slog.New(refreshes)},
		wrap: func(s zohoauth.Store) zohoauth.Store { return sealed.New(s, keys) },
	})
	st, ok := sealed.Of(c.tokens)
	if !ok {
		t.Fatal("the cluster's store is not sealed")
	}
	filler := storetest.Tokens(rotationFiller)
	for _, tok := range filler {
		tok.ID = ""
	}
	if err := zohoauth.SaveAll(ctx, c.tokens, filler); err != nil {
		t.Fatal(err)
	}
	if u := usage(t, st); u.Keys[oldKey] == 0 || len(u.Keys) != 1 || u.Plain != 0 {
		t.Fatalf("before the rotation: %+v, want every value under key %s", u, oldKey)
	}

	before := c.srv.Stats()
	stopFile := filepath.Join(dir, "stop")
	start := time.Now().Add(startDelay)
	kids := make([]*child, procs)
	for i := range kids {
		kids[i] = c.spawn(start, 5*time.Second, envKeyset+"="+keysetPath, envStop+"="+stopFile)
	}
	stopped := false
	stopKids := func() {
		if !stopped {
			stopped = true
			if err := os.WriteFile(stopFile, nil, 0o600); err != nil {
				t.Error(err)
			}
		}
	}
	defer stopKids()
	// next waits for one more refresh than n, or fails when a child exits
	// (they run until told to stop) or none comes: a lost expiry.
	next := func(step string, n int) int {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for refreshes.count() <= n {
			for i, k := range kids {
				select {
				case <-k.exit:
					t.Fatalf("%s: child %d exited: %v", step, i, k.err)
				default:
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no refresh after %d", step, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return refreshes.count()
	}
	n := next("first expiry", 0)

	// Stage: every process may learn the new key; values stay under the old.
	ks, err = sealed.ReadKeysetFile(keysetPath)
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := ks.Stage()
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.WriteFile(keysetPath); err != nil {
		t.Fatal(err)
	}
	n = next("staged", n)

	// Promote: the next refresh writes under the new key.
	if err := ks.Promote(newKey); err != nil {
		t.Fatal(err)
	}
	if err := ks.WriteFile(keysetPath); err != nil {
		t.Fatal(err)
	}
	n = next("promoted", n)

	// Rekey the store while the processes keep refreshing.
	rep, err := st.Rekey(ctx, sealed.RekeyOptions{PageSize: 25})
	if err != nil {
		t.Fatalf("rekey: %v (report %+v)", err, rep)
	}
	if rep.Target != newKey || rep.Remaining != 0 {
		t.Fatalf("rekey report %+v, want target %s and nothing remaining", rep, newKey)
	}
	t.Logf("rekey: %+v", rep)
	n = next("rekeyed", n)

	// Retire the old key: no stored value may use it any more.
	ks, err = sealed.ReadKeysetFile(keysetPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := sealed.Retire(ctx, st, ks, oldKey); err != nil {
		t.Fatalf("retire key %s: %v", oldKey, err)
	}
	if err := ks.WriteFile(keysetPath); err != nil {
		t.Fatal(err)
	}
	next("retired", n)

	stopKids()
	calls := 0
	seen := map[string]bool{}
	for i, k := range kids {
		for range k.lines {
		}
		<-k.exit
		if k.err != nil {
			t.Fatalf("child %d: %v", i, k.err)
		}
		r := parseResult(k.out)
		if len(r.errors) > 0 {
			t.Errorf("child %d: %d failed calls of %d, the first: %s", i, len(r.errors), r.calls, r.errors[0])
		}
		if r.calls == 0 {
			t.Errorf("child %d made no call", i)
		}
		calls += r.calls
		for fp := range r.tokens {
			seen[fp] = true
		}
	}
	after := c.srv.Stats()
	times := refreshes.all()
	if n := after.Refreshes - before.Refreshes; n != len(times) {
		t.Errorf("the emulator counted %d refreshes and logged %d", n, len(times))
	}
	if after.Throttled != 0 {
		t.Errorf("Zoho's throttle was hit %d times", after.Throttled)
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < rotationTTL/2 {
			t.Errorf("refreshes %d and %d came %v apart: two refreshes for one expiry of a %v token", i, i+1, gap, rotationTTL)
		}
	}
	t.Logf("%d calls, %d refreshes, %d access tokens handed out", calls, len(times), len(seen))

	tok := c.stored()
	if tok.RefreshToken != c.refresh {
		t.Error("the stored refresh token changed or was lost")
	}
	if !seen[zohoauth.Fingerprint(tok.AccessToken)] {
		t.Error("the stored access token is none the callers got")
	}
	if u := usage(t, st); len(u.Keys) != 1 || u.Keys[newKey] == 0 || u.Plain != 0 {
		t.Errorf("after the rotation: %+v, want every value under key %s", u, newKey)
	}
}

func usage(t *testing.T, st *sealed.Store) sealed.Usage {
	t.Helper()
	u, err := st.Usage(context.Background(), sealed.DefaultPageSize)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// refreshLog is the emulator's log handler that remembers when each
// successful refresh_token grant was answered.
type refreshLog struct {
	mu    sync.Mutex
	times []time.Time
}

func (l *refreshLog) Enabled(context.Context, slog.Level) bool { return true }

func (l *refreshLog) Handle(_ context.Context, r slog.Record) error {
	var path, grant string
	failed := false
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "path":
			path = a.Value.String()
		case "grant_type":
			grant = a.Value.String()
		case "error":
			failed = true
		}
		return true
	})
	if path == "/oauth/v2/token" && grant == "refresh_token" && !failed {
		l.mu.Lock()
		l.times = append(l.times, time.Now())
		l.mu.Unlock()
	}
	return nil
}

func (l *refreshLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *refreshLog) WithGroup(string) slog.Handler      { return l }

func (l *refreshLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.times)
}

func (l *refreshLog) all() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.times...)
}
