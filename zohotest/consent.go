package zohotest

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// consentRequest is an authorization request waiting for the user's click.
type consentRequest struct {
	clientID, redirectURI, state string
	scopes                       []string
	offline, prompt              bool
	expires                      time.Time
}

// consentTTL is how long a consent page stays valid.
const consentTTL = 10 * time.Minute

var consentPage = template.Must(template.New("consent").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Zoho Accounts (emulator) - Consent</title></head>
<body>
<h1>{{.ClientID}} would like to access your Zoho account</h1>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="/oauth/v2/auth/approve">
<input type="hidden" name="request" value="{{.Request}}">
<label for="user">Signed in as</label>
<select id="user" name="user">{{range .Users}}<option value="{{.}}">{{.}}</option>{{end}}</select>
<button type="submit" id="approve" name="action" value="approve">Accept</button>
<button type="submit" id="deny" name="action" value="deny">Reject</button>
</form>
</body></html>
`))

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Zoho Accounts (emulator) - Error</title></head>
<body><h1 id="error">{{.}}</h1></body></html>
`))

// handleAuth is GET /oauth/v2/auth: the consent page. An unknown client or a
// redirect_uri the client did not register gives an error page and no
// redirect; other errors redirect with an error parameter.
func (s *Server) handleAuth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := consentRequest{
		clientID:    q.Get("client_id"),
		redirectURI: q.Get("redirect_uri"),
		state:       q.Get("state"),
		scopes:      splitScopes(q.Get("scope")),
		offline:     q.Get("access_type") == "offline",
		prompt:      q.Get("prompt") == "consent",
	}
	s.mu.Lock()
	c, known := s.state.clients[req.clientID]
	users := make([]string, len(s.state.users))
	for i, u := range s.state.users {
		users[i] = u.Email
	}
	s.mu.Unlock()
	switch {
	case !known || req.clientID == "":
		s.errorPage(w, r, http.StatusBadRequest, "Invalid Client")
		return
	case req.redirectURI == "" || !slices.Contains(c.RedirectURIs, req.redirectURI):
		s.errorPage(w, r, http.StatusBadRequest, "Invalid Redirect Uri")
		return
	case len(users) == 0:
		s.errorPage(w, r, http.StatusBadRequest, "No user is signed in")
		return
	case q.Get("response_type") != "code":
		s.redirectError(w, r, req, "unsupported_response_type")
		return
	case len(req.scopes) == 0:
		s.redirectError(w, r, req, "invalid_scope")
		return
	}
	if s.opts.AutoApprove {
		s.approve(w, r, req, users[0])
		return
	}
	id := newToken()
	s.mu.Lock()
	now := s.now()
	for k, p := range s.state.pending {
		if !now.Before(p.expires) {
			delete(s.state.pending, k)
		}
	}
	req.expires = now.Add(consentTTL)
	s.state.pending[id] = req
	s.state.stats.ConsentPages++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = consentPage.Execute(w, map[string]any{"ClientID": req.clientID, "Scopes": req.scopes, "Request": id, "Users": users})
}

// handleApprove is POST /oauth/v2/auth/approve, the consent form's target.
func (s *Server) handleApprove(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.errorPage(w, r, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	_ = r.ParseForm()
	s.mu.Lock()
	id := r.PostForm.Get("request")
	req, ok := s.state.pending[id]
	delete(s.state.pending, id)
	expired := ok && !s.now().Before(req.expires)
	s.mu.Unlock()
	if !ok || expired {
		s.errorPage(w, r, http.StatusBadRequest, "Invalid or expired request; start the sign-in again")
		return
	}
	if r.PostForm.Get("action") != "approve" {
		s.redirectError(w, r, req, "access_denied")
		return
	}
	s.approve(w, r, req, r.PostForm.Get("user"))
}

// approve issues a grant code for req and redirects to its redirect_uri with
// code, location and accounts-server.
func (s *Server) approve(w http.ResponseWriter, r *http.Request, req consentRequest, email string) {
	s.mu.Lock()
	u, ok := s.state.user(email)
	var code string
	var err error
	if ok {
		k := userClient{strings.ToLower(u.Email), req.clientID}
		g := &grant{clientID: req.clientID, email: u.Email, scopes: req.scopes, redirectURI: req.redirectURI,
			refresh: req.offline && (req.prompt || !s.state.consented[k])}
		if code, err = s.issueGrantLocked(g); err == nil {
			s.state.consented[k] = true
			s.state.stats.Consents++
		}
	}
	s.mu.Unlock()
	switch {
	case !ok:
		s.errorPage(w, r, http.StatusBadRequest, "Unknown user")
		return
	case err != nil:
		s.redirectError(w, r, req, "access_denied")
		return
	}
	v := url.Values{}
	v.Set("code", code)
	v.Set("location", s.opts.Location)
	v.Set("accounts-server", s.baseURL(r))
	s.redirect(w, r, req, v)
}

func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, req consentRequest, code string) {
	s.mu.Lock()
	s.state.stats.Errors++
	s.mu.Unlock()
	note(r, code)
	s.redirect(w, r, req, url.Values{"error": {code}})
}

// redirect sends the browser to req.redirectURI with state (if any) and v
// added to its query.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, req consentRequest, v url.Values) {
	u, err := url.Parse(req.redirectURI)
	if err != nil { // registered URIs are checked to be equal, not valid
		s.errorPage(w, r, http.StatusBadRequest, "Invalid Redirect Uri")
		return
	}
	q := u.Query()
	if req.state != "" {
		q.Set("state", req.state)
	}
	for k, vs := range v {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.mu.Lock()
	s.state.stats.Errors++
	s.mu.Unlock()
	note(r, msg)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = errorPage.Execute(w, msg)
}
