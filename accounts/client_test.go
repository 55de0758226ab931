package accounts_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/storekit"
)

var now = time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)

const (
	secret  = "client-secret-0123456789"
	grant   = "1000.grant.abcdef"
	refresh = "1000.refresh.ghijkl"
	access  = "1000.access.mnopqr"
)

func baseToken() *zohoauth.Token {
	return &zohoauth.Token{ClientID: "1000.CLIENT", ClientSecret: secret, GrantToken: grant, RefreshToken: refresh}
}

// server answers every token request with status and body, after checking
// the form with check (when set).
func server(t *testing.T, status int, body string, check func(*http.Request)) (*accounts.Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if err := r.ParseForm(); err != nil {
			t.Errorf("ParseForm: %v", err)
		}
		if check != nil {
			check(r)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return &accounts.Client{BaseURL: srv.URL, Now: func() time.Time { return now }}, &calls
}

func TestExchange(t *testing.T) {
	c, calls := server(t, 200, `{"access_token":"`+access+`","refresh_token":"`+refresh+`","api_domain":"https://www.zohoapis.eu","token_type":"Bearer","expires_in":3600}`,
		func(r *http.Request) {
			if r.Method != http.MethodPost || r.URL.Path != "/oauth/v2/token" {
				t.Errorf("%s %s", r.Method, r.URL.Path)
			}
			if r.URL.RawQuery != "" {
				t.Errorf("secrets in the query string: %q", r.URL.RawQuery)
			}
			want := map[string]string{"grant_type": "authorization_code", "client_id": "1000.CLIENT", "client_secret": secret, "code": grant, "redirect_uri": "https://example.com/cb"}
			for k, v := range want {
				if got := r.PostForm.Get(k); got != v {
					t.Errorf("form %s = %q, want %q", k, got, v)
				}
			}
		})
	in := baseToken()
	in.RefreshToken = ""
	in.RedirectURL = "https://example.com/cb"
	got, err := c.Exchange(context.Background(), in, "")
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Fatalf("calls = %d", calls.Load())
	}
	if got.AccessToken != access || got.RefreshToken != refresh || got.APIDomain != "https://www.zohoapis.eu" {
		t.Fatalf("got %+v", *got)
	}
	if want := now.Add(time.Hour).Truncate(time.Millisecond); !got.Expiry.Equal(want) {
		t.Fatalf("expiry %v, want %v", got.Expiry, want)
	}
	if in.AccessToken != "" {
		t.Fatal("input token changed")
	}
}

func TestRefresh(t *testing.T) {
	for _, tc := range []struct {
		name        string
		body        string
		keepDomain  bool
		wantRefresh string
		wantDomain  string
		wantLife    time.Duration
	}{
		{"no refresh token in answer keeps the old", `{"access_token":"A2","api_domain":"https://www.zohoapis.com","expires_in":3600}`, false, refresh, "https://www.zohoapis.com", time.Hour},
		{"new refresh token replaces", `{"access_token":"A2","refresh_token":"R2","expires_in":3600}`, false, "R2", "https://www.zohoapis.com", time.Hour},
		{"api_domain updated", `{"access_token":"A2","api_domain":"https://www.zohoapis.eu","expires_in":3600}`, false, refresh, "https://www.zohoapis.eu", time.Hour},
		{"api_domain kept on request", `{"access_token":"A2","api_domain":"https://www.zohoapis.eu","expires_in":3600}`, true, refresh, "https://www.zohoapis.com", time.Hour},
		{"legacy expires_in in ms", `{"access_token":"A2","expires_in":3600000,"expires_in_sec":3600}`, false, refresh, "https://www.zohoapis.com", time.Hour},
		{"expires_in as string", `{"access_token":"A2","expires_in":"1800"}`, false, refresh, "https://www.zohoapis.com", 30 * time.Minute},
		{"expires_in missing", `{"access_token":"A2"}`, false, refresh, "https://www.zohoapis.com", accounts.DefaultLifetime},
		{"success whatever the status", `{"access_token":"A2","expires_in":3600}`, false, refresh, "https://www.zohoapis.com", time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status := 200
			if strings.HasPrefix(tc.name, "success whatever") {
				status = 400
			}
			c, _ := server(t, status, tc.body, func(r *http.Request) {
				if r.PostForm.Get("grant_type") != "refresh_token" || r.PostForm.Get("refresh_token") != refresh || r.PostForm.Get("client_secret") != secret {
					t.Errorf("form %v", r.PostForm)
				}
			})
			c.KeepAPIDomain = tc.keepDomain
			in := baseToken()
			in.AccessToken, in.APIDomain, in.ID = "A1", "https://www.zohoapis.com", "7"
			got, err := c.Refresh(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if got.AccessToken != "A2" || got.RefreshToken != tc.wantRefresh || got.APIDomain != tc.wantDomain || got.ID != "7" {
				t.Fatalf("got %+v", *got)
			}
			if want := now.Add(tc.wantLife).Truncate(time.Millisecond); !got.Expiry.Equal(want) {
				t.Fatalf("expiry %v, want %v", got.Expiry, want)
			}
		})
	}
}

