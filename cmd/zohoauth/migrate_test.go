package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storetest"
	"github.com/zohoauth/zohoauth/storeurl"
)

// migrateCount is how many tokens the big migrate tests copy into a store
// that saves in batches (zohoauth.BatchSaver); slowCount into one that saves
// token by token (about 0.5 ms a token on SQLite, 1.4 ms on PostgreSQL);
// shortCount under -short, three pages of the default batch and a part.
const (
	migrateCount = 100_000
	slowCount    = 10_000
	shortCount   = 3*defaultBatch + 7
)

// countFor returns how many tokens to migrate into the store at to.
// Under -short (as the mutation run uses) they copy shortCount tokens.
func countFor(t *testing.T, to string) int {
	t.Helper()
	if testing.Short() {
		return shortCount
	}
	s, err := stores().Open(context.Background(), to)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(zohoauth.BatchSaver); ok {
		return migrateCount
	}
	t.Logf("%s saves token by token (no zohoauth.BatchSaver): migrating %d tokens, not %d", storeurl.Redact(to), slowCount, migrateCount)
	return slowCount
}

// writeTokenFile writes n tokens in Zoho's CSV format to a new file and
// returns its store URL.
func writeTokenFile(t *testing.T, n int) (string, []*zohoauth.Token) {
	t.Helper()
	tokens := make([]*zohoauth.Token, n)
	exp := time.UnixMilli(t0.UnixMilli())
	for i := range tokens {
		tokens[i] = &zohoauth.Token{
			ID:           fmt.Sprint(i + 1),
			UserName:     fmt.Sprintf("user%d@example.com:%d", i, 700000+i),
			ClientID:     "1000.MIGRATE",
			ClientSecret: "client-secret",
			RefreshToken: fmt.Sprintf("1000.refresh.%d", i),
			AccessToken:  fmt.Sprintf("1000.access.%d", i),
			Expiry:       exp.Add(time.Duration(i) * time.Second),
			RedirectURL:  "http://127.0.0.1:8910/callback",
			APIDomain:    "https://www.zohoapis.eu",
		}
	}
	data, err := filestore.Marshal(tokens)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sdk_tokens.txt")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return "file:" + path, tokens
}

// failingStore fails every save after the first `after` tokens.
type failingStore struct {
	storeurl.Store
	after int64
	saved atomic.Int64
}

var errInjected = errors.New("injected failure")

func (f *failingStore) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	if f.saved.Add(1) > f.after {
		return errInjected
	}
	return f.Store.SaveToken(ctx, t)
}

func (f *failingStore) SaveTokens(ctx context.Context, tokens []*zohoauth.Token) error {
	if f.saved.Add(int64(len(tokens))) > f.after {
		return errInjected
	}
	return zohoauth.SaveAll(ctx, f.Store, tokens)
}

