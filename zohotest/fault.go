package zohotest

import (
	"net/http"
	"strconv"
	"time"
)

// Fault is a failure the server injects into the next matching requests
// (see Inject). Its effects apply in this order: Delay, then Drop, then an
// answer made of Status, Body and BodySize. A fault with only a Delay lets the
// request go on to the real endpoint afterwards.
type Fault struct {
	// Path is the exact URL path to match, e.g. "/oauth/v2/token"; "" matches
	// every path.
	Path string
	// Status is the HTTP status to answer with; 0 means 200 when Body or
	// BodySize is set, and no answer of the fault's own otherwise.
	Status int
	// Delay holds the request this long (real time, not Options.Clock)
	// before anything else; it ends early when the client goes away or the
	// server closes.
	Delay time.Duration
	// Drop closes the connection without an answer.
	Drop bool
	// Body is written as the answer (e.g. malformed JSON), with Content-Type
	// application/json.
	Body []byte
	// BodySize, if positive, appends that many bytes of padding after Body,
	// streamed without being held in memory, for huge-body tests.
	BodySize int64
	// Times is how many requests the fault affects: 0 means once, a negative
	// number means every matching request until ClearFaults.
	Times int
}

type faultEntry struct {
	f    Fault
	left int // < 0: forever
}

// Inject adds a fault. Faults are matched in the order they were added; each
// request takes at most one.
func (s *Server) Inject(f Fault) {
	left := f.Times
	if left == 0 {
		left = 1
	}
	f.Body = append([]byte(nil), f.Body...)
	s.mu.Lock()
	s.state.faults = append(s.state.faults, &faultEntry{f: f, left: left})
	s.mu.Unlock()
}

// ClearFaults removes every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.state.faults = nil
	s.mu.Unlock()
}

// takeFault returns the first fault matching path and uses it up once.
// Callers hold s.mu.
func (s *Server) takeFault(path string) *Fault {
	for i, e := range s.state.faults {
		if e.f.Path != "" && e.f.Path != path {
			continue
		}
		if e.left > 0 {
			e.left--
			if e.left == 0 {
				s.state.faults = append(s.state.faults[:i:i], s.state.faults[i+1:]...)
			}
		}
		s.state.stats.FaultsInjected++
		f := e.f
		return &f
	}
	return nil
}

// applyFault carries out f and reports whether the request was answered
// (or dropped) by it.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault) bool {
	if !s.sleep(r.Context(), f.Delay) {
		panic(http.ErrAbortHandler)
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	if f.Status == 0 && f.Body == nil && f.BodySize <= 0 {
		return false
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	if f.BodySize > 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(int64(len(f.Body))+f.BodySize, 10))
	}
	w.WriteHeader(status)
	_, _ = w.Write(f.Body)
	if f.BodySize > 0 {
		pad := make([]byte, 32<<10)
		for i := range pad {
			pad[i] = 'a'
		}
		for n := f.BodySize; n > 0; {
			k := min(n, int64(len(pad)))
			if _, err := w.Write(pad[:k]); err != nil {
				return true // the client went away
			}
			n -= k
		}
	}
	return true
}