func TestTokenErrors(t *testing.T) {
	big := `{"error":"` + strings.Repeat("x", 10<<20) + `"}`
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		kind      error
		code      string
		sdkCode   string
		sdkMsg    string
		temporary bool
	}{
		{"invalid_code with 200", 200, `{"error":"invalid_code"}`, accounts.ErrInvalidCode, "invalid_code", zohoauth.CodeInvalidToken, "invalid_code", false},
		{"invalid_client", 200, `{"error":"invalid_client"}`, accounts.ErrInvalidClient, "invalid_client", zohoauth.CodeInvalidToken, "invalid_client", false},
		{"invalid_client_secret", 200, `{"error":"invalid_client_secret"}`, accounts.ErrInvalidClient, "invalid_client_secret", zohoauth.CodeInvalidToken, "", false},
		{"invalid_redirect_uri", 200, `{"error":"invalid_redirect_uri"}`, accounts.ErrInvalidRedirectURI, "invalid_redirect_uri", zohoauth.CodeInvalidToken, "", false},
		{"throttle", 200, `{"error_description":"You have made too many requests continuously. Please try again after some time.","error":"Access Denied","status":"failure"}`, accounts.ErrThrottled, "Access Denied", zohoauth.CodeInvalidToken, "Access Denied", false},
		{"other error", 200, `{"error":"unsupported_grant_type"}`, accounts.ErrRejected, "unsupported_grant_type", zohoauth.CodeInvalidToken, "", false},
		{"error code with 5xx", 502, `{"error":"invalid_code"}`, accounts.ErrInvalidCode, "invalid_code", zohoauth.CodeInvalidToken, "", false},
		{"no access token", 200, `{"token_type":"Bearer"}`, accounts.ErrNoAccessToken, "", zohoauth.CodeInvalidToken, storekit.MsgNoAccessToken, false},
		{"empty access token", 200, `{"access_token":""}`, accounts.ErrNoAccessToken, "", zohoauth.CodeInvalidToken, storekit.MsgNoAccessToken, false},
		{"not JSON", 200, `<html>gateway</html>`, accounts.ErrMalformed, "", zohoauth.CodeSaveToken, "", false},
		{"truncated JSON", 200, `{"access_token":"A`, accounts.ErrMalformed, "", zohoauth.CodeSaveToken, "", false},
		{"wrong type", 200, `{"access_token":42}`, accounts.ErrMalformed, "", zohoauth.CodeSaveToken, "", false},
		{"bad expires_in", 200, `{"access_token":"A","expires_in":"soon"}`, accounts.ErrMalformed, "", zohoauth.CodeSaveToken, "", false},
		{"negative expires_in", 200, `{"access_token":"A","expires_in":-5}`, accounts.ErrMalformed, "", zohoauth.CodeSaveToken, "", false},
		{"500 html", 500, `<html>oops</html>`, accounts.ErrTransient, "", "", "", true},
		{"503 empty", 503, ``, accounts.ErrTransient, "", "", "", true},
		{"429", 429, `slow down`, accounts.ErrTransient, "", "", "", true},
		{"10 MiB body", 200, big, accounts.ErrTooLarge, "", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := server(t, tc.status, tc.body, nil)
			_, err := c.Refresh(context.Background(), baseToken())
			var ae *accounts.Error
			if !errors.As(err, &ae) {
				t.Fatalf("err %v (%T), want *accounts.Error", err, err)
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err %v, want %v", err, tc.kind)
			}
			if ae.Code != tc.code || ae.Op != "refresh" || ae.StatusCode != tc.status || ae.Temporary() != tc.temporary {
				t.Fatalf("error %+v", ae)
			}
			var ze *zohoauth.Error
			if tc.sdkCode == "" {
				if errors.As(err, &ze) {
					t.Fatalf("unexpected SDK error %v", ze)
				}
			} else {
				if !errors.As(err, &ze) || ze.Code != tc.sdkCode || (tc.sdkMsg != "" && ze.Message != tc.sdkMsg) {
					t.Fatalf("SDK error %v, want %s - %s", ze, tc.sdkCode, tc.sdkMsg)
				}
			}
			if len(err.Error()) > 600 {
				t.Fatalf("error text %d bytes long", len(err.Error()))
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, sec := range []string{secret, grant, refresh, access} {
		if strings.Contains(s, sec) {
			t.Fatalf("%q holds a secret", s)
		}
	}
}

func TestErrorScrubsEchoedSecrets(t *testing.T) {
	c, _ := server(t, 200, `{"error":"bad `+refresh+`","error_description":"client_secret=`+secret+` grant `+grant+`\n"}`, nil)
	_, err := c.Refresh(context.Background(), baseToken())
	if err == nil {
		t.Fatal("no error")
	}
	assertNoSecret(t, err.Error())
	assertNoSecret(t, fmt.Sprintf("%+v %#v", err, err))
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("error %q", err)
	}
}

// hangingServer returns the URL of a server that never answers (until the
// test ends).
func hangingServer(t *testing.T) string {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv.URL
}

func TestTimeout(t *testing.T) {
	c := &accounts.Client{BaseURL: hangingServer(t), Timeout: 50 * time.Millisecond}
	start := time.Now()
	_, err := c.Refresh(context.Background(), baseToken())
	if !errors.Is(err, accounts.ErrTransient) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want transient deadline exceeded", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("timeout not applied")
	}
	assertNoSecret(t, err.Error())
}

func TestCallerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&accounts.Client{BaseURL: hangingServer(t)}).Refresh(ctx, baseToken())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

func TestNoRedirect(t *testing.T) {
	var hit atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit.Add(1)
		_, _ = io.WriteString(w, `{"access_token":"stolen","expires_in":3600}`)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	_, err := (&accounts.Client{BaseURL: srv.URL, HTTPClient: &http.Client{}}).Refresh(context.Background(), baseToken())
	if err == nil || hit.Load() != 0 {
		t.Fatalf("redirect followed: err %v, hits %d", err, hit.Load())
	}
}

func TestServer(t *testing.T) {
	env := zohoauth.Environment{DC: "us", Kind: zohoauth.Production, APIURL: "http://127.0.0.1:1", AccountsURL: "http://127.0.0.1:1"}
	for _, tc := range []struct {
		name    string
		c       accounts.Client
		api     string
		server  string
		want    string
		wantErr error
	}{
		{"api domain EU", accounts.Client{}, "https://www.zohoapis.eu", "", "https://accounts.zoho.eu", nil},
		{"api domain CA sandbox", accounts.Client{}, "https://sandbox.zohoapis.ca", "", "https://accounts.zohocloud.ca", nil},
		{"accounts-server wins", accounts.Client{}, "https://www.zohoapis.com", "https://accounts.zoho.in", "https://accounts.zoho.in", nil},
		{"forged accounts-server", accounts.Client{}, "", "https://evil.example", "", zohoauth.ErrUnknownEnvironment},
		{"unknown api domain", accounts.Client{}, "https://api.example", "", "", zohoauth.ErrUnknownEnvironment},
		{"nothing to go on", accounts.Client{}, "", "", "", zohoauth.ErrUnknownEnvironment},
		{"environment fallback", accounts.Client{Environment: mustEnv(t, "jp")}, "", "", "https://accounts.zoho.jp", nil},
		{"environment's own api url", accounts.Client{Environment: env}, env.APIURL, "", env.AccountsURL, nil},
		{"environment's own accounts server", accounts.Client{Environment: env}, "", env.AccountsURL, env.AccountsURL, nil},
		{"base url overrides", accounts.Client{BaseURL: "http://127.0.0.1:9/"}, "https://www.zohoapis.eu", "https://accounts.zoho.in", "http://127.0.0.1:9", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.c.Server(&zohoauth.Token{APIDomain: tc.api}, tc.server)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Server = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func mustEnv(t *testing.T, dc string) zohoauth.Environment {
	env, err := zohoauth.EnvironmentOf(dc, zohoauth.Production)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestExchangeDefaultsAPIDomainToServer(t *testing.T) {
	c, _ := server(t, 200, `{"access_token":"A","expires_in":3600}`, nil)
	c.Environment = mustEnv(t, "au")
	got, err := c.Exchange(context.Background(), baseToken(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got.APIDomain != "https://www.zohoapis.com.au" {
		t.Fatalf("api domain %q", got.APIDomain)
	}
}

func TestRevoke(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		kind   error
	}{
		{"success", 200, `{"status":"success"}`, nil},
		{"invalid token", 400, `{"status":"failure","error":"invalid_token"}`, accounts.ErrRevokeFailed},
		{"not JSON", 200, `nope`, accounts.ErrRevokeFailed},
		{"server error", 503, `down`, accounts.ErrTransient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, calls := server(t, tc.status, tc.body, func(r *http.Request) {
				if r.URL.Path != "/oauth/v2/token/revoke" || r.PostForm.Get("token") != refresh || r.URL.RawQuery != "" {
					t.Errorf("%s %s %v", r.URL.Path, r.URL.RawQuery, r.PostForm)
				}
			})
			err := c.Revoke(context.Background(), baseToken(), refresh)
			if calls.Load() != 1 {
				t.Fatalf("calls %d", calls.Load())
			}
			if tc.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err %v, want %v", err, tc.kind)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func TestUserSignature(t *testing.T) {
	var auth atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		switch {
		case r.URL.Path == "/crm/v8/users" && r.URL.Query().Get("type") == "CurrentUser":
			_, _ = io.WriteString(w, `{"users":[{"email":"ann@example.com","id":"1"}],"info":{}}`)
		case r.URL.Path == "/crm/v8/org":
			_, _ = io.WriteString(w, `{"org":[{"zgid":"7001","id":"2"}]}`)
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	c := &accounts.Client{BaseURL: srv.URL}
	got, err := c.UserSignature(context.Background(), &zohoauth.Token{AccessToken: access, APIDomain: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if got != "ann@example.com:7001" {
		t.Fatalf("signature %q", got)
	}
	if auth.Load() != "Zoho-oauthtoken "+access {
		t.Fatalf("Authorization %q", auth.Load())
	}
	// An API domain that is not Zoho's (nor the configured one) gets no token.
	_, err = (&accounts.Client{}).UserSignature(context.Background(), &zohoauth.Token{AccessToken: access, APIDomain: srv.URL})
	if !errors.Is(err, zohoauth.ErrUnknownEnvironment) {
		t.Fatalf("err %v", err)
	}
}

func TestUserSignatureErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		kind   error
		code   string
	}{
		{"invalid token", 401, `{"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"}`, accounts.ErrRejected, "INVALID_TOKEN"},
		{"scope", 401, `{"code":"OAUTH_SCOPE_MISMATCH","details":{},"message":"invalid oauth scope to access this URL","status":"error"}`, accounts.ErrRejected, "OAUTH_SCOPE_MISMATCH"},
		{"server", 500, `x`, accounts.ErrTransient, ""},
		{"no user", 200, `{"users":[],"org":[]}`, accounts.ErrMalformed, ""},
		{"not json", 200, `x`, accounts.ErrMalformed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			_, err := (&accounts.Client{BaseURL: srv.URL}).UserSignature(context.Background(), &zohoauth.Token{AccessToken: access, APIDomain: srv.URL})
			var ae *accounts.Error
			if !errors.As(err, &ae) || !errors.Is(err, tc.kind) || ae.Code != tc.code {
				t.Fatalf("err %v", err)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

// untrustedAPIDomains are api_domain values a forged or tampered token
// answer may carry to have the access token sent elsewhere.
var untrustedAPIDomains = []string{
	"https://evil.example",
	"http://www.zohoapis.com",
	"https://www.zohoapis.com.evil.example",
	"https://evil.example/https://www.zohoapis.com",
	"https://www.zohoapis.com@evil.example",
	"https://www.zohoapis.com:pw@evil.example",
	"https://evil.example#@www.zohoapis.com",
	"https://evil.example?.zohoapis.com",
	"https://www.zohoapis.com:8443",
	"https://www.zohoapis.com.",
	"https://www.zohoapis.com/crm",
	"https://www.zohoapis.com?x=1",
	"//www.zohoapis.com",
	"www.zohoapis.com",
	"https:www.zohoapis.com",
	"https://www.zohoapis.com\\@evil.example",
	"https://www%2ezohoapis.com",
	"ftp://www.zohoapis.com",
	"javascript:alert(1)",
	" https://www.zohoapis.com",
	"https://www.zohoapis.com\r\nX-Evil: 1",
	"https://127.0.0.1",
	"us",
}

// A token answer whose api_domain is neither the CRM API URL of a known
// data center nor allowed by the client is refused, at the grant exchange
// and at a refresh, with a typed error that quotes no secret; no token is
// returned, so none can be stored.
func TestTokenAnswerUntrustedAPIDomain(t *testing.T) {
	for _, op := range []string{"exchange", "refresh"} {
		for _, dom := range untrustedAPIDomains {
			t.Run(op+" "+dom, func(t *testing.T) {
				body, _ := json.Marshal(map[string]any{"access_token": access, "refresh_token": refresh, "api_domain": dom, "expires_in": 3600})
				c, _ := server(t, 200, string(body), nil)
				in := baseToken()
				in.APIDomain = "https://www.zohoapis.com"
				var got *zohoauth.Token
				var err error
				if op == "exchange" {
					got, err = c.Exchange(context.Background(), in, "")
				} else {
					got, err = c.Refresh(context.Background(), in)
				}
				if err == nil || got != nil {
					t.Fatalf("api_domain %q accepted: %+v", dom, got)
				}
				var ae *accounts.Error
				if !errors.As(err, &ae) || ae.Op != op || !errors.Is(err, zohoauth.ErrUntrustedAPIDomain) || ae.Temporary() {
					t.Fatalf("err %v, want *accounts.Error matching ErrUntrustedAPIDomain", err)
				}
				assertNoSecret(t, err.Error())
				if strings.ContainsAny(err.Error(), "\r\n") {
					t.Fatalf("error text spans lines: %q", err)
				}
			})
		}
	}
}

// The error of a refused api_domain quotes no token of the answer, even
// when the api_domain carries one.
func TestUntrustedAPIDomainErrorQuotesNoNewToken(t *testing.T) {
	const newAccess, newRefresh = "1000.fresh-access-998877", "1000.fresh-refresh-665544"
	body := `{"access_token":"` + newAccess + `","refresh_token":"` + newRefresh + `","api_domain":"https://evil.example/` + newAccess + `/` + newRefresh + `","expires_in":3600}`
	c, _ := server(t, 200, body, nil)
	_, err := c.Exchange(context.Background(), baseToken(), "")
	if !errors.Is(err, zohoauth.ErrUntrustedAPIDomain) {
		t.Fatalf("err %v", err)
	}
	if msg := err.Error(); strings.Contains(msg, newAccess) || strings.Contains(msg, newRefresh) {
		t.Fatalf("error quotes a new token: %q", msg)
	}
}

// The API domains the caller allows, BaseURL and Environment.APIURL are
// accepted in a token answer; a stored API domain that is not trusted is
// not refreshed into a new token either.
func TestTokenAnswerAllowedAPIDomain(t *testing.T) {
	for _, tc := range []struct {
		name, answer, want string
		mod                func(*accounts.Client)
	}{
		{"allowed origin", "http://127.0.0.2:8920", "http://127.0.0.2:8920", func(c *accounts.Client) { c.APIDomains = []string{"http://127.0.0.2:8920/"} }},
		{"environment's api url", "http://127.0.0.3:1", "http://127.0.0.3:1", func(c *accounts.Client) { c.Environment.APIURL = "http://127.0.0.3:1" }},
		{"base url", "", "", func(c *accounts.Client) {}},
		{"upper case zoho", "HTTPS://WWW.ZOHOAPIS.IN/", "https://www.zohoapis.in", func(c *accounts.Client) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *accounts.Client
			answer := tc.answer
			if answer == "" {
				answer = "BASE"
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				dom := answer
				if dom == "BASE" {
					dom = "http://" + r.Host
				}
				_, _ = io.WriteString(w, `{"access_token":"A","api_domain":"`+dom+`","expires_in":3600}`)
			}))
			defer srv.Close()
			c = &accounts.Client{BaseURL: srv.URL}
			tc.mod(c)
			want := tc.want
			if want == "" {
				want = srv.URL
			}
			got, err := c.Exchange(context.Background(), baseToken(), "")
			if err != nil || got.APIDomain != want {
				t.Fatalf("got %v, %v; want api domain %s", got, err, want)
			}
		})
	}
	c, calls := server(t, 200, `{"access_token":"A","expires_in":3600}`, nil)
	in := baseToken()
	in.APIDomain = "https://evil.example"
	if got, err := c.Refresh(context.Background(), in); !errors.Is(err, zohoauth.ErrUntrustedAPIDomain) || got != nil || calls.Load() != 0 {
		t.Fatalf("stored untrusted api domain refreshed: %v, %v (calls %d)", got, err, calls.Load())
	}
}
