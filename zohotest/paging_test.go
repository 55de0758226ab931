package zohotest_test

import (
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/zohotest"
)

// walkLeads follows info.next_page_token from the first page to the last
// and returns every record id and the info of each page.
func walkLeads(t *testing.T, s *zohotest.Server, at, perPage string) ([]string, []map[string]any) {
	t.Helper()
	var ids []string
	var infos []map[string]any
	q := url.Values{"fields": {"Last_Name"}, "per_page": {perPage}}
	for range 1000 {
		status, m := call(t, "GET", s.URL+"/crm/v8/Leads?"+q.Encode(), nil, auth(at))
		if status != 200 {
			t.Fatalf("page %d: %d %v", len(infos)+1, status, m)
		}
		for _, r := range m["data"].([]any) {
			ids = append(ids, r.(map[string]any)["id"].(string))
		}
		info := m["info"].(map[string]any)
		infos = append(infos, info)
		if info["more_records"] != true {
			return ids, infos
		}
		q.Set("page_token", info["next_page_token"].(string))
	}
	t.Fatal("no last page")
	return nil, nil
}

func TestLeadsPageTokenPaging(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	at, _ := login(t, s)
	want, err := s.AddLeads("", zohotest.LeadRecords(2100)...)
	if err != nil {
		t.Fatal(err)
	}
	ids, infos := walkLeads(t, s, at, "200")
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("walked %d ids, want the %d added in order", len(ids), len(want))
	}
	if len(infos) != 11 {
		t.Fatalf("%d pages", len(infos))
	}
	for i, info := range infos {
		last := i == len(infos)-1
		count := 200.0
		if last {
			count = 100
		}
		if info["page"] != float64(i+1) || info["count"] != count || info["per_page"] != 200.0 || info["sort_by"] != "id" {
			t.Errorf("page %d info %v", i+1, info)
		}
		if last != (info["next_page_token"] == nil) || last != (info["page_token_expiry"] == nil) {
			t.Errorf("page %d: next_page_token %v expiry %v", i+1, info["next_page_token"], info["page_token_expiry"])
		}
		if _, ok := info["previous_page_token"]; !ok {
			t.Errorf("page %d: no previous_page_token member", i+1)
		}
	}
	if exp := infos[0]["page_token_expiry"]; exp != t0.Add(24*time.Hour).Format(time.RFC3339) {
		t.Errorf("page_token_expiry %v", exp)
	}
	// per_page 7 through page tokens reaches the same records.
	if ids, _ := walkLeads(t, s, at, "7"); fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("per_page=7 walked %d ids", len(ids))
	}
}

func TestLeadsDiscretePaging(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	at, _ := login(t, s)
	want, err := s.AddLeads(email, zohotest.LeadRecords(450)...)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for page := 1; ; page++ {
		status, m := call(t, "GET", fmt.Sprintf("%s/crm/v8/Leads?fields=Last_Name&page=%d", s.URL, page), nil, auth(at))
		if status == 204 {
			t.Fatalf("page %d: no content before more_records was false", page)
		}
		for _, r := range m["data"].([]any) {
			ids = append(ids, r.(map[string]any)["id"].(string))
		}
		info := m["info"].(map[string]any)
		if info["page"] != float64(page) {
			t.Errorf("info.page %v on page %d", info["page"], page)
		}
		if info["more_records"] != true {
			break
		}
		if info["next_page_token"] == nil {
			t.Errorf("page %d: more records but no next_page_token", page)
		}
	}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("pages gave %d ids, want %d", len(ids), len(want))
	}
	// page × per_page may not pass 2000 records.
	if status, _ := call(t, "GET", s.URL+"/crm/v8/Leads?fields=Last_Name&page=10&per_page=200", nil, auth(at)); status != 204 {
		t.Errorf("page 10 (records 1801-2000, none here): %d", status)
	}
	status, m := call(t, "GET", s.URL+"/crm/v8/Leads?fields=Last_Name&page=11&per_page=200", nil, auth(at))
	if status != 400 || m["code"] != "DISCRETE_PAGINATION_LIMIT_EXCEEDED" {
		t.Errorf("page 11: %d %v", status, m)
	}
}

func TestLeadsPageTokenErrors(t *testing.T) {
	s, clk := newServer(t, zohotest.Options{})
	at, rt := login(t, s)
	if _, err := s.AddLeads("", zohotest.LeadRecords(3)...); err != nil {
		t.Fatal(err)
	}
	_, m := call(t, "GET", s.URL+"/crm/v8/Leads?fields=Last_Name&per_page=1", nil, auth(at))
	tok := m["info"].(map[string]any)["next_page_token"].(string)
	get := func(q string, header string) (int, map[string]any) {
		t.Helper()
		return call(t, "GET", s.URL+"/crm/v8/Leads?fields=Last_Name&"+q, nil, auth(header))
	}
	if status, m := get("page=2&page_token="+url.QueryEscape(tok), at); status != 400 || m["code"] != "INVALID_REQUEST" {
		t.Errorf("page with page_token: %d %v", status, m)
	}
	if status, m := get("page_token=1000.nope", at); status != 400 || m["code"] != "INVALID_DATA" {
		t.Errorf("unknown page_token: %d %v", status, m)
	}
	// Another org's user cannot resume this org's listing.
	s.AddUser(zohotest.User{Email: "bob@other.example"})
	code, _ := s.IssueGrant(clientID, "bob@other.example")
	_, tm := call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(code), nil)
	if status, m := get("page_token="+url.QueryEscape(tok), tm["access_token"].(string)); status != 400 || m["code"] != "INVALID_DATA" {
		t.Errorf("page_token of another org: %d %v", status, m)
	}
	if status, m := get("per_page=1&page_token="+url.QueryEscape(tok), at); status != 200 || m["info"].(map[string]any)["page"] != 2.0 {
		t.Errorf("page_token: %d %v", status, m)
	}
	clk.Advance(zohotest.PageTokenTTL)
	_, rm := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil)
	at = rm["access_token"].(string)
	if status, m := get("per_page=1&page_token="+url.QueryEscape(tok), at); status != 400 || m["code"] != "INVALID_DATA" {
		t.Errorf("expired page_token: %d %v", status, m)
	}
	if _, err := s.AddLeads("nobody@example.com", zohotest.LeadRecords(1)...); !errors.Is(err, zohotest.ErrUnknownUser) {
		t.Errorf("AddLeads for an unknown user: %v", err)
	}
}
