package zohotest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Zoho's limits, as Zoho Accounts applies them.
const (
	// LimitWindow is the window of Zoho's rate limits.
	LimitWindow = 10 * time.Minute
	// MaxGrantsPerWindow is how many grant codes one client may get per window.
	MaxGrantsPerWindow = 10
	// MaxRefreshesPerWindow is how many access tokens one refresh token may
	// mint per window; later refreshes in the same window are denied.
	MaxRefreshesPerWindow = 10
	// MaxActiveAccessTokens is how many live access tokens one refresh token
	// may have; a new one beyond it invalidates the oldest.
	MaxActiveAccessTokens = 15
	// MaxRefreshTokens is how many refresh tokens one user may hold for one
	// client; a new one beyond it deletes the oldest and its access tokens.
	MaxRefreshTokens = 20
)

// Errors of IssueGrant.
var (
	// ErrUnknownClient reports a client id that was not added.
	ErrUnknownClient = errors.New("zohotest: unknown client")
	// ErrUnknownUser reports an email that was not added, or no user at all.
	ErrUnknownUser = errors.New("zohotest: unknown user")
	// ErrThrottled reports Zoho's grant-code limit (MaxGrantsPerWindow).
	ErrThrottled = errors.New("zohotest: too many grant codes for this client in the window")
)

// Client is an OAuth client registered with the emulator, as one made in
// Zoho's API console. A self client has no RedirectURIs.
type Client struct {
	ID, Secret   string
	RedirectURIs []string
}

// String describes the client without its secret.
func (c Client) String() string { return "zohotest.Client{ID:" + c.ID + "}" }

// GoString describes the client without its secret.
func (c Client) GoString() string { return c.String() }

// User is a Zoho user and the CRM org it belongs to. Empty ids are filled in
// with generated numbers by AddUser.
type User struct {
	Email  string
	ZGID   string // the org's zgid (user signature is "email:zgid")
	OrgID  string // the org's id
	UserID string // the CRM user id (also used as zuid)
	// Name is the user's full name; derived from Email when empty.
	Name string
	// Location is the data center of the user's account ("eu", …); ""
	// means the server's (Options.Location). A device login this user
	// approves is answered other_dc with this location by any other data
	// center (see Transport).
	Location string
}

// Stats counts what the server has seen since it started (or since
// ResetStats).
type Stats struct {
	Requests            int // every request, any path
	TokenRequests       int // POST /oauth/v2/token, any outcome
	GrantExchanges      int // successful authorization_code exchanges
	Refreshes           int // successful refresh_token grants
	Revokes             int // successful revokes
	Throttled           int // "Access Denied" answers (refresh and grant-code limits)
	Errors              int // error answers of the accounts endpoints (token, revoke, consent), Throttled included
	GrantsIssued        int // grant codes made by IssueGrant or the consent page
	ConsentPages        int // consent pages shown
	Consents            int // consents given (approve clicks and auto-approvals)
	DeviceCodes         int // device codes issued (POST /oauth/v3/device/code)
	DevicePolls         int // POST /oauth/v3/device/token, any outcome
	SlowDowns           int // slow_down answers to polls that came too fast
	CRMRequests         int // requests to /crm/…, any outcome
	Unauthorized        int // CRM answers 401 (bad, expired, revoked or missing token; scope mismatch)
	FaultsInjected      int // requests answered by an injected fault
	AccessTokensIssued  int
	RefreshTokensIssued int
	// AccessTokensEvicted counts access tokens dropped by the per-refresh-token
	// limit; RefreshTokensEvicted refresh tokens dropped by the per-user limit.
	AccessTokensEvicted  int
	RefreshTokensEvicted int
	// ActiveAccessTokens and ActiveRefreshTokens are the live tokens now.
	ActiveAccessTokens  int
	ActiveRefreshTokens int
	// Calls counts requests by "METHOD /path".
	Calls map[string]int
}

type grant struct {
	clientID, email string
	scopes          []string
	redirectURI     string // "" for self-client codes
	refresh         bool   // the exchange returns a refresh token
	expires         time.Time
}

type refreshToken struct {
	clientID, email string
	scopes          []string
	windowStart     time.Time
	windowCount     int
	access          []string // live access tokens, oldest first
}

type accessToken struct {
	refresh         string // "" when issued without a refresh token
	clientID, email string
	scopes          []string
	expires         time.Time
}

type userClient struct{ email, clientID string }

