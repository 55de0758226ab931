package auth_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/memory"
)

// forgingAccounts is an accounts server whose token answers name apiDomain.
func forgingAccounts(t *testing.T, apiDomain string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, `{"access_token":"1000.forged-access","refresh_token":"1000.forged-refresh","api_domain":"`+apiDomain+`","expires_in":3600}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// A token answer naming an untrusted api_domain is refused at the grant
// exchange and at a refresh: nothing of it is stored, and the stored token
// keeps its API domain and refresh token.
func TestUntrustedAPIDomainNeverStored(t *testing.T) {
	for _, dom := range []string{"https://evil.example", "http://www.zohoapis.com", "https://www.zohoapis.com.evil.example", "https://www.zohoapis.com@evil.example"} {
		t.Run(dom, func(t *testing.T) {
			srv, calls := forgingAccounts(t, dom)
			clk := clock.NewFake(t0)
			store := memory.New()
			a := auth.New(store, auth.Options{Accounts: &accounts.Client{BaseURL: srv.URL}, Clock: clk, SkipUserLookup: true})
			defer a.Close()

			_, err := a.AccessToken(ctx, &zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, GrantToken: "1000.grant"})
			isErr(t, err, zohoauth.ErrUntrustedAPIDomain)
			if all, _ := store.Tokens(ctx); len(all) != 0 || calls.Load() != 1 {
				t.Fatalf("exchange: %d tokens stored, %d calls", len(all), calls.Load())
			}

			old := &zohoauth.Token{UserName: email + ":" + zgid, ClientID: clientID, ClientSecret: clientSecret, RefreshToken: "1000.old-refresh",
				AccessToken: "1000.old-access", Expiry: t0.Add(-time.Minute), APIDomain: "https://www.zohoapis.com"}
			if err := store.SaveToken(ctx, old); err != nil {
				t.Fatal(err)
			}
			_, err = a.For(&zohoauth.Token{ID: old.ID}).AccessToken(ctx)
			isErr(t, err, zohoauth.ErrUntrustedAPIDomain)
			got, err := store.FindTokenByID(ctx, old.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.APIDomain != old.APIDomain || got.RefreshToken != old.RefreshToken || got.AccessToken != old.AccessToken {
				t.Fatalf("refresh stored %v", got)
			}
		})
	}
}
