package zohotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// crmError is the error body of the CRM API.
type crmError struct {
	Code    string `json:"code"`
	Details any    `json:"details"`
	Message string `json:"message"`
	Status  string `json:"status"`
}

// The CRM API's answers to a bad access token or URL.
var (
	badMethod     = crmError{Code: "INVALID_REQUEST_METHOD", Details: struct{}{}, Message: "The http request method type is not a valid one", Status: "error"}
	invalidURL    = crmError{Code: "INVALID_URL_PATTERN", Details: struct{}{}, Message: "Please check if the URL trying to access is a correct one", Status: "error"}
	invalidToken  = crmError{Code: "INVALID_TOKEN", Details: struct{}{}, Message: "invalid oauth token", Status: "error"}
	authFailure   = crmError{Code: "AUTHENTICATION_FAILURE", Details: struct{}{}, Message: "Authentication failed", Status: "error"}
	scopeMismatch = crmError{Code: "OAUTH_SCOPE_MISMATCH", Details: struct{}{}, Message: "invalid oauth scope to access this URL", Status: "error"}
)

// caller is who a CRM request comes from.
type caller struct {
	user   User
	scopes []string
}

type crmHandler func(w http.ResponseWriter, r *http.Request, c caller)

var versionRE = regexp.MustCompile(`^v[2-9]$`)

// crm authenticates a CRM request ("Authorization: Zoho-oauthtoken <token>")
// and counts it.
func (s *Server) crm(h crmHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.state.stats.CRMRequests++
		s.mu.Unlock()
		if !versionRE.MatchString(r.PathValue("version")) {
			writeJSON(w, http.StatusNotFound, invalidURL)
			return
		}
		c, fail := s.authenticate(r)
		if fail != nil {
			s.mu.Lock()
			s.state.stats.Unauthorized++
			s.mu.Unlock()
			note(r, fail.Code)
			writeJSON(w, http.StatusUnauthorized, fail)
			return
		}
		h(w, r, c)
	}
}

// authenticate finds the live access token of the request.
func (s *Server) authenticate(r *http.Request) (caller, *crmError) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Zoho-oauthtoken") || strings.TrimSpace(tok) == "" {
		return caller{}, &authFailure
	}
	tok = strings.TrimSpace(tok)
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.state.access[tok]
	if !ok {
		return caller{}, &invalidToken
	}
	if !s.now().Before(at.expires) {
		delete(s.state.access, tok)
		return caller{}, &invalidToken
	}
	u, ok := s.state.user(at.email)
	if !ok || at.email == "" {
		return caller{}, &invalidToken
	}
	return caller{user: u, scopes: at.scopes}, nil
}

// allowed reports whether c's scopes cover one of the needed scopes (checked
// only with Options.CheckScopes and for tokens that have scopes). A scope
// "ZohoCRM.x.ALL" covers "ZohoCRM.x.READ" and the like; "ZohoCRM.modules.ALL"
// covers every module.
func (s *Server) allowed(w http.ResponseWriter, r *http.Request, c caller, needed ...string) bool {
	if !s.opts.CheckScopes || len(c.scopes) == 0 || scopesCover(c.scopes, needed) {
		return true
	}
	s.mu.Lock()
	s.state.stats.Unauthorized++
	s.mu.Unlock()
	note(r, scopeMismatch.Code)
	writeJSON(w, http.StatusUnauthorized, scopeMismatch)
	return false
}

func scopesCover(granted, needed []string) bool {
	for _, g := range granted {
		g = strings.ToLower(g)
		for _, n := range needed {
			n = strings.ToLower(n)
			if g == n {
				return true
			}
			// ZohoCRM.modules.leads.READ is covered by ZohoCRM.modules.leads.ALL,
			// ZohoCRM.modules.READ, ZohoCRM.modules.ALL and ZohoCRM.modules.leads.
			parts := strings.Split(n, ".")
			for i := len(parts) - 1; i >= 2; i-- {
				prefix := strings.Join(parts[:i], ".")
				if g == prefix || g == prefix+".all" || g == prefix+"."+parts[len(parts)-1] {
					return true
				}
			}
		}
	}
	return false
}

// onlyGet answers 405 to any method but GET and reports whether the request
// may go on.
func onlyGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet {
		return true
	}
	writeJSON(w, http.StatusMethodNotAllowed, badMethod)
	return false
}

