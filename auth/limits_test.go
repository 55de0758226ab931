package auth_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/zohotest"
)

// saveLog is a memory store that notes, at each save, how many revokes the
// emulator had answered.
type saveLog struct {
	*memory.Store
	revokes func() int
	mu      sync.Mutex
	at      []int
}

func (s *saveLog) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	s.mu.Lock()
	s.at = append(s.at, s.revokes())
	s.mu.Unlock()
	return s.Store.SaveToken(ctx, t)
}

func (s *saveLog) last() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at[len(s.at)-1]
}

// Every kind of login of a user already stored (a grant code through For,
// Login, LoginToken) revokes the refresh token it replaces, once the new
// one is saved: the user keeps one live refresh token at Zoho instead of
// one per login, towards Zoho's limit of 20. Before, each login left the
// old one live.
func TestLoginRevokesReplacedRefreshToken(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(o *auth.Options) { o.OnEvent = rec.hook })
	sl := &saveLog{Store: memory.New(), revokes: func() int { return e.srv.Stats().Revokes }}
	_ = e.a.Close()
	e.store = sl
	e.a = mustNew(sl, e.opts)
	t.Cleanup(func() { _ = e.a.Close() })

	h, _ := e.login()
	id := h.ID()
	var olds []*zohoauth.Token
	olds = append(olds, e.stored(id))
	check := func(how string, wantID string) {
		t.Helper()
		if wantID != id {
			t.Fatalf("%s: saved as token %s, want %s", how, wantID, id)
		}
		if n := e.srv.RefreshTokens(clientID, email); n != 1 {
			t.Fatalf("%s: %d live refresh tokens at Zoho, want 1", how, n)
		}
		old := olds[len(olds)-1]
		if _, err := e.opts.Accounts.Refresh(ctx, old); !errors.Is(err, accounts.ErrInvalidCode) {
			t.Fatalf("%s: the replaced refresh token still refreshes: %v", how, err)
		}
		if got, want := sl.last(), e.srv.Stats().Revokes-1; got != want {
			t.Fatalf("%s: the new token was saved after %d revokes, want %d (before the revoke)", how, got, want)
		}
		olds = append(olds, e.stored(id))
	}

	h2, err := e.a.Login(ctx, e.grantToken(), "")
	if err != nil {
		t.Fatal(err)
	}
	check("Login", h2.ID())

	devTok, err := e.opts.Accounts.Exchange(ctx, e.grantToken(), "")
	if err != nil {
		t.Fatal(err)
	}
	h3, err := e.a.LoginToken(ctx, devTok)
	if err != nil {
		t.Fatal(err)
	}
	check("LoginToken", h3.ID())

	h4 := e.a.For(e.grantToken())
	if _, err := h4.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	check("grant exchange", h4.ID())

	// The current token works; the others of the handle see it too.
	if _, err := h.Refresh(ctx); err != nil {
		t.Fatalf("the kept refresh token: %v", err)
	}
	e.a.FlushEvents()
	replaced := rec.of(auth.EventLoginReplaced)
	if len(replaced) != 3 {
		t.Fatalf("%d login_replaced events, want 3: %v", len(replaced), rec.kinds())
	}
	for i, ev := range replaced {
		if ev.Err != nil || ev.OldRefresh != zohoauth.Fingerprint(olds[i].RefreshToken) || ev.Refresh != zohoauth.Fingerprint(olds[i+1].RefreshToken) || ev.OldTokenID != id {
			t.Errorf("login_replaced %d: %v", i, ev)
		}
	}
	logins := rec.of(auth.EventLogin)
	if len(logins) != 4 || logins[3].Logins != 4 || logins[0].User != email+":"+zgid {
		t.Errorf("login events %v", logins)
	}
	if n := len(rec.of(auth.EventRevoked)); n != 3 {
		t.Errorf("%d revoked events, want 3", n)
	}
}

