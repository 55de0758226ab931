package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/zohotest"
)

// 1,000 goroutines asking for the same expired token cause exactly one call
// to the token endpoint, and all of them get the new token.
func TestThousandCallersOneRefresh(t *testing.T) {
	for _, mode := range []string{"one handle", "a handle each", "by id after restart"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, nil)
			h, old := e.login()
			id := h.ID()
			if mode == "by id after restart" {
				e.restart()
			}
			e.clk.Advance(2 * time.Hour)
			e.srv.ResetStats()
			const n = 1000
			got := make([]string, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					hh := h
					if mode != "one handle" {
						hh = e.a.For(&zohoauth.Token{ID: id})
					}
					got[i], errs[i] = hh.AccessToken(context.Background())
				}()
			}
			close(start)
			wg.Wait()
			if c := e.srv.Stats().Calls["POST /oauth/v2/token"]; c != 1 || e.srv.Stats().TokenRequests != 1 {
				t.Fatalf("token endpoint called %d times, want 1", c)
			}
			want := e.stored(id).AccessToken
			if want == old {
				t.Fatal("not refreshed")
			}
			for i := range n {
				if errs[i] != nil || got[i] != want {
					t.Fatalf("caller %d: %v, new token %v", i, errs[i], got[i] == want)
				}
			}
		})
	}
}

// One caller's cancelled context does not fail the shared refresh: the
// others get the new token.
func TestCancelledCallerDoesNotFailOthers(t *testing.T) {
	e := newEnv(t, nil)
	h, old := e.login()
	e.clk.Advance(2 * time.Hour)
	e.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: time.Second})
	cctx, cancel := context.WithCancel(context.Background())
	firstDone := make(chan error, 1)
	go func() {
		_, err := h.AccessToken(cctx)
		firstDone <- err
	}()
	// Cancel once the refresh has reached the (delayed) token endpoint.
	for e.srv.Stats().FaultsInjected == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-firstDone; err != context.Canceled {
		t.Fatalf("cancelled caller: %v", err)
	}
	got, err := h.AccessToken(context.Background())
	if err != nil || got == old {
		t.Fatalf("other caller: %v", err)
	}
	if n := e.srv.Stats().Refreshes; n != 1 {
		t.Fatalf("refreshes %d, want 1 (the cancelled one went on)", n)
	}
}

// Two processes (authenticators) over one store: when one has refreshed,
// the other's renewal re-reads the store and adopts the new token without
// asking Zoho.
func TestRenewalAdoptsTokenRefreshedElsewhere(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	other := mustNew(e.store, e.opts)
	defer other.Close()
	ho := other.For(&zohoauth.Token{ID: h.ID()})
	if _, err := ho.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Hour)
	fresh, err := ho.AccessToken(ctx) // the other process refreshes
	if err != nil {
		t.Fatal(err)
	}
	n := e.tokenRequests()
	got, err := h.AccessToken(ctx) // expired here too: re-read, adopt
	if err != nil || got != fresh {
		t.Fatalf("got the other's token: %v, %v", got == fresh, err)
	}
	if e.tokenRequests() != n {
		t.Fatal("refreshed again instead of adopting")
	}
}

// TestConcurrentFirstUseOneExchange: many handles of one new grant code,
// used at once, share one resolution: the code is exchanged once, and every
// caller gets the token it gave.
func TestConcurrentFirstUseOneExchange(t *testing.T) {
	e := newEnv(t, nil)
	partial := e.grantToken()
	e.srv.ResetStats()
	const n = 200
	got := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i], errs[i] = e.a.For(partial.Clone()).AccessToken(context.Background())
		}()
	}
	close(start)
	wg.Wait()
	if st := e.srv.Stats(); st.GrantExchanges != 1 || st.TokenRequests != 1 {
		t.Fatalf("%d grant exchanges, %d token requests, want 1 and 1", st.GrantExchanges, st.TokenRequests)
	}
	for i := range n {
		if errs[i] != nil || got[i] == "" || got[i] != got[0] {
			t.Fatalf("caller %d: %v, same token %v", i, errs[i], got[i] == got[0])
		}
	}
}