// testMigrate copies n tokens from a file store to the store at to, with a
// failure injected midway, and checks that the source is untouched and a
// rerun completes with the counts verified.
func testMigrate(t *testing.T, to string, n int) {
	h := newHarness(t)
	from, want := writeTokenFile(t, n)
	srcPath := strings.TrimPrefix(from, "file:")
	before, err := os.ReadFile(srcPath)
	if err != nil {
		t.Fatal(err)
	}

	// A failure midway: the error says so, the source is untouched.
	a := h.app(nil, &bytes.Buffer{}, &bytes.Buffer{})
	wrapOpened(a, to, func(s storeurl.Store) storeurl.Store {
		return &failingStore{Store: s, after: int64(n / 2)}
	})
	var stderr bytes.Buffer
	a.stderr = &stderr
	if code := a.main(context.Background(), []string{"migrate", "--from", from, "--to", to, "--delete-source", "--yes"}); code == 0 || !strings.Contains(stderr.String(), "injected failure") || !strings.Contains(stderr.String(), "source is untouched") {
		t.Fatalf("migrate with a failure: exit %d, %s", code, stderr.String())
	}
	if after, _ := os.ReadFile(srcPath); !bytes.Equal(before, after) {
		t.Fatal("the failed migration changed the source")
	}

	// The rerun completes and verifies every token.
	start := time.Now()
	h.isTerm = true
	r := h.must("migrate", "--from", from, "--to", to)
	t.Logf("migrated %d tokens in %v", n, time.Since(start))
	if !strings.Contains(r.stderr, fmt.Sprintf("copied %d tokens", n)) || !strings.Contains(r.stderr, fmt.Sprintf("verified %d of %d", n, n)) ||
		!strings.Contains(r.stderr, fmt.Sprintf("] %d/%d 100%%", n, n)) {
		t.Errorf("migrate output: %q", tail(r.stderr, 300))
	}
	if after, _ := os.ReadFile(srcPath); !bytes.Equal(before, after) {
		t.Fatal("migrate without --delete-source changed the source")
	}
	dst, err := stores().Open(context.Background(), to)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	got, err := dst.Tokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("target holds %d tokens, want %d", len(got), n)
	}
	for i, tok := range got {
		if d := storetest.Diff(tok, want[i]); d != nil {
			t.Fatalf("token %d differs in %v", i, d)
		}
	}

	// Idempotent: a third run changes nothing, then deletes the source.
	h.isTerm = false
	r = h.must("migrate", "--from", from, "--to", to, "--delete-source", "--yes")
	if !strings.Contains(r.stderr, fmt.Sprintf("deleted %d tokens", n)) {
		t.Errorf("migrate --delete-source: %q", r.stderr)
	}
	src, err := stores().Open(context.Background(), from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if left, err := src.Tokens(context.Background()); err != nil || len(left) != 0 {
		t.Errorf("source after --delete-source: %d tokens, %v", len(left), err)
	}
	if got, err := dst.Tokens(context.Background()); err != nil || len(got) != n {
		t.Errorf("target after --delete-source: %d tokens, %v", len(got), err)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func TestMigrateFileToSQLite(t *testing.T) {
	to := "sqlite:" + filepath.Join(t.TempDir(), "target.db")
	testMigrate(t, to, countFor(t, to))
}

func TestMigrateFileToPostgres(t *testing.T) {
	dsn := storetest.Server(t, "ZOHOAUTH_TEST_POSTGRES_DSN")
	// A table of this process alone: other test runs may share the server.
	table := privateTable(t, sqlstore.Postgres, dsn, "cli_migrate")
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	to := dsn + sep + "table=" + table
	testMigrate(t, to, countFor(t, to))
}

// privateTable returns a table name that belongs to this test process, and
// drops the table (and its lock and lifecycle tables) when the test ends.
func privateTable(t *testing.T, d sqlstore.Dialect, dsn, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1_000_000)
	t.Cleanup(func() {
		db, err := sql.Open(d.DriverName(), dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		for _, tb := range []string{name, name + sqlstore.LockTableSuffix, name + sqlstore.LifecycleTableSuffix} {
			if _, err := db.Exec("DROP TABLE IF EXISTS " + tb); err != nil {
				t.Errorf("drop table %s: %v", tb, err)
			}
		}
	})
	return name
}

func TestMigrateErrors(t *testing.T) {
	h := newHarness(t)
	from, _ := writeTokenFile(t, 3)
	for _, args := range [][]string{
		{"migrate"},
		{"migrate", "--from", from},
		{"migrate", "--from", from, "--to", from},
		{"migrate", "--from", from, "--to", "nosuch:x"},
		{"migrate", "--from", from, "--to", "memory:", "--batch", "0"},
	} {
		if r := h.run(args...); r.code != exitUsage {
			t.Errorf("%v: exit %d", args, r.code)
		}
	}
	// A conflict in the target (same user, another id) fails the copy and
	// leaves the source whole.
	to := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	s, err := stores().Open(context.Background(), to)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveToken(context.Background(), &zohoauth.Token{ID: "77", UserName: "user1@example.com:700001", ClientID: "1000.MIGRATE", RefreshToken: "x"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	r := h.run("migrate", "--from", from, "--to", to, "--delete-source", "--yes")
	if r.code == 0 || !strings.Contains(r.stderr, "source is untouched") {
		t.Errorf("conflict: %+v", r)
	}
	src, _ := stores().Open(context.Background(), from)
	defer src.Close()
	if all, _ := src.Tokens(context.Background()); len(all) != 3 {
		t.Errorf("source holds %d tokens", len(all))
	}
}

// BenchmarkMigrate measures migrate's own cost (copying in batches, then
// reading back and comparing every token) against a baseline measured in
// the same run: zohoauth.SaveAll of the same tokens, with no verification.
// Both use memory stores, so the ratio is the CLI's overhead.
func BenchmarkMigrate(b *testing.B) {
	const n = 10_000
	src := memory.New()
	tokens := make([]*zohoauth.Token, n)
	for i := range tokens {
		tokens[i] = &zohoauth.Token{ID: fmt.Sprint(i + 1), UserName: fmt.Sprintf("u%d@example.com:%d", i, i), ClientID: "c", ClientSecret: "s",
			RefreshToken: fmt.Sprint("r", i), AccessToken: fmt.Sprint("a", i), Expiry: t0, APIDomain: "https://www.zohoapis.com"}
	}
	if err := zohoauth.SaveAll(context.Background(), src, tokens); err != nil {
		b.Fatal(err)
	}
	b.Run("baseline-SaveAll", func(b *testing.B) {
		for b.Loop() {
			all, _ := src.Tokens(context.Background())
			if err := zohoauth.SaveAll(context.Background(), memory.New(), all); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("migrate", func(b *testing.B) {
		for b.Loop() {
			m := migration{src: src, dst: memory.New(), batch: defaultBatch, progress: func(int, int) {}}
			if _, err := m.copy(context.Background()); err != nil {
				b.Fatal(err)
			}
			if _, err := m.verify(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// changingStore deletes one token from the source once the target has
// received every token: the source changes between the copy and the
// verification.
type changingStore struct {
	storeurl.Store
	t     *testing.T
	from  string
	total int
	saved int
}

func (c *changingStore) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	if err := c.Store.SaveToken(ctx, t); err != nil {
		return err
	}
	if c.saved++; c.saved == c.total {
		src, err := stores().Open(ctx, c.from)
		if err != nil {
			c.t.Error(err)
			return nil
		}
		defer src.Close()
		if err := src.DeleteToken(ctx, "1"); err != nil {
			c.t.Error(err)
		}
	}
	return nil
}

// wrapOpened makes a open the store at url through wrap (a faulty or
// spying store over the real one); every other store opens as before.
func wrapOpened(a *app, url string, wrap func(storeurl.Store) storeurl.Store) {
	open := a.openStore
	a.openStore = func(ctx context.Context, raw string) (storeurl.Store, error) {
		s, err := open(ctx, raw)
		if err != nil || raw != url {
			return s, err
		}
		return wrap(s), nil
	}
}

func TestMigrateSourceChanged(t *testing.T) {
	h := newHarness(t)
	const n = 20
	from, _ := writeTokenFile(t, n)
	to := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	var stderr bytes.Buffer
	a := h.app(nil, &bytes.Buffer{}, &stderr)
	wrapOpened(a, to, func(s storeurl.Store) storeurl.Store {
		return &changingStore{Store: s, t: t, from: from, total: n}
	})
	code := a.main(context.Background(), []string{"migrate", "--from", from, "--to", to, "--delete-source", "--yes"})
	if code == 0 || !strings.Contains(stderr.String(), "the source changed during the migration") {
		t.Fatalf("migrate while the source changed: exit %d, %s", code, stderr.String())
	}
	src, err := stores().Open(context.Background(), from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if all, _ := src.Tokens(context.Background()); len(all) != n-1 {
		t.Fatalf("--delete-source deleted from a source that changed: %d tokens left, want %d", len(all), n-1)
	}
}

// gcSpy records GOGC and the memory limit at every save of the target.
type gcSpy struct {
	storeurl.Store
	percents []int
	limits   []int64
}

func (g *gcSpy) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	g.percents = append(g.percents, p)
	g.limits = append(g.limits, debug.SetMemoryLimit(-1))
	return g.Store.SaveToken(ctx, t)
}

// TestMigrateTunesGC checks that migrate runs with GOGC at
// migrateGCPercent and a memory limit that grows with --batch, and
// restores both after; and that a GOGC or GOMEMLIMIT of the environment
// leaves both as they are.
func TestMigrateTunesGC(t *testing.T) {
	for _, c := range []struct {
		env, value string
		batch      int
	}{{"", "", 2}, {"", "", 5000}, {"GOGC", "100", 2}, {"GOMEMLIMIT", "1GiB", 2}} {
		h := newHarness(t)
		if c.env != "" {
			h.env[c.env] = c.value
		}
		from, _ := writeTokenFile(t, 3)
		to := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
		a := h.app(nil, &bytes.Buffer{}, &bytes.Buffer{})
		spy := &gcSpy{}
		wrapOpened(a, to, func(s storeurl.Store) storeurl.Store { spy.Store = s; return spy })
		beforePercent, beforeLimit := debug.SetGCPercent(77), debug.SetMemoryLimit(1<<40)
		code := a.main(context.Background(), []string{"migrate", "--from", from, "--to", to, "--batch", fmt.Sprint(c.batch)})
		afterPercent, afterLimit := debug.SetGCPercent(beforePercent), debug.SetMemoryLimit(beforeLimit)
		if code != 0 {
			t.Fatalf("migrate: exit %d", code)
		}
		wantPercent, wantLimit := migrateGCPercent, int64(gcLimitBase+gcLimitPerToken*c.batch)
		if c.env != "" {
			wantPercent, wantLimit = 77, 1<<40
		}
		if len(spy.percents) != 3 || spy.percents[0] != wantPercent || spy.limits[0] != wantLimit {
			t.Errorf("%s=%q --batch %d: GOGC during the copy %v, memory limit %v; want %d and %d", c.env, c.value, c.batch, spy.percents, spy.limits, wantPercent, wantLimit)
		}
		if afterPercent != 77 || afterLimit != 1<<40 {
			t.Errorf("%s=%q: GOGC %d and memory limit %d after migrate, want 77 and %d restored", c.env, c.value, afterPercent, afterLimit, int64(1<<40))
		}
	}
}

// TestMigrateIntoFilledTarget migrates into a target that holds more than
// four rows per token of a batch, so that every batch reads the rows it
// can touch through IN lists: rows of the source's ids, stale, which the
// copy updates by id, and rows of other users, which it leaves; then a
// row under another id of a source token's user and client, a conflict
// that fails the copy at its batch and leaves the source and that row.
func TestMigrateIntoFilledTarget(t *testing.T) {
	h := newHarness(t)
	const n = 150
	from, want := writeTokenFile(t, n)
	to := "sqlite:" + filepath.Join(t.TempDir(), "t.db")
	ctx := context.Background()
	dst, err := stores().Open(ctx, to)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var filled, others []*zohoauth.Token
	for i := range 100 {
		stale := want[i].Clone()
		stale.AccessToken = "1000.access.stale"
		other := storetest.Token(i, "OTHER")
		other.ID = fmt.Sprint(5001 + i)
		filled, others = append(filled, stale), append(others, other)
	}
	if err := zohoauth.SaveAll(ctx, dst, append(filled, others...)); err != nil {
		t.Fatal(err)
	}
	r := h.must("migrate", "--from", from, "--to", to, "--batch", "10")
	if !strings.Contains(r.stderr, fmt.Sprintf("verified %d of %d", n, n)) {
		t.Fatalf("migrate into a filled target: %q", r.stderr)
	}
	got, err := dst.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n+len(others) {
		t.Fatalf("target holds %d tokens, want %d", len(got), n+len(others))
	}
	for i, tok := range append(append([]*zohoauth.Token{}, want...), others...) {
		if d := storetest.Diff(got[i], tok); d != nil {
			t.Fatalf("target token %s differs in %v", got[i].ID, d)
		}
	}

	// A row of token 120's user and client under another id.
	conflict := &zohoauth.Token{ID: "9000", UserName: want[119].UserName, ClientID: want[119].ClientID, RefreshToken: "1000.refresh.9000"}
	if err := dst.DeleteToken(ctx, want[119].ID); err != nil {
		t.Fatal(err)
	}
	if err := dst.SaveToken(ctx, conflict); err != nil {
		t.Fatal(err)
	}
	r = h.run("migrate", "--from", from, "--to", to, "--batch", "10", "--delete-source", "--yes")
	if r.code == 0 || !strings.Contains(r.stderr, "copied 110 tokens") || !strings.Contains(r.stderr, "source is untouched") {
		t.Fatalf("migrate onto a conflict: exit %d, %q", r.code, r.stderr)
	}
	if kept, err := dst.FindTokenByID(ctx, "9000"); err != nil || storetest.Diff(kept, conflict) != nil {
		t.Fatalf("the conflicting row: %v, %v", kept, err)
	}
	src, err := stores().Open(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if all, _ := src.Tokens(ctx); len(all) != n {
		t.Fatalf("source holds %d tokens, want %d", len(all), n)
	}
}
