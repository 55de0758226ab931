package zohotest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/zohotest"
)

func postJSON(t *testing.T, u, tok, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(body))
	req.Header.Set("Authorization", "Zoho-oauthtoken "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("body: %v", err)
	}
	return resp.StatusCode, m
}

func TestLeads(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	at, _ := login(t, s)
	leads := s.URL + "/crm/v8/Leads"

	if status, m := call(t, "GET", leads+"?fields=Last_Name", nil, auth(at)); status != 204 || m != nil {
		t.Fatalf("empty module: %d %v", status, m)
	}
	status, m := postJSON(t, leads, at, `{"data":[{"Last_Name":"Smith","Company":"Acme"},{"Company":"NoName"},{"Last_Name":"Jones"}]}`)
	if status != http.StatusMultiStatus {
		t.Errorf("mixed insert: %d", status)
	}
	data := m["data"].([]any)
	codes := []string{}
	for _, d := range data {
		codes = append(codes, d.(map[string]any)["code"].(string))
	}
	if got := strings.Join(codes, ","); got != "SUCCESS,MANDATORY_NOT_FOUND,SUCCESS" {
		t.Errorf("codes %s", got)
	}
	first := data[0].(map[string]any)["details"].(map[string]any)
	if first["id"] == "" || first["Created_By"].(map[string]any)["id"] != "900" {
		t.Errorf("details %v", first)
	}

	status, m = call(t, "GET", leads+"?fields=Last_Name,Company", nil, auth(at))
	if status != 200 {
		t.Fatalf("list: %d %v", status, m)
	}
	recs := m["data"].([]any)
	r0 := recs[0].(map[string]any)
	if len(recs) != 2 || r0["Last_Name"] != "Smith" || r0["Company"] != "Acme" || r0["id"] != first["id"] {
		t.Errorf("list %v", m)
	}
	if _, ok := r0["Created_Time"]; ok {
		t.Errorf("field not asked for: %v", r0)
	}
	status, m = call(t, "GET", leads+"?fields=Last_Name&per_page=1&page=2", nil, auth(at))
	if status != 200 || len(m["data"].([]any)) != 1 || m["info"].(map[string]any)["more_records"] != false {
		t.Errorf("page 2: %d %v", status, m)
	}

	// Another org does not see these records.
	s.AddUser(zohotest.User{Email: "bob@other.example"})
	code, _ := s.IssueGrant(clientID, "bob@other.example")
	_, tm := call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(code), nil)
	if status, _ := call(t, "GET", leads+"?fields=Last_Name", nil, auth(tm["access_token"].(string))); status != 204 {
		t.Errorf("other org sees records: %d", status)
	}

	bad := []struct {
		name, method, url, body string
		status                  int
		code                    string
	}{
		{"no fields", "GET", leads, "", 400, "REQUIRED_PARAM_MISSING"},
		{"bad page", "GET", leads + "?fields=a&page=0", "", 400, "INVALID_DATA"},
		{"bad per_page", "GET", leads + "?fields=a&per_page=201", "", 400, "INVALID_DATA"},
		{"not JSON", "POST", leads, "{", 400, "INVALID_DATA"},
		{"no data", "POST", leads, `{"data":[]}`, 400, "INVALID_DATA"},
		{"too many", "POST", leads, `{"data":[` + strings.Repeat(`{"Last_Name":"x"},`, 100) + `{"Last_Name":"x"}]}`, 400, "LIMIT_EXCEEDED"},
		{"method", "DELETE", leads, "", 405, "INVALID_REQUEST_METHOD"},
		{"bad version", "GET", s.URL + "/crm/v99/Leads?fields=a", "", 404, "INVALID_URL_PATTERN"},
		{"unknown path", "GET", s.URL + "/crm/v8/Deals", "", 404, "INVALID_URL_PATTERN"},
		{"unknown user type", "GET", s.URL + "/crm/v8/users?type=Robots", "", 400, "INVALID_DATA"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Zoho-oauthtoken "+at)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			if resp.StatusCode != tt.status || m["code"] != tt.code {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, b, tt.status, tt.code)
			}
		})
	}
	// All failed records: 400 with per-record codes.
	if status, m := postJSON(t, leads, at, `{"data":[{"Company":"x"},7]}`); status != 400 || len(m["data"].([]any)) != 2 {
		t.Errorf("all invalid: %d %v", status, m)
	}
}

