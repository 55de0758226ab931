package zohotest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth"
)

// The device flow (Zoho's "OAuth for devices"):
//
//   - POST /oauth/v3/device/code with grant_type=device_request, client_id,
//     scope, and optionally access_type=offline and prompt=consent, answers
//     user_code, device_code, verification_url (GET /oauth/v3/device on the
//     emulator), verification_uri_complete, and interval and expires_in in
//     milliseconds, as Zoho documents them.
//   - GET /oauth/v3/device is the page where the user types the code (the
//     input with id "user_code", prefilled from ?user_code=), picks the
//     signed-in user and clicks Approve (id "approve") or Deny (id "deny");
//     the result page has an element with id "result". The form carries a
//     single-use token and the POST must come from the emulator's own
//     origin, so another site cannot approve a code in the user's browser.
//   - POST /oauth/v3/device/token with grant_type=device_token, client_id,
//     client_secret and code=<device_code> answers, with HTTP 200:
//     authorization_pending until the user acts; slow_down when the poll
//     came less than Options.DeviceInterval after the previous poll of the
//     same code, or less than DeviceSlowDownInterval once a slow_down was
//     answered (every poll counts as the previous one, a refused one too);
//     access_denied after Deny; expired once Options.DeviceCodeTTL has
//     passed; other_dc with user_location when the approving user's
//     Location is not the data center the poll was sent to (see
//     Transport); and the token answer once approved, after which the
//     device code is spent (invalid_code).
//
// Where Zoho's behaviour is not documented the emulator picks one: a
// missing or unknown device code, or one of another client, is
// invalid_code; no scope is invalid_scope; device codes do not count
// against the grant-code limit.

// DeviceSlowDownInterval is the least time between two polls of one device
// code once the emulator has answered slow_down: Zoho allows one poll per
// 30 seconds.
const DeviceSlowDownInterval = 30 * time.Second

// Errors of ApproveDevice and DenyDevice.
var (
	// ErrUnknownUserCode reports a user code that was not issued, has
	// expired or was approved or denied already.
	ErrUnknownUserCode = errors.New("zohotest: unknown, expired or used user code")
)

type deviceStatus uint8

const (
	devicePending deviceStatus = iota
	deviceApproved
	deviceDenied
)

type deviceGrant struct {
	clientID, userCode string
	scopes             []string
	offline, prompt    bool
	expires            time.Time
	lastPoll           time.Time
	slowed             bool
	status             deviceStatus
	email, location    string // the approving user and the user's data center
	refresh            bool   // the token answer has a refresh token
}

// deviceState is the emulator's device-flow state. Callers hold s.mu.
type deviceState struct {
	grants    map[string]*deviceGrant // device code →
	userCodes map[string]string       // user code → device code
	forms     map[string]time.Time    // form token → expiry
}

func (d *deviceState) init() {
	if d.grants == nil {
		d.grants = map[string]*deviceGrant{}
		d.userCodes = map[string]string{}
		d.forms = map[string]time.Time{}
	}
}

// prune drops the codes and form tokens that expired more than a window ago.
func (d *deviceState) prune(now time.Time) {
	maps.DeleteFunc(d.grants, func(code string, g *deviceGrant) bool {
		if now.Before(g.expires.Add(LimitWindow)) {
			return false
		}
		delete(d.userCodes, g.userCode)
		return true
	})
	maps.DeleteFunc(d.forms, func(_ string, exp time.Time) bool { return !now.Before(exp) })
}

// userCodeAlphabet has no vowels (no words) and no 0/O, 1/I look-alikes.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ23456789"

// newUserCode returns a code like "BCDF-2345".
func newUserCode() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, 0, 9)
	for i, c := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, userCodeAlphabet[int(c)%len(userCodeAlphabet)])
	}
	return string(out)
}

// normalUserCode is a typed user code in its issued form: upper case, a
// dash after the fourth character, spaces and dashes as typed ignored.
func normalUserCode(s string) string {
	s = strings.ToUpper(strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s))
	if len(s) != 8 {
		return s
	}
	return s[:4] + "-" + s[4:]
}

type deviceCodeResponse struct {
	UserCode        string `json:"user_code"`
	DeviceCode      string `json:"device_code"`
	VerificationURL string `json:"verification_url"`
	Complete        string `json:"verification_uri_complete"`
	Interval        int64  `json:"interval"`
	ExpiresIn       int64  `json:"expires_in"`
}

type otherDCResponse struct {
	Error        string `json:"error"`
	UserLocation string `json:"user_location"`
}

