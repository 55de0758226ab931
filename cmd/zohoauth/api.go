package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// apiOptions are the flags of api.
type apiOptions struct {
	sel         selector
	method      string
	headers     []string
	input       string
	include     bool
	timeout     time.Duration
	rawFields   []string // -f key=value
	typedFields []string // -F key=value
	paginate    bool
}

func (a *app) apiCmd() *cobra.Command {
	var o apiOptions
	c := &cobra.Command{
		Use:   "api [--user EMAIL | --id ID] [--client-id ID] [-X|--method METHOD] [-H|--header 'Name: value']... [-f|--raw-field key=value]... [-F|--field key=value]... [--input FILE|-] [--paginate] [-i|--include] [--timeout D] [METHOD] PATH",
		Short: "make an authenticated request to the CRM API",
		Args:  cobra.ArbitraryArgs, // api checks them, with an example
		RunE: func(c *cobra.Command, args []string) error {
			return a.api(c.Context(), &o, args)
		},
	}
	o.sel.register(c.Flags())
	c.Flags().StringVarP(&o.method, "method", "X", "", "HTTP `METHOD` (default GET, or POST with --input or fields)")
	c.Flags().StringArrayVarP(&o.headers, "header", "H", nil, "extra request header \"Name: value\" (repeatable)")
	c.Flags().StringArrayVarP(&o.rawFields, "raw-field", "f", nil, "a string field `key=value`: in the query of a GET, else in the JSON body (repeatable)")
	c.Flags().StringArrayVarP(&o.typedFields, "field", "F", nil, "a typed field `key=value`: true, false, null and numbers as JSON, @FILE the file's content (@- standard input) (repeatable)")
	c.Flags().StringVar(&o.input, "input", "", "`FILE` with the request body (- for standard input)")
	c.Flags().BoolVar(&o.paginate, "paginate", false, "follow the CRM's pages (info.more_records) and print every page's data as one JSON object")
	c.Flags().BoolVarP(&o.include, "include", "i", false, "print the status line and the response headers")
	c.Flags().DurationVar(&o.timeout, "timeout", time.Minute, "time limit of the request (of each page with --paginate)")
	return c
}

// apiField is one -f or -F field.
type apiField struct {
	key   string
	value any // string, bool, nil or json.Number
}

// parseFields reads the -f fields (strings) then the -F fields (typed).
func (a *app) parseFields(raw, typed []string) ([]apiField, error) {
	var out []apiField
	split := func(flag, kv string) (string, string, error) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return "", "", usageErrorf("%s %q is not key=value", flag, kv)
		}
		return k, v, nil
	}
	for _, kv := range raw {
		k, v, err := split("-f", kv)
		if err != nil {
			return nil, err
		}
		out = append(out, apiField{k, v})
	}
	for _, kv := range typed {
		k, v, err := split("-F", kv)
		if err != nil {
			return nil, err
		}
		f := apiField{key: k}
		switch {
		case v == "true", v == "false":
			f.value = v == "true"
		case v == "null":
			f.value = nil
		case strings.HasPrefix(v, "@"):
			b, err := a.readInput(v[1:])
			if err != nil {
				return nil, fmt.Errorf("-F %s: %w", k, err)
			}
			f.value = string(b)
		case json.Valid([]byte(v)) && v != "" && (v[0] == '-' || v[0] >= '0' && v[0] <= '9'):
			f.value = json.Number(v)
		default:
			f.value = v
		}
		out = append(out, f)
	}
	return out, nil
}

// queryValue is a field's value in a query string: null is empty.
func queryValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case bool:
		if v {
			return "true"
		}
		return "false"
	case json.Number:
		return string(v)
	}
	return v.(string)
}

// inQuery reports whether a method carries its fields in the query: GET,
// HEAD and DELETE (the CRM's DELETE takes its ids there).
func inQuery(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodDelete
}

