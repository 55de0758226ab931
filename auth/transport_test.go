package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zohoauth/zohoauth/auth"
)

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The Transport sets Zoho's header; after Zoho's 401 INVALID_TOKEN it
// renews once and replays the request.
func TestTransportRetriesInvalidToken(t *testing.T) {
	e := newEnv(t, nil)
	h, old := e.login()
	c := h.Client(nil)
	leads := e.srv.URL + "/crm/v8/Leads?fields=Last_Name"
	if code, body := get(t, c, leads); code/100 != 2 {
		t.Fatalf("%d %s", code, body)
	}
	e.srv.ExpireAccessTokens() // Zoho drops the token before its expiry
	if code, body := get(t, c, leads); code/100 != 2 {
		t.Fatalf("after invalidation: %d %s", code, body)
	}
	if got, _ := h.AccessToken(ctx); got == old || e.stored(h.ID()).AccessToken != got {
		t.Fatal("not renewed and saved")
	}
	if r := e.srv.Stats().Refreshes; r != 1 {
		t.Fatalf("refreshes %d", r)
	}
}

// A POST whose body can be replayed (GetBody) is sent again with the same
// body; concurrent 401s share one renewal.
func TestTransportReplaysBodyOnce(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	c := h.Client(nil)
	e.srv.ExpireAccessTokens()
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(map[string]any{"data": []map[string]any{{"Last_Name": "L" + string(rune('a'+i))}}})
			resp, err := c.Post(e.srv.URL+"/crm/v8/Leads", "application/json", bytes.NewReader(body))
			if err != nil {
				errs <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				errs <- resp.Status + " " + string(b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	if r := e.srv.Stats().Refreshes; r != 1 {
		t.Fatalf("refreshes %d, want 1", r)
	}
}

// A body that cannot be replayed: the caller gets Zoho's 401, readable in
// full; a request with its own Authorization header is left alone.
func TestTransportUnreplayableAndOwnHeader(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	e.srv.ExpireAccessTokens()
	req, _ := http.NewRequest("POST", e.srv.URL+"/crm/v8/Leads", io.NopCloser(strings.NewReader(`{"data":[{"Last_Name":"x"}]}`)))
	resp, err := (&auth.Transport{Handle: h}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b), "INVALID_TOKEN") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if e.srv.Stats().Refreshes != 0 {
		t.Fatal("renewed without a replay")
	}
	req, _ = http.NewRequest("GET", e.srv.URL+"/crm/v8/Leads", nil)
	req.Header.Set("Authorization", "Zoho-oauthtoken mine")
	resp, err = (&auth.Transport{Handle: h}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 || e.srv.Stats().Refreshes != 0 {
		t.Fatalf("own header: %d", resp.StatusCode)
	}
}

// The renewal after a 401 fails (the refresh token was revoked): the
// caller gets ErrReauthorize.
func TestTransportReauthorize(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	e.srv.RevokeAll()
	_, err := h.Client(nil).Get(e.srv.URL + "/crm/v8/Leads")
	isErr(t, err, auth.ErrReauthorize)
}

// x/oauth2 code uses the authenticator through TokenSource.
func TestOAuth2TokenSource(t *testing.T) {
	e := newEnv(t, nil)
	h, access := e.login()
	ts := h.TokenSource(context.Background())
	tok, err := ts.Token()
	if err != nil || tok.AccessToken != access || tok.RefreshToken != "" || !tok.Expiry.Equal(t0.Add(time.Hour)) {
		t.Fatalf("%+v %v", tok, err)
	}
	c := oauth2.NewClient(context.Background(), ts)
	if code, body := get(t, c, e.srv.URL+"/crm/v8/users?type=CurrentUser"); code != 200 || !strings.Contains(body, email) {
		t.Fatalf("%d %s", code, body)
	}
	e.clk.Advance(2 * time.Hour)
	tok2, err := ts.Token()
	if err != nil || tok2.AccessToken == access {
		t.Fatalf("not renewed: %v", err)
	}
}

// A 401 other than INVALID_TOKEN (a scope mismatch) is handed back as it
// is, without a renewal.
func TestTransportOther401(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	e.srv.Inject(zohotestFault401("/crm/v8/org", `{"code":"OAUTH_SCOPE_MISMATCH","details":{},"message":"invalid oauth scope to access this URL","status":"error"}`))
	code, body := get(t, h.Client(nil), e.srv.URL+"/crm/v8/org")
	if code != 401 || !strings.Contains(body, "OAUTH_SCOPE_MISMATCH") || e.srv.Stats().Refreshes != 0 {
		t.Fatalf("%d %s", code, body)
	}
}

// A closed Authenticator hands out nothing.
func TestClosed(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := h.AccessToken(ctx)
	isErr(t, err, auth.ErrClosed)
	_, err = e.a.AccessToken(ctx, e.grantToken())
	isErr(t, err, auth.ErrClosed)
}

// A token past its expiry is renewed before the request goes out: even a
// request that cannot be replayed after a 401 succeeds.
func TestTransportRenewsAnExpiredTokenFirst(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	e.clk.Advance(61 * time.Minute)
	req, _ := http.NewRequest("POST", e.srv.URL+"/crm/v8/Leads", io.NopCloser(strings.NewReader(`{"data":[{"Last_Name":"x"}]}`)))
	resp, err := (&auth.Transport{Handle: h}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || e.srv.Stats().Refreshes != 1 {
		t.Fatalf("%d %s, %d refreshes: the expired token was sent", resp.StatusCode, b, e.srv.Stats().Refreshes)
	}
}
