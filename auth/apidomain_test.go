package auth_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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
			a := mustNew(store, auth.Options{Accounts: &accounts.Client{BaseURL: srv.URL}, Clock: clk, SkipUserLookup: true})
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

// storedHandle stores a token valid for a day with the given API domain and
// returns its handle; ac is the authenticator's accounts client.
func storedHandle(t *testing.T, apiDomain string, ac *accounts.Client) *auth.Handle {
	t.Helper()
	st := memory.New()
	tok := &zohoauth.Token{ClientID: clientID, ClientSecret: clientSecret, RefreshToken: "1000.refresh", AccessToken: "1000.the-access-token",
		Expiry: t0.Add(24 * time.Hour), APIDomain: apiDomain, UserName: email + ":" + zgid}
	if err := st.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	a := mustNew(st, auth.Options{Accounts: ac, Clock: clock.NewFake(t0)})
	t.Cleanup(func() { _ = a.Close() })
	return a.For(&zohoauth.Token{ID: tok.ID})
}

// listenOn starts an httptest server bound to addr ("127.0.0.2:0").
func listenOn(t *testing.T, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// The API host (127.0.0.1) answers 302 to another host (127.0.0.2): the
// redirect is followed without the access token.
func TestTransportRedirectToOtherHostDropsToken(t *testing.T) {
	var leaked, reached atomic.Value
	leaked.Store("")
	other := listenOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Store(true)
		leaked.Store(r.Header.Get("Authorization"))
		_, _ = io.WriteString(w, "other host")
	}))
	var apiGot atomic.Value
	api := listenOn(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiGot.Store(r.Header.Get("Authorization"))
		http.Redirect(w, r, other.URL+"/landing", http.StatusFound)
	}))
	h := storedHandle(t, api.URL, &accounts.Client{APIDomains: []string{api.URL}})
	resp, err := h.Client(nil).Get(api.URL + "/crm/v8/Leads")
	if err == nil {
		resp.Body.Close()
	}
	if apiGot.Load() != auth.HeaderPrefix+"1000.the-access-token" {
		t.Fatalf("the API host got Authorization %q", apiGot.Load())
	}
	if got := leaked.Load().(string); strings.Contains(got, "1000.the-access-token") || got != "" {
		t.Fatalf("the other host got Authorization %q", got)
	}
	if err != nil || reached.Load() == nil {
		t.Fatalf("redirect not followed: %v", err)
	}
}

// redirector is a base RoundTripper that answers the first request with a
// redirect to location (if set) and records the Authorization of every request.
type redirector struct {
	location string
	status   int      // 302 when 0
	seen     []string // "URL Authorization"
}

func (r *redirector) RoundTrip(req *http.Request) (*http.Response, error) {
	r.seen = append(r.seen, req.URL.String()+" "+req.Header.Get("Authorization"))
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: req}
	if len(r.seen) == 1 && r.location != "" {
		resp.StatusCode = http.StatusFound
		if r.status != 0 {
			resp.StatusCode = r.status
		}
		resp.Header.Set("Location", r.location)
	}
	return resp, nil
}

// A redirect keeps the token only to the token's own origin: a scheme
// downgrade, another port, another host (Zoho's other hosts included) or
// a user-info trick gets none.
func TestTransportRedirectKeepsTokenOnItsOrigin(t *testing.T) {
	const tokenHeader = auth.HeaderPrefix + "1000.the-access-token"
	for _, tc := range []struct {
		location string
		token    bool
	}{
		{"https://www.zohoapis.com/crm/v8/next", true},
		{"https://WWW.ZOHOAPIS.COM/crm/v8/next", true},
		{"https://www.zohoapis.com:443/crm/v8/next", true},
		{"/crm/v8/relative", true},
		{"http://www.zohoapis.com/crm/v8/next", false},
		{"http://www.zohoapis.com:443/crm/v8/next", false},
		{"https://www.zohoapis.com:8443/crm/v8/next", false},
		{"https://evil.example/crm/v8/next", false},
		{"https://www.zohoapis.com.evil.example/crm", false},
		{"https://www.zohoapis.com@evil.example/crm", false},
		{"https://sandbox.zohoapis.com/crm/v8/next", false},
		{"https://www.zohoapis.eu/crm/v8/next", false},
		{"//evil.example/crm", false},
	} {
		t.Run(tc.location, func(t *testing.T) {
			base := &redirector{location: tc.location}
			h := storedHandle(t, "https://www.zohoapis.com", &accounts.Client{})
			resp, err := h.Client(base).Get("https://www.zohoapis.com/crm/v8/Leads")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if len(base.seen) != 2 {
				t.Fatalf("requests %q", base.seen)
			}
			if !strings.HasSuffix(base.seen[0], " "+tokenHeader) {
				t.Fatalf("first request %q", base.seen[0])
			}
			if got := strings.HasSuffix(base.seen[1], " "+tokenHeader); got != tc.token {
				t.Fatalf("redirected request %q: token sent %v, want %v", base.seen[1], got, tc.token)
			}
			if !tc.token && strings.Contains(base.seen[1], "1000.the-access-token") {
				t.Fatalf("redirected request %q", base.seen[1])
			}
		})
	}
}