type state struct {
	clients   map[string]Client
	users     []User
	byEmail   map[string]int
	grants    map[string]*grant
	grantLog  map[string][]time.Time // client id → issue times in the window
	refresh   map[string]*refreshToken
	byUser    map[userClient][]string // refresh tokens, oldest first
	access    map[string]*accessToken
	consented map[userClient]bool
	leads     map[string][]map[string]any // org id → records
	cursors   map[string]pageCursor       // Get Records page tokens
	pending   map[string]consentRequest
	devices   deviceState
	faults    []*faultEntry
	stats     Stats
	nextID    int64
}

func newState() state {
	return state{
		clients:   map[string]Client{},
		byEmail:   map[string]int{},
		grants:    map[string]*grant{},
		grantLog:  map[string][]time.Time{},
		refresh:   map[string]*refreshToken{},
		byUser:    map[userClient][]string{},
		access:    map[string]*accessToken{},
		consented: map[userClient]bool{},
		leads:     map[string][]map[string]any{},
		pending:   map[string]consentRequest{},
		stats:     Stats{Calls: map[string]int{}},
		nextID:    5725767000000400000,
	}
}

// newToken returns a random token shaped like Zoho's: "1000.<hex>.<hex>".
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "1000." + hex.EncodeToString(b[:16]) + "." + hex.EncodeToString(b[16:])
}

// id returns a new numeric id like Zoho's record ids. Callers hold s.mu.
func (st *state) id() string {
	st.nextID++
	return strconv.FormatInt(st.nextID, 10)
}

// AddClient registers (or replaces) an OAuth client.
func (s *Server) AddClient(c Client) {
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	s.mu.Lock()
	s.state.clients[c.ID] = c
	s.mu.Unlock()
}

// RemoveClient deletes a client with its grant codes, refresh tokens and
// access tokens, as deleting a client in Zoho's API console does.
func (s *Server) RemoveClient(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.state
	delete(st.clients, id)
	delete(st.grantLog, id)
	maps.DeleteFunc(st.grants, func(_ string, g *grant) bool { return g.clientID == id })
	maps.DeleteFunc(st.refresh, func(_ string, rt *refreshToken) bool { return rt.clientID == id })
	maps.DeleteFunc(st.access, func(_ string, at *accessToken) bool { return at.clientID == id })
	maps.DeleteFunc(st.byUser, func(k userClient, _ []string) bool { return k.clientID == id })
	maps.DeleteFunc(st.consented, func(k userClient, _ bool) bool { return k.clientID == id })
}

// AddUser adds (or replaces, by email) a user. The first user added is the
// one who consents on the consent page by default and who gets grant codes
// from IssueGrant with an empty email. Empty ZGID, OrgID and UserID are
// generated; users sharing an OrgID share an org.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ZGID == "" {
		u.ZGID = s.state.id()
	}
	if u.OrgID == "" {
		u.OrgID = s.state.id()
	}
	if u.UserID == "" {
		u.UserID = s.state.id()
	}
	if u.Name == "" {
		u.Name, _, _ = strings.Cut(u.Email, "@")
	}
	if i, ok := s.state.byEmail[strings.ToLower(u.Email)]; ok {
		s.state.users[i] = u
		return
	}
	s.state.byEmail[strings.ToLower(u.Email)] = len(s.state.users)
	s.state.users = append(s.state.users, u)
}

// user finds a user by email; "" is the first user. Callers hold s.mu.
func (st *state) user(email string) (User, bool) {
	if len(st.users) == 0 {
		return User{}, false
	}
	if email == "" {
		return st.users[0], true
	}
	i, ok := st.byEmail[strings.ToLower(email)]
	if !ok {
		return User{}, false
	}
	return st.users[i], true
}

// Users returns the users, in the order they were added (with generated ids
// filled in).
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.state.users)
}

// IssueGrant makes a self-client grant code for the client and user (""
// means the first user), as "Generate Code" in Zoho's API console does. The
// code is single-use, lives Options.GrantTTL, needs no redirect_uri and its
// exchange returns a refresh token. Errors wrap ErrUnknownClient,
// ErrUnknownUser or ErrThrottled.
func (s *Server) IssueGrant(clientID, email string, scopes ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.state.clients[clientID]; !ok {
		return "", fmt.Errorf("issue grant for client %q: %w", clientID, ErrUnknownClient)
	}
	u, ok := s.state.user(email)
	if !ok {
		return "", fmt.Errorf("issue grant for user %q: %w", email, ErrUnknownUser)
	}
	return s.issueGrantLocked(&grant{clientID: clientID, email: u.Email, scopes: splitScopes(strings.Join(scopes, ",")), refresh: true})
}

