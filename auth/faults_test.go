package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/zohotest"
)

// Each fault of the token endpoint gives a typed error, leaks no goroutine
// (newEnv checks) and leaves the stored token as it was.
func TestFaults(t *testing.T) {
	const path = "/oauth/v2/token"
	for _, tc := range []struct {
		name    string
		fault   func(*env)
		kinds   []error
		sdkCode string
	}{
		{"5xx", func(e *env) {
			e.srv.Inject(zohotest.Fault{Path: path, Status: 503, Body: []byte("<html>unavailable</html>")})
		}, []error{accounts.ErrTransient}, ""},
		{"timeout", func(e *env) {
			e.srv.Inject(zohotest.Fault{Path: path, Delay: 10 * time.Second})
		}, []error{accounts.ErrTransient, context.DeadlineExceeded}, ""},
		{"dropped connection", func(e *env) {
			e.srv.Inject(zohotest.Fault{Path: path, Drop: true})
		}, []error{accounts.ErrTransient}, ""},
		{"throttle", func(e *env) {
			e.srv.Inject(zohotest.Fault{Path: path, Body: []byte(`{"error_description":"` + zohotest.ThrottleDescription + `","error":"Access Denied","status":"failure"}`)})
		}, []error{accounts.ErrThrottled}, zohoauth.CodeInvalidToken},
		{"invalid_code", func(e *env) { e.srv.RevokeAll() }, []error{auth.ErrReauthorize, accounts.ErrInvalidCode}, zohoauth.CodeInvalidToken},
		{"malformed JSON", func(e *env) {
			e.srv.Inject(zohotest.Fault{Path: path, Body: []byte(`{"access_token":"x",`)})
		}, []error{accounts.ErrMalformed}, zohoauth.CodeSaveToken},
		{"10 MiB body", func(e *env) {
			e.srv.Inject(zohotest.Fault{Path: path, Body: []byte(`{"access_token":"`), BodySize: 10 << 20})
		}, []error{accounts.ErrTooLarge}, ""},
		{"invalid_client", func(e *env) {
			e.srv.Inject(zohotest.Fault{Path: path, Body: []byte(`{"error":"invalid_client"}`)})
		}, []error{accounts.ErrInvalidClient}, zohoauth.CodeInvalidToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			h, _ := e.login()
			if tc.name == "timeout" {
				// A new process with a short timeout.
				e.opts.Accounts.Timeout = 300 * time.Millisecond
				e.restart()
				h = e.a.For(&zohoauth.Token{ID: h.ID()})
			}
			e.clk.Advance(2 * time.Hour)
			before := e.stored(h.ID())
			tc.fault(e)
			requests := e.tokenRequests()
			_, err := h.AccessToken(ctx)
			for _, k := range tc.kinds {
				isErr(t, err, k)
			}
			var ze *zohoauth.Error
			if tc.sdkCode != "" && (!errors.As(err, &ze) || ze.Code != tc.sdkCode) {
				t.Fatalf("SDK code: %v", err)
			}
			if after := e.stored(h.ID()); after.String() != before.String() || after.RefreshToken != before.RefreshToken || after.AccessToken != before.AccessToken {
				t.Fatalf("stored token changed: %v -> %v", before, after)
			}
			if e.tokenRequests()-requests != 1 {
				t.Fatalf("%d token requests", e.tokenRequests()-requests)
			}
			// The failure is remembered: an immediate retry sends nothing.
			_, err2 := h.AccessToken(ctx)
			if err2 == nil || e.tokenRequests()-requests != 1 {
				t.Fatalf("retried at once: %v, %d requests", err2, e.tokenRequests()-requests)
			}
			assertNoSecret(t, "error", err.Error(), before.RefreshToken, before.AccessToken, clientSecret)
		})
	}
}

// After the remembered failure's backoff, a transient failure is retried,
// and the retry succeeds.
func TestTransientRetriedAfterBackoff(t *testing.T) {
	e := newEnv(t, nil)
	h, old := e.login()
	e.clk.Advance(2 * time.Hour)
	e.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token", Status: 502})
	if _, err := h.AccessToken(ctx); !auth.Temporary(err) || auth.Permanent(err) {
		t.Fatalf("err %v", err)
	}
	e.clk.Advance(auth.DefaultRetryBackoff)
	got, err := h.AccessToken(ctx)
	if err != nil || got == old {
		t.Fatalf("retry: %v", err)
	}
}

