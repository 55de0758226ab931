package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

func fullToken(n int) *zohoauth.Token {
	return &zohoauth.Token{
		UserName:     fmt.Sprintf("user%d@example.com:%d", n, 7000+n),
		ClientID:     "1000.CLIENT",
		ClientSecret: fmt.Sprintf("client-secret-%d", n),
		RefreshToken: fmt.Sprintf("1000.refresh-secret.%d", n),
		AccessToken:  fmt.Sprintf("1000.access-secret.%d", n),
		GrantToken:   fmt.Sprintf("1000.grant-secret.%d", n),
		Expiry:       time.UnixMilli(1795879420612),
		RedirectURL:  "https://example.com/cb",
		APIDomain:    "https://www.zohoapis.com",
	}
}

// TestLayout checks the documented key layout: a hash with Zoho's 10
// columns, an index per key, the id set and the counter.
func TestLayout(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	tok := fullToken(1)
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	m, err := s.c.HGetAll(ctx, s.Prefix()+"token:"+tok.ID).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != len(columns) {
		t.Fatalf("the hash has %d fields, want Zoho's %d columns", len(m), len(columns))
	}
	for _, col := range columns {
		if _, ok := m[col]; !ok {
			t.Errorf("the hash lacks column %s", col)
		}
	}
	if m["expiry_time"] != "1795879420612" || m["user_name"] != tok.UserName || m["id"] != tok.ID {
		t.Errorf("hash fields: expiry_time %q, user_name %q, id %q", m["expiry_time"], m["user_name"], m["id"])
	}
	for _, key := range []string{"idx:user_name:" + tok.UserName, "ids", "next_id"} {
		if n, err := s.c.Exists(ctx, s.Prefix()+key).Result(); err != nil || n != 1 {
			t.Errorf("key %s: exists %d, %v", key, n, err)
		}
	}
}

