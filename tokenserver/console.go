package tokenserver

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

//go:embed console.html
var consoleFS embed.FS

var consoleTemplates = template.Must(template.ParseFS(consoleFS, "console.html"))

// Cookies of the console.
const (
	sessionCookie = "zohoauth_console"
	loginCookie   = "zohoauth_login" // the CSRF token of the login form
	consolePath   = "/console/"
)

// session is a logged-in console user: an admin key, by id.
type session struct {
	keyID   string
	csrf    string
	expires time.Time
}

// sessions are the console sessions of this instance, in memory: behind a
// load balancer, the console needs sticky sessions (the API does not).
type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the program instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// consoleRoutes registers the console's pages with handle (which counts
// their requests).
func (s *Server) consoleRoutes(handle func(pattern string, h http.Handler)) {
	handle("GET /{$}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, consolePath, http.StatusSeeOther)
	}))
	handle(consolePath, s.consolePage(map[string]func(http.ResponseWriter, *http.Request){
		"GET /console/":              s.consoleHome,
		"POST /console/login":        s.consoleLogin,
		"POST /console/logout":       s.consoleLogout,
		"GET /console/revoke":        s.consoleConfirmRevoke,
		"POST /console/revoke":       s.consoleRevoke,
		"POST /console/keys/revoke":  s.consoleRevokeKey,
		"POST /console/keys/create":  s.consoleCreateKey,
		"GET /console/keys/new-form": s.consoleNewKeyForm,
	}))
}

// consolePage dispatches the console's pages and sets their security
// headers: no caching, no framing, no script at all, forms post to the
// console only.
func (s *Server) consolePage(pages map[string]func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		page := pages[r.Method+" "+r.URL.Path]
		if page == nil {
			for k := range pages {
				if strings.HasSuffix(k, " "+r.URL.Path) {
					h.Set("Allow", strings.Fields(k)[0])
					http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
					return
				}
			}
			http.NotFound(w, r)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		page(w, r)
	}
}

func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := consoleTemplates.ExecuteTemplate(w, name, data); err != nil {
		s.log.Error("zohoauth serve: console template", "template", name, "err", err)
	}
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/console", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.TLS(),
	})
}

// current returns the request's session and its admin key, or nil when
// there is none, it expired, or its key was revoked or lost its admin flag.
func (s *Server) current(r *http.Request) (*session, *Key) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	now := s.clock.Now()
	s.sessions.mu.Lock()
	sess := s.sessions.m[c.Value]
	if sess != nil && !now.Before(sess.expires) {
		delete(s.sessions.m, c.Value)
		sess = nil
	}
	s.sessions.mu.Unlock()
	if sess == nil {
		return nil, nil
	}
	k, err := s.keys.record(sess.keyID)
	if err != nil || k.usable(now) != nil || !k.Admin {
		s.sessions.mu.Lock()
		delete(s.sessions.m, c.Value)
		s.sessions.mu.Unlock()
		return nil, nil
	}
	return sess, k
}

// checkCSRF reports whether the form's csrf field is the session's token.
func checkCSRF(r *http.Request, want string) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

type loginPage struct {
	CSRF  string
	Error string
}

func (s *Server) showLogin(w http.ResponseWriter, status int, msg string) {
	token := randomToken()
	s.setCookie(w, loginCookie, token, 600)
	s.render(w, status, "login", loginPage{CSRF: token, Error: msg})
}

func (s *Server) consoleLogin(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	if err != nil || !checkCSRF(r, c.Value) {
		s.deny(r, "", http.StatusForbidden, ReasonCSRF, "console login without CSRF token")
		s.showLogin(w, http.StatusForbidden, "The form expired; try again.")
		return
	}
	k, err := s.keys.Authenticate(strings.TrimSpace(r.PostFormValue("key")), s.clock.Now())
	if err != nil {
		id := ""
		if k != nil {
			id = k.ID
		}
		reason := ReasonInvalidKey
		switch {
		case errors.Is(err, ErrKeyRevoked):
			reason = ReasonRevokedKey
		case errors.Is(err, ErrKeyExpired):
			reason = ReasonExpiredKey
		}
		s.deny(r, id, http.StatusUnauthorized, reason, "console login: "+err.Error())
		s.showLogin(w, http.StatusUnauthorized, "This key is not valid.")
		return
	}
	if !k.Admin {
		s.deny(r, k.ID, http.StatusForbidden, ReasonNotAdmin, "console login without admin flag")
		s.showLogin(w, http.StatusForbidden, "This key is not an admin key.")
		return
	}
	id := randomToken()
	now := s.clock.Now()
	s.sessions.mu.Lock()
	for sid, old := range s.sessions.m {
		if !now.Before(old.expires) {
			delete(s.sessions.m, sid)
		}
	}
	s.sessions.m[id] = &session{keyID: k.ID, csrf: randomToken(), expires: s.clock.Now().Add(s.cfg.SessionTTL)}
	s.sessions.mu.Unlock()
	s.setCookie(w, loginCookie, "", -1)
	s.setCookie(w, sessionCookie, id, int(s.cfg.SessionTTL/time.Second))
	s.log.Info("zohoauth serve: console login", "key_id", k.ID, "remote", r.RemoteAddr)
	http.Redirect(w, r, consolePath, http.StatusSeeOther)
}