type userJSON struct {
	Country   string `json:"country"`
	Language  string `json:"language"`
	ID        string `json:"id"`
	Profile   nameID `json:"profile"`
	Role      nameID `json:"role"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	FullName  string `json:"full_name"`
	Email     string `json:"email"`
	Status    string `json:"status"`
	ZUID      string `json:"zuid"`
	Confirm   bool   `json:"confirm"`
	TimeZone  string `json:"time_zone"`
	Locale    string `json:"locale"`
}

type nameID struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

type pageInfo struct {
	PerPage     int  `json:"per_page"`
	Count       int  `json:"count"`
	Page        int  `json:"page"`
	MoreRecords bool `json:"more_records"`
}

type usersResponse struct {
	Users []userJSON `json:"users"`
	Info  pageInfo   `json:"info"`
}

func userOf(u User) userJSON {
	return userJSON{
		Country: "US", Language: "en_US", ID: u.UserID,
		Profile: nameID{"Administrator", u.OrgID + "1"}, Role: nameID{"CEO", u.OrgID + "2"},
		LastName: u.Name, FullName: u.Name, Email: u.Email, Status: "active", ZUID: u.UserID,
		Confirm: true, TimeZone: "UTC", Locale: "en_US",
	}
}

// handleUsers is GET /crm/v8/users?type=CurrentUser|AllUsers|ActiveUsers.
func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request, c caller) {
	if !onlyGet(w, r) || !s.allowed(w, r, c, "ZohoCRM.users.READ") {
		return
	}
	var out usersResponse
	switch t := r.URL.Query().Get("type"); t {
	case "CurrentUser":
		out.Users = []userJSON{userOf(c.user)}
	case "", "AllUsers", "ActiveUsers", "AdminUsers", "ConfirmedUsers":
		s.mu.Lock()
		for _, u := range s.state.users {
			if u.OrgID == c.user.OrgID {
				out.Users = append(out.Users, userOf(u))
			}
		}
		s.mu.Unlock()
	default:
		writeJSON(w, http.StatusBadRequest, crmError{Code: "INVALID_DATA", Details: map[string]string{"param_name": "type"}, Message: "invalid data", Status: "error"})
		return
	}
	out.Info = pageInfo{PerPage: 200, Count: len(out.Users), Page: 1}
	writeJSON(w, http.StatusOK, out)
}

type orgJSON struct {
	Country      string `json:"country"`
	ZGID         string `json:"zgid"`
	ID           string `json:"id"`
	CompanyName  string `json:"company_name"`
	PrimaryEmail string `json:"primary_email"`
	DomainName   string `json:"domain_name"`
	Currency     string `json:"currency"`
	TimeZone     string `json:"time_zone"`
	Type         string `json:"type"`
}

type orgResponse struct {
	Org []orgJSON `json:"org"`
}

// handleOrg is GET /crm/v8/org.
func (s *Server) handleOrg(w http.ResponseWriter, r *http.Request, c caller) {
	if !onlyGet(w, r) || !s.allowed(w, r, c, "ZohoCRM.org.READ") {
		return
	}
	u := c.user
	writeJSON(w, http.StatusOK, orgResponse{Org: []orgJSON{{
		Country: "US", ZGID: u.ZGID, ID: u.OrgID, CompanyName: "Org " + u.OrgID, PrimaryEmail: u.Email,
		DomainName: "org" + u.ZGID, Currency: "USD", TimeZone: "UTC", Type: "production",
	}}})
}

// MaxRecordsPerRequest is how many records one POST may carry, as in Zoho.
const MaxRecordsPerRequest = 100

type recordResult struct {
	Code    string         `json:"code"`
	Details map[string]any `json:"details"`
	Message string         `json:"message"`
	Status  string         `json:"status"`
}

// handleLeads is GET and POST /crm/v8/Leads.
func (s *Server) handleLeads(w http.ResponseWriter, r *http.Request, c caller) {
	switch r.Method {
	case http.MethodGet:
		if s.allowed(w, r, c, "ZohoCRM.modules.leads.READ") {
			s.getLeads(w, r, c)
		}
	case http.MethodPost:
		if s.allowed(w, r, c, "ZohoCRM.modules.leads.CREATE", "ZohoCRM.modules.leads.WRITE") {
			s.postLeads(w, r, c)
		}
	default:
		writeJSON(w, http.StatusMethodNotAllowed, badMethod)
	}
}

type recordsResponse struct {
	Data []map[string]any `json:"data"`
	Info recordsInfo      `json:"info"`
}

func pageParams(pageS, perPageS string) (int, int, *crmError) {
	page, perPage := 1, 200
	var err error
	if pageS != "" {
		if page, err = strconv.Atoi(pageS); err != nil || page < 1 {
			return 0, 0, &crmError{Code: "INVALID_DATA", Details: map[string]string{"param_name": "page"}, Message: "invalid data", Status: "error"}
		}
	}
	if perPageS != "" {
		if perPage, err = strconv.Atoi(perPageS); err != nil || perPage < 1 || perPage > 200 {
			return 0, 0, &crmError{Code: "INVALID_DATA", Details: map[string]string{"param_name": "per_page"}, Message: "invalid data", Status: "error"}
		}
	}
	return page, perPage, nil
}

// errBadRecords reports a records body that is not {"data":[…]}.
var errBadRecords = errors.New("body is not a JSON object with a data array")

// parseRecords parses a records body: {"data":[{…},…]} with at most
// MaxRecordsPerRequest objects. An element that is not an object is returned
// as nil.
func parseRecords(body []byte) ([]map[string]any, error) {
	var in struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRecords, err)
	}
	if len(in.Data) == 0 {
		return nil, fmt.Errorf("%w: no records", errBadRecords)
	}
	if len(in.Data) > MaxRecordsPerRequest {
		return nil, fmt.Errorf("%w: more than %d records", errBadRecords, MaxRecordsPerRequest)
	}
	out := make([]map[string]any, len(in.Data))
	for i, raw := range in.Data {
		var m map[string]any
		if json.Unmarshal(raw, &m) == nil {
			out[i] = m
		}
	}
	return out, nil
}

type dataResponse struct {
	Data []recordResult `json:"data"`
}

// postLeads inserts records. Last_Name is mandatory, as in Zoho.
func (s *Server) postLeads(w http.ResponseWriter, r *http.Request, c caller) {
	body, err := readBody(w, r, 4<<20)
	if err == nil {
		var recs []map[string]any
		if recs, err = parseRecords(body); err == nil {
			status, resp := s.insertLeads(c, recs)
			writeJSON(w, status, resp)
			return
		}
	}
	code, msg := "INVALID_DATA", "the given data is not in valid json format"
	if strings.Contains(err.Error(), "more than") {
		code, msg = "LIMIT_EXCEEDED", "the maximum number of records allowed per request is "+strconv.Itoa(MaxRecordsPerRequest)
	}
	writeJSON(w, http.StatusBadRequest, crmError{Code: code, Details: struct{}{}, Message: msg, Status: "error"})
}

// insertLeads stores the valid records and returns the answer.
func (s *Server) insertLeads(c caller, recs []map[string]any) (int, dataResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().Format(time.RFC3339)
	by := map[string]any{"name": c.user.Name, "id": c.user.UserID}
	res := make([]recordResult, len(recs))
	ok := 0
	for i, rec := range recs {
		if rec == nil {
			res[i] = recordResult{Code: "INVALID_DATA", Details: map[string]any{"json_path": fmt.Sprintf("$.data[%d]", i)}, Message: "invalid data", Status: "error"}
			continue
		}
		if ln, _ := rec["Last_Name"].(string); strings.TrimSpace(ln) == "" {
			res[i] = recordResult{Code: "MANDATORY_NOT_FOUND", Details: map[string]any{"api_name": "Last_Name", "json_path": fmt.Sprintf("$.data[%d].Last_Name", i)}, Message: "required field not found", Status: "error"}
			continue
		}
		id := s.state.id()
		stored := maps.Clone(rec)
		stored["id"], stored["Created_Time"], stored["Modified_Time"] = id, now, now
		stored["Created_By"], stored["Modified_By"], stored["Owner"] = by, by, by
		s.state.leads[c.user.OrgID] = append(s.state.leads[c.user.OrgID], stored)
		res[i] = recordResult{Code: "SUCCESS", Details: map[string]any{"Modified_Time": now, "Modified_By": by, "Created_Time": now, "id": id, "Created_By": by}, Message: "record added", Status: "success"}
		ok++
	}
	status := http.StatusCreated
	switch {
	case ok == 0:
		status = http.StatusBadRequest
	case ok < len(recs):
		status = http.StatusMultiStatus
	}
	return status, dataResponse{res}
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}