// TestNoSecretInKeyNames checks that no key name shows a secret, and that a
// long user name gets a short key.
func TestNoSecretInKeyNames(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	tok := fullToken(1)
	long := fullToken(2)
	long.UserName = strings.Repeat("u", 4096) + "@example.com:1"
	long.RefreshToken = strings.Repeat("r", 4096)
	for _, x := range []*zohoauth.Token{tok, long} {
		if err := s.SaveToken(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range scanKeys(t, s.c, s.Prefix()) {
		for _, x := range []*zohoauth.Token{tok, long} {
			for _, secret := range []string{x.ClientSecret, x.RefreshToken, x.AccessToken, x.GrantToken} {
				if strings.Contains(key, secret) {
					t.Errorf("key %.80q shows a secret", key)
				}
			}
		}
		if len(key) > len(s.Prefix())+200 {
			t.Errorf("key of %d bytes", len(key))
		}
	}
	got, err := s.FindToken(ctx, &zohoauth.Token{UserName: long.UserName})
	if err != nil || got.ID != long.ID {
		t.Fatalf("find by a 4 KiB user name: %v, %v", got, err)
	}
}

// TestIndexMatchVerified plants a wrong id in an index: a find checks the
// match against the token's hash and does not return the wrong token.
func TestIndexMatchVerified(t *testing.T) {
	s := newBareStore(t)
	ctx := t.Context()
	a, b := fullToken(1), fullToken(2)
	for _, x := range []*zohoauth.Token{a, b} {
		if err := s.SaveToken(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	// b's id in a's refresh-token index, as a hash collision or a bug would leave it.
	if err := s.c.SAdd(ctx, s.k.index(storekit.FieldRefreshToken, a.RefreshToken), b.ID, "999").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.c.SAdd(ctx, s.k.index(storekit.FieldRefreshToken, "1000.unknown"), a.ID).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindToken(ctx, &zohoauth.Token{ClientID: a.ClientID, ClientSecret: "x", RefreshToken: a.RefreshToken})
	if err != nil || got.ID != a.ID {
		t.Fatalf("find by a's refresh token: %v, %v; want id %s", got, err, a.ID)
	}
	_, err = s.FindToken(ctx, &zohoauth.Token{ClientID: a.ClientID, ClientSecret: "x", RefreshToken: "1000.unknown"})
	if !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("find by a value whose index names another token: %v, want ErrNotFound", err)
	}
	// A save by that value does not update the wrong token either.
	upd := &zohoauth.Token{ClientID: a.ClientID, ClientSecret: "x", RefreshToken: "1000.unknown", AccessToken: "1000.new"}
	if err := s.SaveToken(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if upd.ID == a.ID {
		t.Fatalf("a save by an unknown refresh token updated token %s", a.ID)
	}
}

// TestIDsNeverReusedAfterDeleteTokens: the counter survives DeleteTokens.
func TestIDsNeverReusedAfterDeleteTokens(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	first := fullToken(1)
	if err := s.SaveToken(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTokens(ctx); err != nil {
		t.Fatal(err)
	}
	again := fullToken(1)
	if err := s.SaveToken(ctx, again); err != nil {
		t.Fatal(err)
	}
	if storekit.CompareIDs(again.ID, first.ID) <= 0 {
		t.Fatalf("after DeleteTokens the new token got id %s, the deleted one had %s", again.ID, first.ID)
	}
}

// TestDeleteTokensMany deletes more tokens than one page.
func TestDeleteTokensMany(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	toks := make([]*zohoauth.Token, 2*pageSize+7)
	for i := range toks {
		toks[i] = fullToken(i)
	}
	if err := s.SaveTokens(ctx, toks); err != nil {
		t.Fatal(err)
	}
	if all, err := s.Tokens(ctx); err != nil || len(all) != len(toks) {
		t.Fatalf("Tokens: %d, %v; want %d", len(all), err, len(toks))
	}
	if err := s.DeleteTokens(ctx); err != nil {
		t.Fatal(err)
	}
	if all, err := s.Tokens(ctx); err != nil || len(all) != 0 {
		t.Fatalf("after DeleteTokens: %d tokens, %v", len(all), err)
	}
	if keys := scanKeys(t, s.c, s.Prefix()); len(keys) != 1 || keys[0] != s.k.counter() {
		t.Fatalf("after DeleteTokens the keys are %q, want only the counter", keys)
	}
}

// TestPrefixesApart: two stores with different prefixes share nothing.
func TestPrefixesApart(t *testing.T) {
	a, b := newTestStore(t), newTestStore(t)
	ctx := t.Context()
	if err := a.SaveToken(ctx, fullToken(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.FindToken(ctx, &zohoauth.Token{UserName: fullToken(1).UserName}); !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("store b found store a's token: %v", err)
	}
	if err := b.DeleteTokens(ctx); err != nil {
		t.Fatal(err)
	}
	if all, err := a.Tokens(ctx); err != nil || len(all) != 1 {
		t.Fatalf("store a after b's DeleteTokens: %d tokens, %v", len(all), err)
	}
}

// TestCorruptHash: a hash with a bad expiry gives a typed error, no secret.
func TestCorruptHash(t *testing.T) {
	s := newBareStore(t)
	ctx := t.Context()
	tok := fullToken(1)
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.c.HSet(ctx, s.k.token(tok.ID), "expiry_time", "soon").Err(); err != nil {
		t.Fatal(err)
	}
	_, err1 := s.FindTokenByID(ctx, tok.ID)
	_, err2 := s.FindToken(ctx, &zohoauth.Token{UserName: tok.UserName})
	_, err3 := s.Tokens(ctx)
	err4 := s.SaveToken(ctx, &zohoauth.Token{UserName: tok.UserName, AccessToken: "1000.x"})
	for i, err := range []error{err1, err2, err3, err4} {
		var ze *zohoauth.Error
		if !errors.As(err, &ze) || ze.Code != zohoauth.CodeTokenStore || errors.Is(err, zohoauth.ErrNotFound) {
			t.Errorf("call %d on a corrupt hash: %v, want a store error other than not found", i+1, err)
			continue
		}
		if strings.Contains(err.Error(), tok.AccessToken) || strings.Contains(err.Error(), tok.RefreshToken) {
			t.Errorf("error shows a secret: %v", err)
		}
	}
}

// TestOpen opens a store by URL, and checks that bad and unreachable URLs
// give typed errors that do not show the password.
func TestOpen(t *testing.T) {
	addr := testAddr(t)
	ctx := t.Context()
	s, err := Open(ctx, "redis://"+addr+"/0", WithPrefix(testPrefix()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { purge(t, testClient(t), s.Prefix()) })
	tok := fullToken(1)
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindTokenByID(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindTokenByID(ctx, tok.ID); err == nil {
		t.Fatal("a closed store still answers")
	}

	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for _, url := range []string{
		"redis://user:pa55word@127.0.0.1:1/0",
		"http://user:pa55word@127.0.0.1:6379/0",
		"redis://user:pa55word@127.0.0.1:6379/notadb",
	} {
		_, err := Open(c, url)
		var ze *zohoauth.Error
		if !errors.As(err, &ze) || ze.Code != zohoauth.CodeTokenStore || ze.Message != MsgOpen {
			t.Errorf("Open(%q) = %v, want a store error %q", url, err, MsgOpen)
			continue
		}
		if strings.Contains(err.Error(), "pa55word") {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
}

// TestNewLeavesClientOpen: Close of a store made with New keeps the client.
func TestNewLeavesClientOpen(t *testing.T) {
	c := testClient(t)
	s := New(c, WithPrefix(testPrefix()))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("the client was closed: %v", err)
	}
}

// TestLockAcrossClients: two stores on separate connections, as two
// processes would be, exclude each other; a bad lease is a typed error.
func TestLockAcrossClients(t *testing.T) {
	a := newTestStore(t)
	b := New(testClient(t), WithPrefix(a.Prefix()))
	ctx := t.Context()
	lk, err := a.Lock(ctx, storekit.LockName("7"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(c, storekit.LockName("7"), time.Second); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second owner: %v, want a deadline error", err)
	}
	if _, err := b.Lock(ctx, storekit.LockName("8"), 0); !errors.Is(err, ErrLease) {
		t.Fatalf("zero lease: %v, want ErrLease", err)
	}
	if err := lk.Extend(ctx, 0); !errors.Is(err, ErrLease) {
		t.Fatalf("zero extension: %v, want ErrLease", err)
	}
	done := make(chan error, 1)
	go func() {
		lk2, err := b.Lock(ctx, storekit.LockName("7"), 10*time.Second)
		if err == nil {
			err = lk2.Unlock(context.WithoutCancel(ctx))
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := lk.Unlock(context.WithoutCancel(ctx)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter did not get the released lock")
	}
}

// TestLockCancelledContext: Lock with a done context fails at once and
// holds nothing.
func TestLockCancelledContext(t *testing.T) {
	s := newTestStore(t)
	c, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Lock(c, "x", time.Second); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with a cancelled context: %v", err)
	}
	if n, err := s.c.Exists(t.Context(), s.k.lock("x")).Result(); err != nil || n != 0 {
		t.Fatalf("the lock key exists (%d, %v)", n, err)
	}
}

// TestContention: with a single attempt, writers that collide get
// ErrContention, and what is stored stays consistent.
func TestContention(t *testing.T) {
	s := newTestStore(t, WithMaxAttempts(1))
	ctx := t.Context()
	var wg sync.WaitGroup
	var mu sync.Mutex
	contended := 0
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 20; r++ {
				tok := fullToken(1)
				tok.AccessToken = fmt.Sprint("1000.access.", g, ".", r)
				err := s.SaveToken(ctx, tok)
				switch {
				case errors.Is(err, ErrContention):
					mu.Lock()
					contended++
					mu.Unlock()
				case err != nil:
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d of %d saves lost to a concurrent writer", contended, 32*20)
	if all, err := s.Tokens(ctx); err != nil || len(all) != 1 {
		t.Fatalf("%d tokens, %v; want 1", len(all), err)
	}
}

// TestReaderRows checks the read-side storekit.Rows that finds use against
// the transaction-side one that saves use: the same answers.
func TestReaderRows(t *testing.T) {
	s := newTestStore(t)
	ctx := t.Context()
	a := fullToken(1)
	b := fullToken(1)
	b.ClientID = "1000.OTHER"
	b.RefreshToken = a.RefreshToken // two tokens under one index value
	own := fullToken(2)
	own.ID = "40"
	if err := s.SaveTokens(ctx, []*zohoauth.Token{a, b, own}); err != nil {
		t.Fatal(err)
	}
	r := reader{s}
	users, err := r.WithUserName(ctx, a.UserName)
	if err != nil || len(users) != 2 {
		t.Fatalf("WithUserName: %d tokens, %v; want 2", len(users), err)
	}
	if n, err := r.MaxID(ctx); err != nil || n < 40 {
		t.Fatalf("MaxID = %d, %v; want at least 40", n, err)
	}
	for _, k := range []storekit.Key{
		{Field: storekit.FieldRefreshToken, Value: a.RefreshToken},
		{Field: storekit.FieldRefreshToken, Value: a.RefreshToken, ClientID: b.ClientID},
		{Field: storekit.FieldUserName, Value: a.UserName, ClientID: "1000.NONE"},
		{Field: storekit.FieldID, Value: "40"},
		{Field: storekit.FieldID, Value: "x"},
	} {
		got, err := r.Lookup(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		var want *zohoauth.Token
		err = s.update(ctx, MsgGetToken, func(ctx context.Context, v *view) error {
			want, err = v.Lookup(ctx, k)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if (got == nil) != (want == nil) || (got != nil && got.ID != want.ID) {
			t.Errorf("Lookup(%v field %d): reader %v, view %v", k.ClientID, k.Field, got, want)
		}
	}
	if got, _ := r.Lookup(ctx, storekit.Key{Field: storekit.FieldRefreshToken, Value: a.RefreshToken, ClientID: b.ClientID}); got == nil || got.ID != b.ID {
		t.Errorf("Lookup by a shared refresh token with b's client: %v, want id %s", got, b.ID)
	}
}

// TestNoWatchLeftOnConnection: a write that ends without EXEC (here a
// delete of an unknown id, which watched the id's key) releases its WATCH,
// so the next transaction on the same pooled connection does not fail
// because that key changed.
func TestNoWatchLeftOnConnection(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: testAddr(t), PoolSize: 1})
	t.Cleanup(func() { _ = c.Close() })
	s := New(c, WithPrefix(testPrefix()), WithMaxAttempts(1))
	t.Cleanup(func() { purge(t, c, s.Prefix()) })
	t.Cleanup(func() { checkConsistent(t, s) })
	ctx := t.Context()
	if err := s.DeleteToken(ctx, "5"); !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("DeleteToken of an unknown id: %v", err)
	}
	// Another client changes the key the failed delete watched.
	other := testClient(t)
	if err := other.Set(ctx, s.Prefix()+"token:5", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := other.Del(ctx, s.Prefix()+"token:5").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveToken(ctx, fullToken(1)); err != nil {
		t.Fatalf("the save after a failed delete: %v", err)
	}
}