func (s *Server) consoleLogout(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.current(r)
	if sess != nil && checkCSRF(r, sess.csrf) {
		c, _ := r.Cookie(sessionCookie)
		s.sessions.mu.Lock()
		delete(s.sessions.m, c.Value)
		s.sessions.mu.Unlock()
	}
	s.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, consolePath, http.StatusSeeOther)
}

// tokenRow is one token in the console.
type tokenRow struct {
	ID, Email, UserName, ClientID, APIDomain string
	Expiry                                   string
	TimeLeft                                 string
	Expired                                  bool
	HasRefresh                               bool
	// From the store's lifecycle record, when it keeps them.
	LastRefresh string // "12m ago", "never" (none recorded)
	Failures    string // "", or "3 (2 days), last: timeout", "exhausted …"
	Failing     bool
}

// setLifecycle fills the row's lifecycle columns from l.
func (row *tokenRow) setLifecycle(l zohoauth.Lifecycle, now time.Time) {
	row.LastRefresh = "never"
	if !l.LastRefreshAt.IsZero() {
		row.LastRefresh = ago(now.Sub(l.LastRefreshAt))
	}
	switch {
	case !l.ExhaustedAt.IsZero():
		row.Failing = true
		row.Failures = fmt.Sprintf("exhausted %s, after %s over %s", ago(now.Sub(l.ExhaustedAt)), plural(l.Failures, "failure"), plural(l.FailureDays, "day"))
	case l.Failures > 0:
		row.Failing = true
		row.Failures = fmt.Sprintf("%d (%s)", l.Failures, plural(l.FailureDays, "day"))
		if !l.LastFailureAt.IsZero() {
			row.Failures += ", last " + ago(now.Sub(l.LastFailureAt))
		}
		if l.LastError != "" {
			row.Failures += ": " + l.LastError
		}
	}
}

// plural renders "1 day", "2 days".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// ago renders a past duration for the console: "12m ago".
func ago(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %dm ago", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

// lifecycles reads every lifecycle record of lk by token id, a page at a
// time.
func lifecycles(ctx context.Context, lk zohoauth.LifecycleKeeper) (map[string]zohoauth.Lifecycle, error) {
	const page = 1000
	m := map[string]zohoauth.Lifecycle{}
	after := ""
	for {
		ls, err := lk.LifecyclesAfter(ctx, after, page)
		if err != nil {
			return m, err
		}
		for _, l := range ls {
			m[l.ID] = l
		}
		if len(ls) < page {
			return m, nil
		}
		after = ls[len(ls)-1].ID
	}
}

type keyRow struct {
	*Key
	Status string
}

type homePage struct {
	CSRF      string
	KeyID     string
	Tokens    []tokenRow
	Keys      []keyRow
	Message   string
	Error     string
	Lifecycle bool   // the store keeps lifecycle records
	Chart     *chart // nil without Config.Activity
}

func (s *Server) consoleHome(w http.ResponseWriter, r *http.Request) {
	sess, k := s.current(r)
	if sess == nil {
		s.showLogin(w, http.StatusOK, "")
		return
	}
	ctx := r.Context()
	page := homePage{CSRF: sess.csrf, KeyID: k.ID, Message: r.URL.Query().Get("msg")}
	all, err := s.store.Tokens(ctx)
	if err != nil {
		s.log.Error("zohoauth serve: console", "err", err)
		page.Error = "The token store failed."
	}
	now := s.clock.Now()
	var lives map[string]zohoauth.Lifecycle
	if lk, ok := s.store.(zohoauth.LifecycleKeeper); ok {
		page.Lifecycle = true
		if lives, err = lifecycles(ctx, lk); err != nil {
			s.log.Error("zohoauth serve: console lifecycles", "err", err)
			page.Error = "The token store's lifecycle records cannot be read."
		}
	}
	if s.cfg.Activity != nil {
		page.Chart = newChart(s.cfg.Activity.Bars(now))
	}
	for _, t := range all {
		row := tokenRow{ID: t.ID, Email: t.Email(), UserName: t.UserName, ClientID: t.ClientID, APIDomain: t.APIDomain, HasRefresh: t.RefreshToken != ""}
		if page.Lifecycle {
			row.setLifecycle(lives[t.ID], now)
		}
		if !t.Expiry.IsZero() {
			row.Expiry = t.Expiry.UTC().Format(time.RFC3339)
			left := t.Expiry.Sub(now).Round(time.Second)
			row.Expired = left <= 0
			if row.Expired {
				row.TimeLeft = "expired " + (-left).String() + " ago"
			} else {
				row.TimeLeft = left.String()
			}
		}
		page.Tokens = append(page.Tokens, row)
	}
	slices.SortStableFunc(page.Tokens, func(a, b tokenRow) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Email), strings.ToLower(b.Email)), strings.Compare(a.ClientID, b.ClientID), storekit.CompareIDs(a.ID, b.ID))
	})
	keys, err := s.keys.ListKeys(ctx)
	if err != nil {
		page.Error = "The API keys cannot be read."
	}
	for _, key := range keys {
		st := "active"
		if e := key.usable(now); e == ErrKeyRevoked {
			st = "revoked"
		} else if e == ErrKeyExpired {
			st = "expired"
		}
		page.Keys = append(page.Keys, keyRow{Key: key, Status: st})
	}
	s.render(w, http.StatusOK, "home", page)
}