// A revoke that fails does not fail the login: the new token is saved and
// handed out, the failure is an event and a warning in the log.
func TestLoginRevokeFailureReported(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(o *auth.Options) { o.OnEvent = rec.hook })
	h, _ := e.login()
	old := e.stored(h.ID())
	e.srv.Inject(zohotest.Fault{Path: "/oauth/v2/token/revoke", Status: 500, Body: []byte(`{"status":"failure"}`)})
	h2, err := e.a.Login(ctx, e.grantToken(), "")
	if err != nil {
		t.Fatalf("a failed revoke failed the login: %v", err)
	}
	if s := e.stored(h2.ID()); s.RefreshToken == old.RefreshToken || s.RefreshToken == "" {
		t.Fatal("the new refresh token was not saved")
	}
	if _, err := h2.AccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	e.a.FlushEvents()
	ev := rec.of(auth.EventLoginReplaced)
	if len(ev) != 1 || ev[0].Err == nil || ev[0].OldRefresh != zohoauth.Fingerprint(old.RefreshToken) {
		t.Fatalf("login_replaced events %v", ev)
	}
	if len(rec.of(auth.EventRevoked)) != 0 {
		t.Fatal("a revoked event for a failed revoke")
	}
	if !strings.Contains(e.logs.String(), "which was not revoked") {
		t.Fatalf("failed revoke not logged:\n%s", e.logs.String())
	}
	if n := e.srv.RefreshTokens(clientID, email); n != 2 {
		t.Fatalf("%d live refresh tokens, want 2 (the old one was not revoked)", n)
	}
}

// rowPerLogin is a store that keys its rows by id only, as a store another
// program writes may: its look-up by user name finds nothing and a save
// without an id adds a row, so each login of the same user adds a row.
type rowPerLogin struct {
	mu   sync.Mutex
	rows map[string]*zohoauth.Token
	n    int
}

func (s *rowPerLogin) FindToken(_ context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rows {
		if (t.RefreshToken != "" && r.RefreshToken == t.RefreshToken) || (t.AccessToken != "" && r.AccessToken == t.AccessToken) {
			return r.Clone(), nil
		}
	}
	return nil, storekit.StoreError("not found", zohoauth.ErrNotFound)
}

func (s *rowPerLogin) FindTokenByID(_ context.Context, id string) (*zohoauth.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.rows[id]; r != nil {
		return r.Clone(), nil
	}
	return nil, storekit.StoreError("not found", zohoauth.ErrNotFound)
}

func (s *rowPerLogin) SaveToken(_ context.Context, t *zohoauth.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rows == nil {
		s.rows = map[string]*zohoauth.Token{}
	}
	if t.ID == "" {
		s.n++
		t.ID = strconv.Itoa(s.n)
	}
	s.rows[t.ID] = t.Clone()
	return nil
}

func (s *rowPerLogin) DeleteToken(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.rows, id)
	return nil
}

func (s *rowPerLogin) Tokens(context.Context) ([]*zohoauth.Token, error) { return nil, nil }
func (s *rowPerLogin) DeleteTokens(context.Context) error                { return nil }

// The 21st login of a user for a client makes Zoho delete the oldest
// refresh token; while that one is still stored, the login warns (event and
// log) and names the token that no longer refreshes.
func TestLoginPastRefreshTokenLimitWarns(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(o *auth.Options) { o.OnEvent = rec.hook })
	_ = e.a.Close()
	e.store = &rowPerLogin{}
	e.a = mustNew(e.store, e.opts)
	t.Cleanup(func() { _ = e.a.Close() })
	var ids []string
	for i := range auth.MaxRefreshTokens + 1 {
		h, err := e.a.Login(ctx, e.grantToken(), "")
		if err != nil {
			t.Fatalf("login %d: %v", i+1, err)
		}
		ids = append(ids, h.ID())
		e.clk.Advance(time.Minute) // Zoho's grant-code limit
		if i < auth.MaxRefreshTokens {
			e.a.FlushEvents()
			if ev := rec.of(auth.EventLoginLimit); len(ev) != 0 {
				t.Fatalf("login %d warned: %v", i+1, ev)
			}
		}
	}
	e.a.FlushEvents()
	ev := rec.of(auth.EventLoginLimit)
	if len(ev) != 1 || ev[0].OldTokenID != ids[0] || ev[0].TokenID != ids[len(ids)-1] || ev[0].Logins != auth.MaxRefreshTokens+1 {
		t.Fatalf("login_limit events %v, want one naming token %s", ev, ids[0])
	}
	if !strings.Contains(e.logs.String(), "limit of refresh tokens per user and client") {
		t.Fatal("not logged")
	}
	// The warning is true: Zoho deleted that token.
	_, err := e.a.For(&zohoauth.Token{ID: ids[0]}).Refresh(ctx)
	isErr(t, err, auth.ErrReauthorize)
	if _, err := e.a.For(&zohoauth.Token{ID: ids[1]}).Refresh(ctx); err != nil {
		t.Fatalf("the second oldest: %v", err)
	}
}