func TestAllUsers(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	s.AddUser(zohotest.User{Email: "colleague@example.com", OrgID: "800", ZGID: "700"})
	s.AddUser(zohotest.User{Email: "stranger@example.com"})
	at, _ := login(t, s)
	_, m := call(t, "GET", s.URL+"/crm/v8/users?type=AllUsers", nil, auth(at))
	var emails []string
	for _, u := range m["users"].([]any) {
		emails = append(emails, u.(map[string]any)["email"].(string))
	}
	if fmt.Sprint(emails) != "[ann@example.com colleague@example.com]" {
		t.Errorf("users of the org: %v", emails)
	}
}

func TestCheckScopes(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{CheckScopes: true})
	tokenWith := func(scopes ...string) string {
		code, err := s.IssueGrant(clientID, "", scopes...)
		if err != nil {
			t.Fatal(err)
		}
		_, m := call(t, "POST", s.URL+"/oauth/v2/token", exchangeForm(code), nil)
		return m["access_token"].(string)
	}
	tests := []struct {
		scopes []string
		path   string
		want   int
	}{
		{[]string{"ZohoCRM.users.READ"}, "/crm/v8/users?type=CurrentUser", 200},
		{[]string{"ZohoCRM.users.ALL"}, "/crm/v8/users?type=CurrentUser", 200},
		{[]string{"ZohoCRM.org.READ"}, "/crm/v8/users?type=CurrentUser", 401},
		{[]string{"ZohoCRM.users.READ"}, "/crm/v8/org", 401},
		{[]string{"zohocrm.org.all"}, "/crm/v8/org", 200},
		{[]string{"ZohoCRM.modules.ALL"}, "/crm/v8/Leads?fields=Last_Name", 204},
		{[]string{"ZohoCRM.modules.leads.READ"}, "/crm/v8/Leads?fields=Last_Name", 204},
		{[]string{"ZohoCRM.modules.READ"}, "/crm/v8/Leads?fields=Last_Name", 204},
		{[]string{"ZohoCRM.modules.contacts.ALL"}, "/crm/v8/Leads?fields=Last_Name", 401},
		{nil, "/crm/v8/org", 200}, // no scopes recorded: not checked
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.scopes, ",")+tt.path, func(t *testing.T) {
			status, m := call(t, "GET", s.URL+tt.path, nil, auth(tokenWith(tt.scopes...)))
			if status != tt.want || (tt.want == 401 && m["code"] != "OAUTH_SCOPE_MISMATCH") {
				t.Errorf("%d %v, want %d", status, m, tt.want)
			}
		})
	}
}

func TestServerInfo(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{Location: "in"})
	_, m := call(t, "GET", s.URL+"/oauth/serverinfo", nil, nil)
	if m["locations"].(map[string]any)["in"] != s.URL {
		t.Errorf("serverinfo %v", m)
	}
}

func FuzzParseLeads(f *testing.F) {
	for _, seed := range []string{`{"data":[{"Last_Name":"a"}]}`, `{"data":[1,{"Last_Name":""},null]}`, `{`, `[]`, `{"data":{}}`, ``, `{"data":[{"Last_Name":"x","Owner":{"id":"1"}}]}`} {
		f.Add([]byte(seed))
	}
	s := zohotest.NewServer(zohotest.Options{})
	f.Cleanup(s.Close)
	s.AddClient(zohotest.Client{ID: clientID, Secret: clientSecret})
	s.AddUser(zohotest.User{Email: email})
	at, _ := login(f, s)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, _ := http.NewRequest("POST", s.URL+"/crm/v8/Leads", bytes.NewReader(body))
		req.Header.Set("Authorization", "Zoho-oauthtoken "+at)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			t.Fatalf("answer is not JSON: %v", err)
		}
		switch resp.StatusCode {
		case 201, 207:
			if m["data"] == nil {
				t.Fatalf("%d without data: %v", resp.StatusCode, m)
			}
		case 400:
			if m["data"] == nil && m["code"] == nil {
				t.Fatalf("400 without code or data: %v", m)
			}
		default:
			t.Fatalf("status %d for %q", resp.StatusCode, body)
		}
	})
}
