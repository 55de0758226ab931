package zohotest

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Paging of GET /crm/v8/Leads, as Zoho CRM's Get Records API pages:
//
//   - page and per_page (1 to 200, default 200) reach the first
//     MaxDiscreteRecords records; a page beyond them is HTTP 400
//     DISCRETE_PAGINATION_LIMIT_EXCEEDED.
//   - Every answer with more records after it carries a
//     info.next_page_token; GET with page_token=<it> (and per_page, no
//     page) returns the records after the previous answer's last one, up to
//     MaxPageTokenRecords in all. A page token lives PageTokenTTL
//     (info.page_token_expiry); an unknown or expired one is HTTP 400
//     INVALID_DATA naming page_token, and page with page_token is HTTP 400
//     INVALID_REQUEST (the emulator's choice: Zoho documents only that the
//     two do not go together).
//   - info holds per_page, count, page, sort_by ("id"), sort_order
//     ("asc": the records are in the order they were added),
//     more_records, next_page_token and previous_page_token (null when
//     none) and page_token_expiry.

// Limits of Get Records paging.
const (
	// MaxDiscreteRecords is how far page and per_page reach.
	MaxDiscreteRecords = 2000
	// MaxPageTokenRecords is how far page tokens reach.
	MaxPageTokenRecords = 100000
	// PageTokenTTL is the lifetime of a page token.
	PageTokenTTL = 24 * time.Hour
)

// recordsInfo is the info object of a Get Records answer.
type recordsInfo struct {
	PerPage           int     `json:"per_page"`
	NextPageToken     *string `json:"next_page_token"`
	Count             int     `json:"count"`
	SortBy            string  `json:"sort_by"`
	Page              int     `json:"page"`
	PreviousPageToken *string `json:"previous_page_token"`
	PageTokenExpiry   *string `json:"page_token_expiry"`
	SortOrder         string  `json:"sort_order"`
	MoreRecords       bool    `json:"more_records"`
}

// pageCursor is where a page token resumes.
type pageCursor struct {
	org     string
	offset  int
	expires time.Time
}

// pageWindow reads the paging parameters of a Get Records request and
// returns the offset and size of the page asked for, or the CRM error to
// answer. Callers hold s.mu.
func (s *Server) pageWindow(q url.Values, org string, now time.Time) (offset, perPage, page int, cerr *crmError) {
	_, perPage, cerr = pageParams("", q.Get("per_page"))
	if cerr != nil {
		return 0, 0, 0, cerr
	}
	tok := q.Get("page_token")
	if tok == "" {
		page, _, cerr = pageParams(q.Get("page"), "")
		if cerr != nil {
			return 0, 0, 0, cerr
		}
		if page*perPage > MaxDiscreteRecords {
			return 0, 0, 0, &crmError{Code: "DISCRETE_PAGINATION_LIMIT_EXCEEDED", Details: struct{}{},
				Message: fmt.Sprintf("Cannot fetch more than %d records. Please use the \"page_token\" param instead of \"page\" param", MaxDiscreteRecords), Status: "error"}
		}
		return (page - 1) * perPage, perPage, page, nil
	}
	if q.Has("page") {
		return 0, 0, 0, &crmError{Code: "INVALID_REQUEST", Details: map[string]string{"param_name": "page"}, Message: "page and page_token cannot be given together", Status: "error"}
	}
	c, ok := s.state.cursors[tok]
	if !ok || c.org != org || !now.Before(c.expires) {
		return 0, 0, 0, &crmError{Code: "INVALID_DATA", Details: map[string]string{"param_name": "page_token"}, Message: "invalid or expired page token", Status: "error"}
	}
	return c.offset, perPage, c.offset/perPage + 1, nil
}

// pageInfoOf builds the info of a page [offset, end) of total records and
// issues the next page token. Callers hold s.mu.
func (s *Server) pageInfoOf(org string, offset, end, total, perPage, page int, now time.Time) recordsInfo {
	info := recordsInfo{PerPage: perPage, Count: end - offset, Page: page, SortBy: "id", SortOrder: "asc",
		MoreRecords: end < total && end < MaxPageTokenRecords}
	if !info.MoreRecords {
		return info
	}
	if s.state.cursors == nil {
		s.state.cursors = map[string]pageCursor{}
	}
	if len(s.state.cursors) >= 1024 {
		maps.DeleteFunc(s.state.cursors, func(_ string, c pageCursor) bool { return !now.Before(c.expires) })
	}
	tok := newToken()
	exp := now.Add(PageTokenTTL)
	s.state.cursors[tok] = pageCursor{org: org, offset: end, expires: exp}
	expiry := exp.Format(time.RFC3339)
	info.NextPageToken, info.PageTokenExpiry = &tok, &expiry
	return info
}

// getLeads lists records: fields is mandatory (as in v8); page and
// per_page, or page_token, page through them; no records is 204 No Content.
func (s *Server) getLeads(w http.ResponseWriter, r *http.Request, c caller) {
	q := r.URL.Query()
	fields := splitScopes(q.Get("fields"))
	if len(fields) == 0 {
		writeJSON(w, http.StatusBadRequest, crmError{Code: "REQUIRED_PARAM_MISSING", Details: map[string]string{"param": "fields"}, Message: "One of the expected parameter is missing", Status: "error"})
		return
	}
	s.mu.Lock()
	now := s.now()
	offset, perPage, page, cerr := s.pageWindow(q, c.user.OrgID, now)
	if cerr != nil {
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, *cerr)
		return
	}
	all := s.state.leads[c.user.OrgID]
	start := min(offset, len(all))
	end := min(start+perPage, len(all), MaxPageTokenRecords)
	out := recordsResponse{}
	for _, rec := range all[start:end] {
		sel := map[string]any{"id": rec["id"]}
		for _, f := range fields {
			if v, ok := rec[f]; ok {
				sel[f] = v
			} else {
				sel[f] = nil
			}
		}
		out.Data = append(out.Data, sel)
	}
	if len(out.Data) > 0 {
		out.Info = s.pageInfoOf(c.user.OrgID, start, end, len(all), perPage, page, now)
	}
	s.mu.Unlock()
	if len(out.Data) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// AddLeads stores records in the Leads module of the org of the user with
// the given email ("" is the first user), as if that user had created
// them, and returns their ids. Each record is copied; id, Created_Time,
// Modified_Time, Created_By, Modified_By and Owner are set. Errors wrap
// ErrUnknownUser.
func (s *Server) AddLeads(email string, records ...map[string]any) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.state.user(email)
	if !ok {
		return nil, fmt.Errorf("add leads for %q: %w", email, ErrUnknownUser)
	}
	now := s.now().Format(time.RFC3339)
	by := map[string]any{"name": u.Name, "id": u.UserID}
	ids := make([]string, len(records))
	for i, rec := range records {
		stored := maps.Clone(rec)
		if stored == nil {
			stored = map[string]any{}
		}
		ids[i] = s.state.id()
		stored["id"], stored["Created_Time"], stored["Modified_Time"] = ids[i], now, now
		stored["Created_By"], stored["Modified_By"], stored["Owner"] = by, by, by
		s.state.leads[u.OrgID] = append(s.state.leads[u.OrgID], stored)
	}
	return ids, nil
}

// LeadRecords returns n records with Last_Name "Lead 1" … "Lead n" and
// Company "Acme", for AddLeads.
func LeadRecords(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"Last_Name": "Lead " + strconv.Itoa(i+1), "Company": "Acme"}
	}
	return out
}