// handleDeviceCode is POST /oauth/v3/device/code.
func (s *Server) handleDeviceCode(w http.ResponseWriter, r *http.Request) {
	if !s.onlyPost(w, r, errorResponse{"invalid_request"}) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	_ = r.ParseForm()
	f := r.Form
	clientID := f.Get("client_id")
	s.mu.Lock()
	_, known := s.state.clients[clientID]
	var errCode string
	switch {
	case f.Get("grant_type") != "device_request":
		errCode = ErrCodeUnsupportedGrantType
	case !known || clientID == "":
		errCode = ErrCodeInvalidClient
	case len(splitScopes(f.Get("scope"))) == 0:
		errCode = "invalid_scope"
	}
	if errCode != "" {
		s.state.stats.Errors++
		s.mu.Unlock()
		note(r, errCode, slog.String("client_id", clientID))
		writeJSON(w, http.StatusOK, errorResponse{errCode})
		return
	}
	now := s.now()
	d := &s.state.devices
	d.init()
	d.prune(now)
	g := &deviceGrant{clientID: clientID, scopes: splitScopes(f.Get("scope")),
		offline: f.Get("access_type") == "offline", prompt: f.Get("prompt") == "consent",
		expires: now.Add(s.opts.DeviceCodeTTL)}
	for g.userCode == "" || d.userCodes[g.userCode] != "" {
		g.userCode = newUserCode()
	}
	code := newToken()
	d.grants[code] = g
	d.userCodes[g.userCode] = code
	s.state.stats.DeviceCodes++
	s.mu.Unlock()
	note(r, "", slog.String("client_id", clientID))
	page := s.baseURL(r) + "/oauth/v3/device"
	writeJSON(w, http.StatusOK, deviceCodeResponse{
		UserCode: g.userCode, DeviceCode: code,
		VerificationURL: page, Complete: page + "?user_code=" + url.QueryEscape(g.userCode),
		Interval: s.opts.DeviceInterval.Milliseconds(), ExpiresIn: s.opts.DeviceCodeTTL.Milliseconds(),
	})
}

// handleDeviceToken is POST /oauth/v3/device/token, the poll.
func (s *Server) handleDeviceToken(w http.ResponseWriter, r *http.Request) {
	if !s.onlyPost(w, r, errorResponse{"invalid_request"}) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	_ = r.ParseForm()
	f := r.Form
	clientID := f.Get("client_id")
	s.mu.Lock()
	s.state.stats.DevicePolls++
	resp, errCode := s.pollLocked(s.now(), r, clientID, f.Get("client_secret"), f.Get("grant_type"), f.Get("code"))
	if errCode != "" {
		s.state.stats.Errors++
		if errCode == "slow_down" {
			s.state.stats.SlowDowns++
		}
		if resp == nil {
			resp = errorResponse{errCode}
		}
	}
	s.mu.Unlock()
	note(r, errCode, slog.String("grant_type", "device_token"), slog.String("client_id", clientID))
	writeJSON(w, http.StatusOK, resp)
}

// pollLocked answers a poll. Callers hold s.mu.
func (s *Server) pollLocked(now time.Time, r *http.Request, clientID, secret, grantType, code string) (any, string) {
	if grantType != "device_token" {
		return nil, ErrCodeUnsupportedGrantType
	}
	if _, e := s.checkClient(clientID, secret); e != "" {
		return nil, e
	}
	d := &s.state.devices
	d.init()
	g, ok := d.grants[code]
	if !ok || code == "" || g.clientID != clientID {
		return nil, ErrCodeInvalidCode
	}
	if !now.Before(g.expires) {
		return nil, "expired"
	}
	gap := s.opts.DeviceInterval
	if g.slowed {
		gap = max(gap, DeviceSlowDownInterval)
	}
	last := g.lastPoll
	g.lastPoll = now
	if !last.IsZero() && now.Sub(last) < gap {
		g.slowed = true
		return nil, "slow_down"
	}
	switch g.status {
	case devicePending:
		return nil, "authorization_pending"
	case deviceDenied:
		return nil, "access_denied"
	}
	if dc := s.dataCenterOf(r); g.location != "" && !strings.EqualFold(g.location, dc) {
		return otherDCResponse{Error: "other_dc", UserLocation: g.location}, "other_dc"
	}
	delete(d.grants, code)
	delete(d.userCodes, g.userCode)
	resp := s.tokenResponse(s.baseURL(r))
	if g.refresh {
		resp.RefreshToken = s.mintRefresh(now, clientID, g.email, g.scopes)
	}
	resp.AccessToken = s.mintAccess(now, resp.RefreshToken, clientID, g.email, g.scopes)
	return resp, ""
}

// dataCenterOf is the data center a request was sent to: the one whose
// accounts server is the request's Host (as Transport sends them), else
// Options.Location.
func (s *Server) dataCenterOf(r *http.Request) string {
	host := strings.ToLower(r.Host)
	for _, env := range zohoauth.Environments() {
		if env.Kind == zohoauth.Production && "https://"+host == env.AccountsURL {
			return env.DC
		}
	}
	return s.opts.Location
}

