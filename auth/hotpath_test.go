package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/memory"
)

// A full login, use, background refresh, expiry refresh, forced refresh,
// failure and revoke cycle logs at debug level without any secret.
func TestLogsHoldNoSecret(t *testing.T) {
	e := newEnv(t, func(o *auth.Options) { o.Margin = 10 * time.Minute })
	grantTok := e.grantToken()
	h := e.a.For(grantTok)
	secrets := []string{clientSecret, grantTok.GrantToken}
	collect := func() {
		if tok, err := h.Token(ctx); err == nil {
			secrets = append(secrets, tok.AccessToken, tok.RefreshToken)
		}
	}
	collect()
	e.clk.Advance(55 * time.Minute) // stale: background refresh
	collect()
	e.a.WaitIdle()
	collect()
	e.clk.Advance(2 * time.Hour) // expired: blocking refresh
	collect()
	if _, err := h.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	collect()
	e.srv.ExpireAccessTokens()
	resp, err := h.Client(nil).Get(e.srv.URL + "/crm/v8/org")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	collect()
	e.srv.RevokeAll()
	e.clk.Advance(2 * time.Hour)
	_, err = h.AccessToken(ctx)
	isErr(t, err, auth.ErrReauthorize)
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "refreshing access token") || !strings.Contains(logs, "exchanging grant code") || !strings.Contains(logs, "refresh failed") {
		t.Fatalf("the cycle was not logged:\n%s", logs)
	}
	if len(secrets) < 8 {
		t.Fatalf("only %d secrets collected", len(secrets))
	}
	assertNoSecret(t, "log", logs, secrets...)
	assertNoSecret(t, "error", err.Error(), secrets...)
}

// validHandle returns a handle whose token is valid for a day, over a memory
// store, without any server.
func validHandle(tb testing.TB) (*auth.Handle, *auth.Authenticator) {
	tb.Helper()
	st := memory.New()
	tok := &zohoauth.Token{ClientID: "c", ClientSecret: "s", RefreshToken: "r", AccessToken: "1000.valid",
		Expiry: time.Now().Add(24 * time.Hour), APIDomain: "https://www.zohoapis.com", UserName: "u@example.com:1"}
	if err := st.SaveToken(context.Background(), tok); err != nil {
		tb.Fatal(err)
	}
	a := mustNew(st, auth.Options{Clock: clock.System()})
	h := a.For(&zohoauth.Token{ID: tok.ID})
	if got, err := h.AccessToken(context.Background()); err != nil || got != "1000.valid" {
		tb.Fatalf("%q %v", got, err)
	}
	return h, a
}

// The valid-token path allocates nothing.
func TestHotPathAllocatesNothing(t *testing.T) {
	h, a := validHandle(t)
	defer a.Close()
	c := context.Background()
	if n := testing.AllocsPerRun(1000, func() { _, _ = h.AccessToken(c) }); n != 0 {
		t.Fatalf("%v allocs per call", n)
	}
}

// BenchmarkValidToken compares the valid-token path with the one of
// golang.org/x/oauth2's ReuseTokenSource, in the same run.
func BenchmarkValidToken(b *testing.B) {
	h, a := validHandle(b)
	defer a.Close()
	c := context.Background()
	ts := oauth2.ReuseTokenSource(&oauth2.Token{AccessToken: "1000.valid", Expiry: time.Now().Add(24 * time.Hour)}, nil)
	b.Run("zohoauth", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.AccessToken(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("x-oauth2-ReuseTokenSource", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("zohoauth-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := h.AccessToken(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("x-oauth2-ReuseTokenSource-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := ts.Token(); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