// Zoho's real throttle (10 refreshes per refresh token per 10 minutes):
// the 11th gives ErrThrottled, remembered for ThrottleCooldown.
func TestRealThrottle(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	var err error
	for i := 0; i < 20 && err == nil; i++ {
		_, err = h.Refresh(ctx)
	}
	isErr(t, err, accounts.ErrThrottled)
	n := e.tokenRequests()
	_, err = h.Refresh(ctx)
	isErr(t, err, accounts.ErrThrottled)
	if e.tokenRequests() != n {
		t.Fatal("throttle not remembered")
	}
	e.clk.Advance(11 * time.Minute) // Zoho's window and the cool-down are over
	_, err = h.Refresh(ctx)
	if err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if e.tokenRequests() != n+1 {
		t.Fatalf("requests %d", e.tokenRequests()-n)
	}
}

// invalid_code on refresh: ErrReauthorize, no retry during the cool-down,
// the stored token kept; a new refresh token written to the store by
// another process ends the cool-down at once.
func TestInvalidCodeCooldownAndRecovery(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	id := h.ID()
	e.srv.RevokeAll()
	e.clk.Advance(2 * time.Hour)
	_, err := h.AccessToken(ctx)
	isErr(t, err, auth.ErrReauthorize)
	if !auth.Permanent(err) || auth.Temporary(err) {
		t.Fatal("misclassified")
	}
	n := e.tokenRequests()
	for range 5 {
		_, err = h.AccessToken(ctx)
		isErr(t, err, auth.ErrReauthorize)
	}
	e.clk.Advance(5 * time.Minute)
	_, err = h.AccessToken(ctx)
	isErr(t, err, auth.ErrReauthorize)
	if e.tokenRequests() != n {
		t.Fatalf("%d retries during the cool-down", e.tokenRequests()-n)
	}
	if s := e.stored(id); s.RefreshToken == "" {
		t.Fatal("stored refresh token lost")
	}
	// Another process logs the user in again: the store has a new token.
	a2 := mustNew(e.store, e.opts)
	defer a2.Close()
	if _, err := a2.Login(ctx, e.grantToken(), ""); err != nil {
		t.Fatal(err)
	}
	got, err := h.AccessToken(ctx)
	if err != nil || got != e.stored(id).AccessToken {
		t.Fatalf("after re-login elsewhere: %v", err)
	}
}

// failingStore fails SaveToken while fail is set.
type failingStore struct {
	zohoauth.Store
	fail atomic.Bool
}

var errDiskFull = errors.New("disk full")

func (s *failingStore) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	if s.fail.Load() {
		return storekit.StoreError(storekit.MsgSaveTokenFile, errDiskFull)
	}
	return s.Store.SaveToken(ctx, t)
}

// A failed save is an error (never swallowed), the new token is not handed
// out, and the stored token stays as it was.
func TestSaveFailureIsAnError(t *testing.T) {
	e := newEnv(t, nil)
	fs := &failingStore{Store: e.store}
	e.store = fs
	e.restart()
	h, old := e.login()
	e.clk.Advance(2 * time.Hour)
	fs.fail.Store(true)
	before := e.stored(h.ID())
	_, err := h.AccessToken(ctx)
	isErr(t, err, errDiskFull)
	var ze *zohoauth.Error
	if !errors.As(err, &ze) || ze.Code != zohoauth.CodeSaveToken {
		t.Fatalf("err %v", err)
	}
	if after := e.stored(h.ID()); after.AccessToken != before.AccessToken || after.RefreshToken != before.RefreshToken {
		t.Fatal("stored token changed")
	}
	fs.fail.Store(false)
	e.clk.Advance(auth.DefaultRetryBackoff)
	got, err := h.AccessToken(ctx)
	if err != nil || got == old || e.stored(h.ID()).AccessToken != got {
		t.Fatalf("after the store recovered: %v", err)
	}
}

// A token deleted from the store (by another process) is resolved afresh.
func TestDeletedFromStore(t *testing.T) {
	e := newEnv(t, nil)
	h, _ := e.login()
	if err := e.store.DeleteToken(ctx, h.ID()); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Hour)
	_, err := h.AccessToken(ctx)
	isErr(t, err, zohoauth.ErrNotFound)
	if !strings.Contains(err.Error(), "re-read") {
		t.Fatalf("err %v", err)
	}
	// The handle resolves afresh: by id, the token is not found.
	_, err = e.a.AccessToken(ctx, &zohoauth.Token{ID: h.ID()})
	isErr(t, err, zohoauth.ErrNotFound)
	// A new login of the user works again, through the same handle kind.
	h2, err := e.a.Login(ctx, e.grantToken(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h2.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
}