// ApproveDevice approves the device login of userCode as the user with
// the given email ("" is the first user), as the verification page's
// Approve button does. Errors wrap ErrUnknownUserCode or ErrUnknownUser.
func (s *Server) ApproveDevice(userCode, email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decideDeviceLocked(userCode, email, true)
}

// DenyDevice denies the device login of userCode, as the verification
// page's Deny button does. Errors wrap ErrUnknownUserCode.
func (s *Server) DenyDevice(userCode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decideDeviceLocked(userCode, "", false)
}

// decideDeviceLocked records the user's decision. Callers hold s.mu.
func (s *Server) decideDeviceLocked(userCode, email string, approve bool) error {
	d := &s.state.devices
	d.init()
	g, ok := d.grants[d.userCodes[normalUserCode(userCode)]]
	if !ok || g.status != devicePending || !s.now().Before(g.expires) {
		return fmt.Errorf("device login %q: %w", userCode, ErrUnknownUserCode)
	}
	if !approve {
		g.status = deviceDenied
		return nil
	}
	u, ok := s.state.user(email)
	if !ok {
		return fmt.Errorf("approve device login as %q: %w", email, ErrUnknownUser)
	}
	k := userClient{strings.ToLower(u.Email), g.clientID}
	g.status, g.email, g.location = deviceApproved, u.Email, u.Location
	g.refresh = g.offline && (g.prompt || !s.state.consented[k])
	s.state.consented[k] = true
	s.state.stats.Consents++
	return nil
}

// deviceFormTTL is how long a verification form stays valid.
const deviceFormTTL = 10 * time.Minute

var devicePage = template.Must(template.New("device").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Zoho Accounts (emulator) - Connect a device</title></head>
<body>
<h1>Connect a device</h1>
<p>Enter the code shown on your device.</p>
<form method="post" action="/oauth/v3/device/approve">
<input type="hidden" name="form" value="{{.Form}}">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" value="{{.UserCode}}" autocomplete="off" autofocus>
<label for="user">Signed in as</label>
<select id="user" name="user">{{range .Users}}<option value="{{.}}">{{.}}</option>{{end}}</select>
<button type="submit" id="approve" name="action" value="approve">Approve</button>
<button type="submit" id="deny" name="action" value="deny">Deny</button>
</form>
</body></html>
`))

var deviceResultPage = template.Must(template.New("device-result").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Zoho Accounts (emulator) - Device</title></head>
<body><h1 id="result">{{.}}</h1></body></html>
`))

// handleDevicePage is GET /oauth/v3/device: the verification page.
func (s *Server) handleDevicePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.errorPage(w, r, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	form := newToken()
	s.mu.Lock()
	now := s.now()
	d := &s.state.devices
	d.init()
	d.prune(now)
	d.forms[form] = now.Add(deviceFormTTL)
	users := make([]string, len(s.state.users))
	for i, u := range s.state.users {
		users[i] = u.Email
	}
	s.mu.Unlock()
	if len(users) == 0 {
		s.errorPage(w, r, http.StatusBadRequest, "No user is signed in")
		return
	}
	code := r.URL.Query().Get("user_code")
	if !validTyped(code) {
		code = ""
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	_ = devicePage.Execute(w, map[string]any{"Form": form, "UserCode": code, "Users": users})
}

// validTyped reports whether a prefilled code is short and plain.
func validTyped(s string) bool {
	return len(s) <= 16 && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	})
}

// handleDeviceApprove is POST /oauth/v3/device/approve, the form's target.
// The form token must be one the page issued (single use, 10 minutes), and
// an Origin header, when sent, must be the emulator's own.
func (s *Server) handleDeviceApprove(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.errorPage(w, r, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, s.baseURL(r)) {
		s.errorPage(w, r, http.StatusForbidden, "Cross-site request refused")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	_ = r.ParseForm()
	form := r.PostForm.Get("form")
	s.mu.Lock()
	d := &s.state.devices
	d.init()
	exp, ok := d.forms[form]
	delete(d.forms, form)
	valid := ok && form != "" && s.now().Before(exp)
	var err error
	if valid {
		err = s.decideDeviceLocked(r.PostForm.Get("user_code"), r.PostForm.Get("user"), r.PostForm.Get("action") == "approve")
	}
	s.mu.Unlock()
	switch {
	case !valid:
		s.errorPage(w, r, http.StatusForbidden, "Invalid or expired form; open the page again")
		return
	case errors.Is(err, ErrUnknownUserCode):
		s.errorPage(w, r, http.StatusBadRequest, "Invalid or expired code; check the code on your device")
		return
	case err != nil:
		s.errorPage(w, r, http.StatusBadRequest, "Unknown user")
		return
	}
	msg := "Device connected. You can close this window."
	if r.PostForm.Get("action") != "approve" {
		msg = "Access denied. You can close this window."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = deviceResultPage.Execute(w, msg)
}