func (a *app) api(ctx context.Context, o *apiOptions, args []string) error {
	method := o.method
	var path string
	switch len(args) {
	case 1:
		path = args[0]
	case 2:
		if method != "" && !strings.EqualFold(method, args[0]) {
			return usageErrorf("api: method given twice (-X %s and %s)", method, args[0])
		}
		method, path = args[0], args[1]
	default:
		return usageErrorf("api needs [METHOD] PATH, e.g. zohoauth api GET /crm/v8/Leads")
	}
	fields, err := a.parseFields(o.rawFields, o.typedFields)
	if err != nil {
		return err
	}
	var body []byte
	if o.input != "" {
		if body, err = a.readInput(o.input); err != nil {
			return err
		}
	}
	if method == "" {
		method = http.MethodGet
		if body != nil || len(fields) > 0 && !o.paginate {
			method = http.MethodPost
		}
	}
	method = strings.ToUpper(method)
	if o.paginate && (method != http.MethodGet || o.include) {
		return usageErrorf("api --paginate follows the pages of a GET, without --include")
	}

	h, tok, done, err := a.handle(ctx, &o.sel)
	if err != nil {
		return err
	}
	defer done()
	target, err := apiURL(tok.APIDomain, path)
	if err != nil {
		return err
	}
	if len(fields) > 0 {
		if inQuery(method) || body != nil {
			u, _ := url.Parse(target) // apiURL parsed it
			q := u.Query()
			for _, f := range fields {
				q.Add(f.key, queryValue(f.value))
			}
			u.RawQuery = q.Encode()
			target = u.String()
		} else {
			obj := make(map[string]any, len(fields))
			for _, f := range fields {
				obj[f.key] = f.value
			}
			if body, err = json.Marshal(obj); err != nil {
				return err
			}
		}
	}
	var headers http.Header = map[string][]string{}
	for _, hv := range o.headers {
		name, value, ok := strings.Cut(hv, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return usageErrorf("-H %q is not \"Name: value\"", hv)
		}
		headers.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if body != nil && headers.Get("Content-Type") == "" {
		headers.Set("Content-Type", "application/json")
	}
	var base http.RoundTripper
	if hc := a.client(); hc != nil {
		base = hc.Transport
	}
	client := h.Client(base)
	if o.paginate {
		return a.paginate(ctx, client, o, target, headers)
	}
	resp, cancel, err := a.send(ctx, client, o.timeout, method, target, headers, body)
	if err != nil {
		return err
	}
	defer cancel()
	defer resp.Body.Close()
	if o.include {
		writeHead(a.stdout, resp)
	}
	if err := a.writeBody(resp.Body, method == http.MethodHead); err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		return &httpStatusError{status: resp.Status}
	}
	return nil
}

// send makes one request within timeout; cancel ends its context once the
// answer's body is read.
func (a *app) send(ctx context.Context, client *http.Client, timeout time.Duration, method, target string, headers http.Header, body []byte) (*http.Response, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		cancel()
		return nil, nil, usageErrorf("api: %v", err)
	}
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = nil, nil, 0
	}
	req.Header = headers.Clone()
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return resp, cancel, nil
}

// writeHead writes the status line and the headers, sorted.
func writeHead(w io.Writer, resp *http.Response) {
	fmt.Fprintf(w, "%s %s\n", resp.Proto, resp.Status)
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range resp.Header[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintln(w)
}

// maxPrettyBody bounds the body read whole to be indented on a terminal;
// a longer one is copied as it comes.
const maxPrettyBody = 32 << 20

// writeBody copies an answer's body to standard output. On a terminal a
// JSON body is indented and coloured (not coloured when NO_COLOR is set);
// otherwise it goes as it came. A body that lacks a final newline gets
// one.
func (a *app) writeBody(r io.Reader, empty bool) error {
	if empty {
		return nil
	}
	if a.isTerminal(a.stdout) {
		b, err := io.ReadAll(io.LimitReader(r, maxPrettyBody+1))
		if err != nil {
			return fmt.Errorf("reading the answer: %w", err)
		}
		if len(b) <= maxPrettyBody {
			return a.writeJSONBody(b)
		}
		r = io.MultiReader(bytes.NewReader(b), r)
	}
	w := &lastByteWriter{w: a.stdout}
	if _, err := io.Copy(w, r); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if w.n > 0 && w.last != '\n' {
		_, err := fmt.Fprintln(a.stdout)
		return err
	}
	return nil
}

// writeJSONBody writes a whole body to the terminal: indented and, unless
// NO_COLOR is set, coloured when it is JSON; as it is otherwise.
func (a *app) writeJSONBody(b []byte) error {
	var out bytes.Buffer
	if json.Valid(b) {
		var ind bytes.Buffer
		_ = json.Indent(&ind, b, "", "  ") // valid: cannot fail
		if a.getenv("NO_COLOR") == "" {
			colorJSON(&out, ind.Bytes())
		} else {
			out.Write(ind.Bytes())
		}
	} else {
		out.Write(b)
	}
	if out.Len() > 0 && out.Bytes()[out.Len()-1] != '\n' {
		out.WriteByte('\n')
	}
	_, err := a.stdout.Write(out.Bytes())
	return err
}

func (a *app) readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(a.stdin)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	return b, nil
}

// apiURL resolves path against the token's API domain. An absolute URL must
// be on that domain: the access token goes to no other host.
func apiURL(apiDomain, path string) (string, error) {
	if apiDomain == "" {
		apiDomain = "https://www.zohoapis.com"
	}
	base, err := url.Parse(apiDomain)
	if err != nil || base.Host == "" {
		return "", fmt.Errorf("the token's API domain %q is not a URL", apiDomain)
	}
	joined := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		joined = strings.TrimRight(apiDomain, "/") + "/" + strings.TrimLeft(path, "/")
	}
	u, err := url.Parse(joined)
	if err != nil {
		return "", usageErrorf("api: %q is not a valid URL path (write a literal %% as %%25)", path)
	}
	if u.Scheme != base.Scheme || u.Host != base.Host {
		return "", usageErrorf("api: refusing to send the token to %s://%s: the token's API domain is %s", u.Scheme, u.Host, apiDomain)
	}
	return u.String(), nil
}

// lastByteWriter remembers the last byte written through it.
type lastByteWriter struct {
	w    io.Writer
	n    int64
	last byte
}

func (l *lastByteWriter) Write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if n > 0 {
		l.n += int64(n)
		l.last = p[n-1]
	}
	return n, err
}
