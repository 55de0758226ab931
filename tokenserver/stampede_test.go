package tokenserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
	"github.com/zohoauth/zohoauth/tokenserver"
)

// TestStampedeFourInstances: four service instances, each with its own
// connection to one SQLite file and its own Authenticator, and 1,000
// concurrent callers spread across them asking for one expired token: Zoho
// sees exactly one refresh, and every caller gets the new access token.
func TestStampedeFourInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 callers")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "zohooauth.db")
	open := func() zohoauth.Store {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	first := newEnv(t, envOpts{store: open()})
	tok := first.login("ann@example.com", clientA, secretA)
	if err := first.store.SaveToken(ctx, &zohoauth.Token{ID: tok.ID, Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	key := first.key(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}, Rate: 1e6, Burst: 1e5})
	var urls []string
	for range 4 {
		e := newEnv(t, envOpts{store: open(), emu: first.emu, keys: first.keys.Path()})
		urls = append(urls, e.http.URL)
	}
	before := first.emu.Stats()

	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 200, MaxIdleConnsPerHost: 200}, Timeout: time.Minute}
	const callers = 1000
	start := make(chan struct{})
	got := make([]string, callers)
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", urls[i%4]+"/v1/token?user="+tok.UserName, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			<-start
			resp, err := client.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var a struct {
				AccessToken string `json:"access_token"`
			}
			if resp.StatusCode != 200 || json.Unmarshal(b, &a) != nil {
				errs <- &httpError{resp.StatusCode, string(b)}
				return
			}
			got[i] = a.AccessToken
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("caller: %v", err)
	}
	st := first.emu.Stats()
	if n := st.Refreshes - before.Refreshes; n != 1 {
		t.Errorf("%d refreshes at the emulator for %d callers on 4 instances, want 1", n, callers)
	}
	stored, err := first.store.FindTokenByID(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range got {
		if a != "" && a != stored.AccessToken {
			t.Fatalf("caller %d got %q, not the stored new token", i, a)
		}
	}
	if stored.AccessToken == tok.AccessToken {
		t.Error("the token was not refreshed")
	}
}

type httpError struct {
	status int
	body   string
}

func (e *httpError) Error() string { return http.StatusText(e.status) + ": " + e.body }