// A request of the caller's own goes with the token to the token's hosts
// only (its API domain, its data center's accounts and upload servers);
// any other fails with ErrForeignHost before anything is sent. A stored API
// domain that is not trusted sends the token nowhere.
func TestTransportRefusesForeignHost(t *testing.T) {
	const tokenHeader = auth.HeaderPrefix + "1000.the-access-token"
	for _, tc := range []struct {
		apiDomain, url string
		want           error
	}{
		{"https://www.zohoapis.com", "https://www.zohoapis.com/crm/v8/org", nil},
		{"https://www.zohoapis.com", "https://accounts.zoho.com/oauth/user/info", nil},
		{"https://www.zohoapis.com", "https://content.zohoapis.com/crm/v8/files", nil},
		{"https://www.zohoapis.eu", "https://www.zohoapis.com/crm/v8/org", auth.ErrForeignHost},
		{"https://www.zohoapis.com", "https://evil.example/crm/v8/org", auth.ErrForeignHost},
		{"https://www.zohoapis.com", "http://www.zohoapis.com/crm/v8/org", auth.ErrForeignHost},
		{"https://www.zohoapis.com", "https://accounts.zoho.eu/oauth/user/info", auth.ErrForeignHost},
		{"", "https://www.zohoapis.com/crm/v8/org", nil},
		{"", "https://evil.example/crm/v8/org", auth.ErrForeignHost},
		{"https://evil.example", "https://evil.example/crm/v8/org", zohoauth.ErrUntrustedAPIDomain},
		{"http://www.zohoapis.com", "http://www.zohoapis.com/crm/v8/org", zohoauth.ErrUntrustedAPIDomain},
		{"https://www.zohoapis.com@evil.example", "https://evil.example/crm/v8/org", zohoauth.ErrUntrustedAPIDomain},
	} {
		t.Run(tc.apiDomain+" "+tc.url, func(t *testing.T) {
			base := &redirector{}
			h := storedHandle(t, tc.apiDomain, &accounts.Client{})
			resp, err := h.Client(base).Get(tc.url)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if len(base.seen) != 1 || !strings.HasSuffix(base.seen[0], " "+tokenHeader) {
					t.Fatalf("requests %q", base.seen)
				}
				return
			}
			isErr(t, err, tc.want)
			if len(base.seen) != 0 {
				t.Fatalf("sent %q", base.seen)
			}
			assertNoSecret(t, "error", err.Error(), "1000.the-access-token", "1000.refresh", clientSecret)
		})
	}
}

// A 307 that would send a POST's body to another host is refused: neither
// the token nor the body leaves for it.
func TestTransportRedirectWithBodyToOtherHostRefused(t *testing.T) {
	for _, tc := range []struct {
		location string
		want     error
	}{
		{"https://evil.example/crm/v8/Leads", auth.ErrForeignHost},
		{"https://www.zohoapis.com/crm/v8/Leads2", nil},
	} {
		base := &redirector{location: tc.location, status: http.StatusTemporaryRedirect}
		h := storedHandle(t, "https://www.zohoapis.com", &accounts.Client{})
		resp, err := h.Client(base).Post("https://www.zohoapis.com/crm/v8/Leads", "application/json", strings.NewReader(`{"data":[{"Last_Name":"Secret"}]}`))
		if tc.want != nil {
			isErr(t, err, tc.want)
			if len(base.seen) != 1 {
				t.Fatalf("requests %q", base.seen)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(base.seen) != 2 || !strings.HasSuffix(base.seen[1], auth.HeaderPrefix+"1000.the-access-token") {
			t.Fatalf("requests %q", base.seen)
		}
	}
}
