package zohotest

import (
	"context"
	"log/slog"
	"net/http"
)

// routes builds the handler: the endpoints behind the middleware that counts
// calls, applies injected faults and lets Close wait for running handlers.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth/v2/token", s.handleToken)
	mux.HandleFunc("/oauth/v2/token/revoke", s.handleRevoke)
	mux.HandleFunc("/oauth/v2/auth", s.handleAuth)
	mux.HandleFunc("/oauth/v2/auth/approve", s.handleApprove)
	mux.HandleFunc("/oauth/serverinfo", s.handleServerInfo)
	mux.HandleFunc("/crm/{version}/users", s.crm(s.handleUsers))
	mux.HandleFunc("/crm/{version}/org", s.crm(s.handleOrg))
	mux.HandleFunc("/crm/{version}/Leads", s.crm(s.handleLeads))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, crmError{Code: "INVALID_URL_PATTERN", Details: struct{}{}, Message: "Please check if the URL trying to access is a correct one", Status: "error"})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Done()
		select {
		case <-s.closing:
			panic(http.ErrAbortHandler) // closed: drop the connection
		default:
		}
		s.mu.Lock()
		s.state.stats.Requests++
		s.state.stats.Calls[r.Method+" "+r.URL.Path]++
		f := s.takeFault(r.URL.Path)
		s.mu.Unlock()
		if f != nil && s.applyFault(w, r, f) {
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// serverInfo is GET /oauth/serverinfo: the location → accounts server map.
type serverInfo struct {
	Result    string            `json:"result"`
	Locations map[string]string `json:"locations"`
}

func (s *Server) handleServerInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, serverInfo{Result: "success", Locations: map[string]string{s.opts.Location: s.baseURL(r)}})
}

func levelOf(errCode string) slog.Level {
	if errCode != "" {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

func logAttr(k, v string) slog.Attr { return slog.String(k, v) }

// logRequest logs a request by method and path only: query strings carry
// tokens (revoke) and codes, so they are never logged.
func (s *Server) logRequest(ctx context.Context, r *http.Request, status int, msg string) {
	s.opts.Logger.LogAttrs(ctx, slog.LevelInfo, msg, logAttr("method", r.Method), logAttr("path", r.URL.Path), slog.Int("status", status))
}