type confirmPage struct {
	CSRF  string
	Token tokenRow
}

func (s *Server) consoleConfirmRevoke(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.current(r)
	if sess == nil {
		http.Redirect(w, r, consolePath, http.StatusSeeOther)
		return
	}
	id := r.URL.Query().Get("id")
	if !storekit.ValidID(id) {
		http.Redirect(w, r, consolePath+"?msg="+url.QueryEscape("No such token."), http.StatusSeeOther)
		return
	}
	t, err := s.store.FindTokenByID(r.Context(), id)
	if err != nil {
		http.Redirect(w, r, consolePath+"?msg="+url.QueryEscape("No token "+id+"."), http.StatusSeeOther)
		return
	}
	s.render(w, http.StatusOK, "confirm", confirmPage{CSRF: sess.csrf, Token: tokenRow{ID: t.ID, Email: t.Email(), UserName: t.UserName, ClientID: t.ClientID}})
}

// postAllowed checks the session and the CSRF token of a console form, and
// answers when they fail.
func (s *Server) postAllowed(w http.ResponseWriter, r *http.Request) (*Key, bool) {
	sess, k := s.current(r)
	if sess == nil {
		s.deny(r, "", http.StatusUnauthorized, ReasonNoSession, "console form without session")
		http.Redirect(w, r, consolePath, http.StatusSeeOther)
		return nil, false
	}
	if !checkCSRF(r, sess.csrf) {
		s.deny(r, k.ID, http.StatusForbidden, ReasonCSRF, "console form with a bad CSRF token")
		http.Error(w, "bad or missing CSRF token", http.StatusForbidden)
		return nil, false
	}
	return k, true
}

func (s *Server) consoleRevoke(w http.ResponseWriter, r *http.Request) {
	k, ok := s.postAllowed(w, r)
	if !ok {
		return
	}
	id := r.PostFormValue("id")
	msg := "Token " + id + " revoked."
	res, e := s.revokeTokens(r.Context(), k, revokeRequest{ID: id})
	switch {
	case e != nil:
		msg = "Not revoked: " + e.Message
	case len(res.Failed) > 0:
		msg = "Not revoked: " + res.Failed[0].Error
	}
	http.Redirect(w, r, consolePath+"?msg="+url.QueryEscape(msg), http.StatusSeeOther)
}

func (s *Server) consoleRevokeKey(w http.ResponseWriter, r *http.Request) {
	k, ok := s.postAllowed(w, r)
	if !ok {
		return
	}
	id := r.PostFormValue("key_id")
	msg := "API key " + id + " revoked."
	if err := s.keys.RevokeKey(r.Context(), id, s.clock.Now()); err != nil {
		msg = "Not revoked: " + err.Error()
	} else {
		s.log.Info("zohoauth serve: API key revoked in the console", "key_id", id, "by", k.ID)
	}
	http.Redirect(w, r, consolePath+"?msg="+url.QueryEscape(msg), http.StatusSeeOther)
}

type newKeyPage struct {
	CSRF string
	Key  string
	Rec  *Key
}

func (s *Server) consoleNewKeyForm(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.current(r)
	if sess == nil {
		http.Redirect(w, r, consolePath, http.StatusSeeOther)
		return
	}
	s.render(w, http.StatusOK, "newkey", newKeyPage{CSRF: sess.csrf})
}

func (s *Server) consoleCreateKey(w http.ResponseWriter, r *http.Request) {
	k, ok := s.postAllowed(w, r)
	if !ok {
		return
	}
	spec := KeySpec{Name: strings.TrimSpace(r.PostFormValue("name")), Scope: Scope{
		Users:   splitList(r.PostFormValue("users")),
		Clients: splitList(r.PostFormValue("clients")),
		Secrets: r.PostFormValue("secrets") == "on",
		Admin:   r.PostFormValue("admin") == "on",
		Metrics: r.PostFormValue("metrics") == "on",
	}}
	key, rec, err := s.keys.CreateKey(context.WithoutCancel(r.Context()), spec, s.clock.Now())
	if err != nil {
		s.log.Error("zohoauth serve: console key creation", "err", err)
		http.Redirect(w, r, consolePath+"?msg="+url.QueryEscape("The key was not created."), http.StatusSeeOther)
		return
	}
	s.log.Info("zohoauth serve: API key created in the console", "key_id", rec.ID, "by", k.ID)
	sess, _ := s.current(r)
	s.render(w, http.StatusOK, "newkey", newKeyPage{CSRF: sess.csrf, Key: key, Rec: rec})
}

// splitList splits a comma- or space-separated list.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}
