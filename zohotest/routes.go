package zohotest

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// routes builds the handler: the endpoints behind the middleware that counts
// calls, applies injected faults, logs one line per request and lets Close
// wait for running handlers.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/oauth/v2/token", s.handleToken)
	mux.HandleFunc("/oauth/v2/token/revoke", s.handleRevoke)
	mux.HandleFunc("/oauth/v2/auth", s.handleAuth)
	mux.HandleFunc("/oauth/v2/auth/approve", s.handleApprove)
	mux.HandleFunc("/oauth/serverinfo", s.handleServerInfo)
	mux.HandleFunc("/oauth/v3/device/code", s.handleDeviceCode)
	mux.HandleFunc("/oauth/v3/device/token", s.handleDeviceToken)
	mux.HandleFunc("/oauth/v3/device", s.handleDevicePage)
	mux.HandleFunc("/oauth/v3/device/approve", s.handleDeviceApprove)
	mux.HandleFunc("/crm/{version}/users", s.crm(s.handleUsers))
	mux.HandleFunc("/crm/{version}/org", s.crm(s.handleOrg))
	mux.HandleFunc("/crm/{version}/Leads", s.crm(s.handleLeads))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, invalidURL)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.enter() {
			panic(http.ErrAbortHandler) // closed: drop the connection
		}
		defer s.leave()
		start := time.Now()
		s.mu.Lock()
		s.state.stats.Requests++
		s.state.stats.Calls[r.Method+" "+r.URL.Path]++
		f := s.takeFault(r.URL.Path)
		s.mu.Unlock()
		rl := &reqLog{}
		defer func() { s.logRequest(r, rl, time.Since(start)) }()
		if f != nil {
			rl.outcome = "fault"
			if s.applyFault(w, r, f) {
				return
			}
			rl.outcome = ""
		}
		mux.ServeHTTP(&logWriter{ResponseWriter: w, l: rl}, r.WithContext(context.WithValue(r.Context(), reqLogKey{}, rl)))
	})
}

// reqLog collects what the log line of one request says.
type reqLog struct {
	status  int
	outcome string // Zoho's error code, or "" for success
	attrs   []slog.Attr
}

type reqLogKey struct{}

// note records the outcome of a request (a Zoho error code, "" for success)
// and extra attributes for its log line. Never pass a secret.
func note(r *http.Request, outcome string, attrs ...slog.Attr) {
	if rl, ok := r.Context().Value(reqLogKey{}).(*reqLog); ok {
		rl.outcome = outcome
		rl.attrs = append(rl.attrs, attrs...)
	}
}

// logWriter remembers the status written.
type logWriter struct {
	http.ResponseWriter
	l *reqLog
}

func (w *logWriter) WriteHeader(code int) {
	if w.l.status == 0 {
		w.l.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(b []byte) (int, error) {
	if w.l.status == 0 {
		w.l.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the real writer.
func (w *logWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequest logs a request by method and path only: query strings and
// bodies carry tokens, codes and secrets, so they are never logged.
func (s *Server) logRequest(r *http.Request, rl *reqLog, d time.Duration) {
	level := slog.LevelInfo
	if rl.outcome != "" {
		level = slog.LevelWarn
	}
	attrs := append([]slog.Attr{
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", rl.status), slog.Duration("duration", d),
	}, rl.attrs...)
	if rl.outcome != "" {
		attrs = append(attrs, slog.String("error", rl.outcome))
	}
	s.opts.Logger.LogAttrs(r.Context(), level, "zohotest", attrs...)
}

// serverInfo is GET /oauth/serverinfo: the location → accounts server map.
type serverInfo struct {
	Result    string            `json:"result"`
	Locations map[string]string `json:"locations"`
}

func (s *Server) handleServerInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, serverInfo{Result: "success", Locations: map[string]string{s.opts.Location: s.baseURL(r)}})
}
