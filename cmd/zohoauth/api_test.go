package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/zohotest"
)

// TestAPIFieldTypes: -f values are strings; -F values are JSON true,
// false, null and numbers, @FILE the file's content, anything else a
// string; a field that is not key=value is a usage error.
func TestAPIFieldTypes(t *testing.T) {
	h := newHarness(t)
	file := filepath.Join(t.TempDir(), "note.txt")
	if err := os.WriteFile(file, []byte("from a file"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := h.app(strings.NewReader("from stdin"), nil, nil)
	fields, err := a.parseFields(
		[]string{"s=42", "t=true", "eq=a=b", "empty="},
		[]string{"n=42", "neg=-1.5e3", "yes=true", "no=false", "nil=null", "word=hello", "file=@" + file, "in=@-", "zip=01234x", "inf=1e999x"})
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]any{}
	for _, f := range fields {
		obj[f.key] = f.value
	}
	got, _ := json.Marshal(obj)
	want := `{"empty":"","eq":"a=b","file":"from a file","in":"from stdin","inf":"1e999x","n":42,"neg":-1.5e3,"nil":null,"no":false,"s":"42","t":"true","word":"hello","yes":true,"zip":"01234x"}`
	if string(got) != want {
		t.Errorf("fields as JSON:\n got %s\nwant %s", got, want)
	}
	for _, bad := range [][]string{{"-f", "novalue"}, {"-F", "=x"}, {"-F", "f=@/no/such/file"}} {
		r := h.run("api", "/crm/v8/org", bad[0], bad[1])
		if r.code == 0 {
			t.Errorf("api %s %s: %+v", bad[0], bad[1], r)
		}
	}
}

// TestAPIFieldsOnTheWire: the fields go in the query of a GET and in a
// JSON body otherwise (a POST by default).
func TestAPIFieldsOnTheWire(t *testing.T) {
	h := newHarness(t)
	h.login()
	if _, err := h.emu.AddLeads(testEmail, zohotest.LeadRecords(5)...); err != nil {
		t.Fatal(err)
	}
	r := h.must("api", "GET", "/crm/v8/Leads", "-f", "fields=Last_Name,Company", "-F", "per_page=2", "--debug")
	var page crmPage
	if err := json.Unmarshal([]byte(r.stdout), &page); err != nil || len(page.Data) != 2 || !page.Info.MoreRecords {
		t.Fatalf("GET with fields: %v %s", err, r.stdout)
	}
	if !strings.Contains(r.stderr, "/crm/v8/Leads?fields=Last_Name%2CCompany&per_page=2") {
		t.Errorf("query not sent: %s", r.stderr)
	}
	r = h.run("api", "/crm/v8/Leads", "-F", "trigger=null", "-F", "count=3", "-f", "name=Ada", "-F", "ok=true", "--debug")
	if !strings.Contains(r.stderr, "> POST ") || !strings.Contains(r.stderr, `{"count":3,"name":"Ada","ok":true,"trigger":null}`) {
		t.Errorf("POST body not sent: %+v", r)
	}
	// With --input the fields go to the query.
	in := filepath.Join(t.TempDir(), "body.json")
	os.WriteFile(in, []byte(`{"data":[{"Last_Name":"Byron"}]}`), 0o600)
	r = h.must("api", "/crm/v8/Leads", "--input", in, "-f", "trigger=workflow", "--debug")
	if !strings.Contains(r.stderr, "> POST ") || !strings.Contains(r.stderr, "/crm/v8/Leads?trigger=workflow") || !strings.Contains(r.stdout, "SUCCESS") {
		t.Errorf("--input with a field: %+v", r)
	}
}

// TestAPIPaginate2100Records walks 2100 leads (11 pages of 200, by page
// token) into one JSON object, every record once and in order.
func TestAPIPaginate2100Records(t *testing.T) {
	h := newHarness(t)
	h.login()
	if _, err := h.emu.AddLeads(testEmail, zohotest.LeadRecords(2100)...); err != nil {
		t.Fatal(err)
	}
	h.emu.ResetStats()
	var out pagedOutput
	var r result
	func() {
		var stdout, stderr syncBuffer
		code := h.app(strings.NewReader(""), &stdout, &stderr).main(t.Context(), []string{"api", "--paginate", "GET", "/crm/v8/Leads", "-f", "fields=Last_Name"})
		r = result{code, stdout.String(), stderr.String()}
	}()
	if r.code != 0 {
		t.Fatalf("--paginate: %d %s", r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Info.Count != 2100 || len(out.Data) != 2100 || out.Info.Pages != 11 || out.Info.MoreRecords {
		t.Fatalf("--paginate: info %+v, %d records", out.Info, len(out.Data))
	}
	ids := map[string]bool{}
	for i, raw := range out.Data {
		var rec struct{ ID, Last_Name string }
		json.Unmarshal(raw, &rec)
		if rec.Last_Name != "Lead "+strconv.Itoa(i+1) || ids[rec.ID] {
			t.Fatalf("record %d: %s", i, raw)
		}
		ids[rec.ID] = true
	}
	if st := h.emu.Stats(); st.Calls["GET /crm/v8/Leads"] != 11 {
		t.Errorf("requests: %v", st.Calls)
	}
	if !strings.HasSuffix(r.stdout, "\n") {
		t.Errorf("no final newline")
	}
}

// TestAPIPaginateByPage: an answer with more_records and no page token is
// followed with page = info.page + 1.
func TestAPIPaginateByPage(t *testing.T) {
	h := newHarness(t)
	h.login()
	if _, err := h.emu.AddLeads(testEmail, zohotest.LeadRecords(450)...); err != nil {
		t.Fatal(err)
	}
	h.emu.Inject(zohotest.Fault{Path: "/crm/v8/Leads", Body: []byte(`{"data":[{"id":"x1"}],"info":{"more_records":true,"page":1,"per_page":200,"next_page_token":null}}`)})
	r := h.must("api", "--paginate", "/crm/v8/Leads", "-f", "fields=Last_Name", "--debug")
	var out pagedOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	// x1, then page 2 (leads 201-400) and, by its page token, 401-450.
	if out.Info.Count != 251 || out.Info.Pages != 3 || !strings.Contains(string(out.Data[0]), "x1") || !strings.Contains(string(out.Data[1]), `"Lead 201"`) {
		t.Errorf("--paginate by page: %+v, first %s %s", out.Info, out.Data[0], out.Data[1])
	}
	if !strings.Contains(r.stderr, "page=2") || !strings.Contains(r.stderr, "page_token=") {
		t.Errorf("requests: %s", r.stderr)
	}
	// --paginate is for GET.
	if r := h.run("api", "--paginate", "-X", "POST", "/crm/v8/Leads"); r.code != exitUsage {
		t.Errorf("--paginate POST: %+v", r)
	}
	// An error page stops the walk: its body is printed, exit 6.
	h.emu.Inject(zohotest.Fault{Path: "/crm/v8/Leads", Status: http.StatusBadRequest, Body: []byte(`{"code":"INVALID_DATA","status":"error"}`)})
	if r := h.run("api", "--paginate", "/crm/v8/Leads", "-f", "fields=Last_Name"); r.code != exitHTTP || !strings.Contains(r.stdout, "INVALID_DATA") || !strings.Contains(r.stderr, "HTTP 400") {
		t.Errorf("--paginate on an error: %+v", r)
	}
}

// TestAPIOutputTerminalColourPipe: on a terminal JSON is indented and
// coloured, indented and plain with NO_COLOR; piped it is as it came; a
// body without a final newline gets one; an error status is said on
// standard error (exit 6) with the body on standard output.
func TestAPIOutputTerminalColourPipe(t *testing.T) {
	h := newHarness(t)
	h.login()
	const body = `{"org":[{"zgid":"1","ok":true,"n":null,"s":"a\"b"}]}`
	answer := func() { h.emu.Inject(zohotest.Fault{Path: "/crm/v8/org", Body: []byte(body)}) }

	answer()
	r := h.must("api", "/crm/v8/org")
	if r.stdout != body+"\n" {
		t.Errorf("piped: %q", r.stdout)
	}

	h.isTerm = true
	answer()
	r = h.must("api", "/crm/v8/org")
	for _, want := range []string{colorKey + `"org"` + colorReset + ": [", "\n      " + colorKey + `"zgid"` + colorReset + ": " + colorString + `"1"` + colorReset,
		colorBool + "true" + colorReset, colorNull + "null" + colorReset, colorString + `"a\"b"` + colorReset} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, r.stdout)
		}
	}

	h.env["NO_COLOR"] = "1"
	answer()
	r = h.must("api", "/crm/v8/org")
	var v any
	if strings.Contains(r.stdout, "\x1b") || !strings.Contains(r.stdout, "\n      \"zgid\": \"1\",") || json.Unmarshal([]byte(r.stdout), &v) != nil {
		t.Errorf("NO_COLOR: %q", r.stdout)
	}

	h.isTerm = false
	h.emu.Inject(zohotest.Fault{Path: "/crm/v8/Nope", Status: http.StatusNotFound, Body: []byte(`{"code":"INVALID_URL_PATTERN"}`)})
	r = h.run("api", "/crm/v8/Nope")
	if r.code != exitHTTP || r.stdout != `{"code":"INVALID_URL_PATTERN"}`+"\n" || !strings.Contains(r.stderr, "HTTP 404 Not Found") {
		t.Errorf("404: %+v", r)
	}
}

func TestColorJSON(t *testing.T) {
	var b strings.Builder
	for _, in := range []string{`{"a":[1,-2.5e3,true,false,null,"x:y"],"b\\":{}}`, `"s"`, `[]`} {
		var out bytes.Buffer
		colorJSON(&out, []byte(in))
		plain := strings.NewReplacer(colorKey, "", colorString, "", colorNumber, "", colorBool, "", colorNull, "", colorReset, "").Replace(out.String())
		if plain != in {
			t.Errorf("colorJSON(%s) without colours = %s", in, plain)
		}
		b.WriteString(out.String())
	}
	if !strings.Contains(b.String(), colorString+`"x:y"`+colorReset) || !strings.Contains(b.String(), colorKey+`"b\\"`+colorReset) {
		t.Errorf("colours: %q", b.String())
	}
}
