package zohotest

import (
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Zoho Accounts error codes (the "error" member of an HTTP 200 error body).
const (
	ErrCodeInvalidCode          = "invalid_code"
	ErrCodeInvalidClient        = "invalid_client"
	ErrCodeInvalidClientSecret  = "invalid_client_secret"
	ErrCodeInvalidRedirectURI   = "invalid_redirect_uri"
	ErrCodeUnsupportedGrantType = "unsupported_grant_type"
	ErrCodeAccessDenied         = "Access Denied"
)

// ThrottleDescription is the error_description of Zoho's throttle answer.
const ThrottleDescription = "You have made too many requests continuously. Please try again after some time."

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresInSec int64  `json:"expires_in_sec,omitempty"`
	APIDomain    string `json:"api_domain"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

type errorResponse struct {
	Error string `json:"error"`
}

type throttleResponse struct {
	Description string `json:"error_description"`
	Error       string `json:"error"`
	Status      string `json:"status"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only our own fixed types are written
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// tokenOutcome is what the token endpoint decided, for counters and logs.
type tokenOutcome struct {
	grantType string
	clientID  string
	errCode   string // "" on success
}

// handleToken is POST /oauth/v2/token. Parameters come from the query string
// and the form body (the body wins), as Zoho accepts both.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if !s.onlyPost(w, r, errorResponse{"invalid_request"}) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	_ = r.ParseForm() // a malformed body leaves what parsed; the checks below answer
	f := r.Form
	out := tokenOutcome{grantType: f.Get("grant_type"), clientID: f.Get("client_id")}
	s.mu.Lock()
	s.state.stats.TokenRequests++
	now := s.now()
	var resp any
	switch out.grantType {
	case "authorization_code":
		resp, out.errCode = s.exchangeLocked(now, s.baseURL(r), f.Get("client_id"), f.Get("client_secret"), f.Get("code"), f.Get("redirect_uri"))
		if out.errCode == "" {
			s.state.stats.GrantExchanges++
		}
	case "refresh_token":
		resp, out.errCode = s.refreshLocked(now, s.baseURL(r), f.Get("client_id"), f.Get("client_secret"), f.Get("refresh_token"))
		if out.errCode == "" {
			s.state.stats.Refreshes++
		}
	default:
		out.errCode = ErrCodeUnsupportedGrantType
	}
	if out.errCode != "" {
		s.state.stats.Errors++
		if out.errCode == ErrCodeAccessDenied {
			s.state.stats.Throttled++
			resp = throttleResponse{ThrottleDescription, ErrCodeAccessDenied, "failure"}
		} else {
			resp = errorResponse{out.errCode}
		}
	}
	s.mu.Unlock()
	note(r, out.errCode, slog.String("grant_type", out.grantType), slog.String("client_id", out.clientID))
	writeJSON(w, http.StatusOK, resp)
}

// checkClient checks a client id and secret. Callers hold s.mu.
func (s *Server) checkClient(clientID, secret string) (Client, string) {
	c, ok := s.state.clients[clientID]
	if !ok || clientID == "" {
		return c, ErrCodeInvalidClient
	}
	if subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return c, ErrCodeInvalidClientSecret
	}
	return c, ""
}

// exchangeLocked is the authorization_code grant. Callers hold s.mu.
func (s *Server) exchangeLocked(now time.Time, apiDomain, clientID, secret, code, redirectURI string) (any, string) {
	c, e := s.checkClient(clientID, secret)
	if e != "" {
		return nil, e
	}
	g, ok := s.state.grants[code]
	if !ok || g.clientID != clientID {
		return nil, ErrCodeInvalidCode
	}
	if !now.Before(g.expires) {
		delete(s.state.grants, code)
		return nil, ErrCodeInvalidCode
	}
	if g.redirectURI != "" && redirectURI != g.redirectURI {
		return nil, ErrCodeInvalidRedirectURI
	}
	if g.redirectURI == "" && redirectURI != "" && len(c.RedirectURIs) > 0 && !slices.Contains(c.RedirectURIs, redirectURI) {
		return nil, ErrCodeInvalidRedirectURI
	}
	delete(s.state.grants, code) // single use
	resp := s.tokenResponse(apiDomain)
	if g.refresh {
		resp.RefreshToken = s.mintRefresh(now, clientID, g.email, g.scopes)
	}
	resp.AccessToken = s.mintAccess(now, resp.RefreshToken, clientID, g.email, g.scopes)
	return resp, ""
}

// refreshLocked is the refresh_token grant. Callers hold s.mu.
func (s *Server) refreshLocked(now time.Time, apiDomain, clientID, secret, rtok string) (any, string) {
	if _, e := s.checkClient(clientID, secret); e != "" {
		return nil, e
	}
	rt, ok := s.state.refresh[rtok]
	if !ok || rt.clientID != clientID {
		return nil, ErrCodeInvalidCode
	}
	if !now.Before(rt.windowStart.Add(LimitWindow)) {
		rt.windowStart, rt.windowCount = now, 0
	}
	if rt.windowCount >= MaxRefreshesPerWindow {
		return nil, ErrCodeAccessDenied
	}
	rt.windowCount++
	resp := s.tokenResponse(apiDomain)
	resp.AccessToken = s.mintAccess(now, rtok, clientID, rt.email, rt.scopes)
	return resp, ""
}

// tokenResponse is a success answer without tokens yet; api_domain is the
// emulator itself, so CRM calls come back here.
func (s *Server) tokenResponse(apiDomain string) *tokenResponse {
	resp := &tokenResponse{APIDomain: apiDomain, TokenType: "Bearer", ExpiresIn: int64(s.opts.AccessTokenTTL / time.Second)}
	if s.opts.LegacyExpiresIn {
		resp.ExpiresIn = s.opts.AccessTokenTTL.Milliseconds()
		resp.ExpiresInSec = int64(s.opts.AccessTokenTTL / time.Second)
	}
	return resp
}

type statusResponse struct {
	Status string `json:"status"`
}

type revokeError struct {
	Status string `json:"status"`
	Error  string `json:"error"`
}

// handleRevoke is POST /oauth/v2/token/revoke?token=…: a refresh token is
// deleted with all its access tokens, an access token alone. An unknown token
// is HTTP 400.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if !s.onlyPost(w, r, revokeError{"failure", "invalid_request"}) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	_ = r.ParseForm()
	tok := r.Form.Get("token")
	s.mu.Lock()
	ok := false
	if _, isRefresh := s.state.refresh[tok]; isRefresh {
		s.state.deleteRefresh(tok)
		ok = true
	} else if _, isAccess := s.state.access[tok]; isAccess {
		delete(s.state.access, tok)
		ok = true
	}
	if ok {
		s.state.stats.Revokes++
	} else {
		s.state.stats.Errors++
	}
	s.mu.Unlock()
	if !ok {
		note(r, "invalid_request")
		writeJSON(w, http.StatusBadRequest, revokeError{"failure", "invalid_request"})
		return
	}
	writeJSON(w, http.StatusOK, statusResponse{"success"})
}

// onlyPost answers 405 with body to any method but POST, and reports whether
// the request may go on.
func (s *Server) onlyPost(w http.ResponseWriter, r *http.Request, body any) bool {
	if r.Method == http.MethodPost {
		return true
	}
	s.mu.Lock()
	s.state.stats.Errors++
	s.mu.Unlock()
	note(r, "invalid_request")
	w.Header().Set("Allow", http.MethodPost)
	writeJSON(w, http.StatusMethodNotAllowed, body)
	return false
}