// issueGrantLocked applies the grant-code limit and stores g. Callers hold s.mu.
func (s *Server) issueGrantLocked(g *grant) (string, error) {
	now := s.now()
	st := &s.state
	log := st.grantLog[g.clientID]
	log = slices.DeleteFunc(log, func(t time.Time) bool { return !now.Before(t.Add(LimitWindow)) })
	if len(log) >= MaxGrantsPerWindow {
		st.grantLog[g.clientID] = log
		st.stats.Throttled++
		return "", fmt.Errorf("issue grant for client %q: %w", g.clientID, ErrThrottled)
	}
	st.grantLog[g.clientID] = append(log, now)
	g.expires = now.Add(s.opts.GrantTTL)
	code := newToken()
	st.grants[code] = g
	st.stats.GrantsIssued++
	st.pruneGrants(now)
	return code, nil
}

// pruneGrants drops expired grant codes so the map does not grow forever.
func (st *state) pruneGrants(now time.Time) {
	if len(st.grants) < 1024 {
		return
	}
	maps.DeleteFunc(st.grants, func(_ string, g *grant) bool { return !now.Before(g.expires) })
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state.stats
	st.Calls = maps.Clone(st.Calls)
	now := s.now()
	for _, a := range s.state.access {
		if now.Before(a.expires) {
			st.ActiveAccessTokens++
		}
	}
	st.ActiveRefreshTokens = len(s.state.refresh)
	return st
}

// ResetStats sets every counter to zero (the live-token gauges stay true).
func (s *Server) ResetStats() {
	s.mu.Lock()
	s.state.stats = Stats{Calls: map[string]int{}}
	s.mu.Unlock()
}

// ExpireAccessTokens invalidates every access token at once, as if an hour
// had passed; refresh tokens stay valid.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.state.access)
	for _, rt := range s.state.refresh {
		rt.access = nil
	}
}

// RevokeAll revokes every refresh and access token, as a password change with
// "terminate API tokens" does.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.state.access)
	clear(s.state.refresh)
	clear(s.state.byUser)
}

// mintAccess makes a new access token, tied to refresh token rt (may be "")
// and applies the live-access-token limit. Callers hold s.mu.
func (s *Server) mintAccess(now time.Time, rtok string, clientID, email string, scopes []string) string {
	st := &s.state
	if len(st.access) >= 1024 && len(st.access)%1024 == 0 { // a long-running server drops dead tokens now and then
		maps.DeleteFunc(st.access, func(_ string, at *accessToken) bool { return !now.Before(at.expires) })
	}
	tok := newToken()
	st.access[tok] = &accessToken{refresh: rtok, clientID: clientID, email: email, scopes: scopes, expires: now.Add(s.opts.AccessTokenTTL)}
	st.stats.AccessTokensIssued++
	rt := st.refresh[rtok]
	if rt == nil {
		return tok
	}
	rt.access = slices.DeleteFunc(rt.access, func(a string) bool {
		at, ok := st.access[a]
		if ok && !now.Before(at.expires) {
			delete(st.access, a)
			ok = false
		}
		return !ok
	})
	rt.access = append(rt.access, tok)
	for len(rt.access) > MaxActiveAccessTokens {
		delete(st.access, rt.access[0])
		rt.access = rt.access[1:]
		st.stats.AccessTokensEvicted++
	}
	return tok
}

// mintRefresh makes a new refresh token for the user and client and applies
// the per-user limit. Callers hold s.mu.
func (s *Server) mintRefresh(now time.Time, clientID, email string, scopes []string) string {
	st := &s.state
	tok := newToken()
	st.refresh[tok] = &refreshToken{clientID: clientID, email: email, scopes: scopes, windowStart: now}
	st.stats.RefreshTokensIssued++
	k := userClient{strings.ToLower(email), clientID}
	list := slices.DeleteFunc(st.byUser[k], func(r string) bool { return st.refresh[r] == nil })
	list = append(list, tok)
	for len(list) > MaxRefreshTokens {
		st.deleteRefresh(list[0])
		list = list[1:]
		st.stats.RefreshTokensEvicted++
	}
	st.byUser[k] = list
	return tok
}

// RefreshTokens returns how many live refresh tokens the user (by email)
// holds for the client: at most MaxRefreshTokens, as Zoho keeps.
func (s *Server) RefreshTokens(clientID, email string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.state.byUser[userClient{strings.ToLower(email), clientID}] {
		if s.state.refresh[r] != nil {
			n++
		}
	}
	return n
}

// deleteRefresh deletes a refresh token and its access tokens. Callers hold s.mu.
func (st *state) deleteRefresh(tok string) {
	rt := st.refresh[tok]
	if rt == nil {
		return
	}
	for _, a := range rt.access {
		delete(st.access, a)
	}
	delete(st.refresh, tok)
}

// splitScopes splits Zoho's comma-separated scope list (spaces are accepted
// too) and drops empty items.
func splitScopes(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	if len(f) == 0 {
		return nil
	}
	return f
}
