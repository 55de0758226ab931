package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// redacted replaces a secret in the debug output.
const redacted = "[redacted]"

// debugBodyLimit is how much of a body the debug output shows.
const debugBodyLimit = 4096

// debugTransport writes every HTTP exchange on w: the method, the URL, the
// form fields or JSON body sent, the status, the time taken and the JSON
// body received, with every secret redacted (the values of fields named
// like a secret, a token or a code, in the query, the form and the JSON;
// no header is shown, so neither is Authorization).
type debugTransport struct {
	base http.RoundTripper
	mu   *sync.Mutex
	w    io.Writer
}

// debugTransport returns a transport that logs its exchanges on a.stderr
// over base (nil: http.DefaultTransport).
func (a *app) debugTransport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &debugTransport{base: base, mu: &sync.Mutex{}, w: a.stderr}
}

// RoundTrip implements http.RoundTripper.
func (d *debugTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var sent string
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		sent = redactBody(req.Header.Get("Content-Type"), body)
	}
	start := time.Now()
	resp, err := d.base.RoundTrip(req)
	took := time.Since(start).Round(time.Millisecond)
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.w, "zohoauth: debug: > %s %s\n", req.Method, redactURL(req.URL))
	if sent != "" {
		fmt.Fprintf(d.w, "zohoauth: debug: >   %s\n", sent)
	}
	if err != nil {
		fmt.Fprintf(d.w, "zohoauth: debug: < error after %v: %s\n", took, printable(oneLine(err.Error())))
		return nil, err
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	fmt.Fprintf(d.w, "zohoauth: debug: < %s (%v)\n", printable(resp.Status), took)
	if len(body) > 0 {
		fmt.Fprintf(d.w, "zohoauth: debug: <   %s\n", redactBody(resp.Header.Get("Content-Type"), body))
	}
	if rerr != nil {
		return nil, rerr
	}
	return resp, nil
}

// secretName reports whether a field of that name holds a secret.
func secretName(name string) bool {
	n := strings.ToLower(name)
	if n == "code" || n == "state" {
		return true
	}
	for _, s := range []string{"secret", "token", "password", "passwd", "authorization", "assertion", "key"} {
		if strings.Contains(n, s) && n != "token_type" {
			return true
		}
	}
	return false
}

// redactURL returns u with the values of secret query parameters and any
// password of its user info replaced.
func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		if _, ok := c.User.Password(); ok {
			c.User = url.UserPassword(c.User.Username(), redacted)
		}
	}
	if c.RawQuery != "" {
		c.RawQuery = redactForm(c.RawQuery)
	}
	return printable(c.String())
}

// redactForm returns a URL-encoded form with its secret values replaced,
// in the sorted key order url.Values encodes.
func redactForm(raw string) string {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return redacted + " (a query that does not parse)"
	}
	for k, vs := range v {
		if secretName(k) {
			for i := range vs {
				vs[i] = redacted
			}
		}
	}
	return strings.ReplaceAll(v.Encode(), url.QueryEscape(redacted), redacted)
}

// redactBody returns a body for the debug output: a form or JSON with its
// secret values replaced, or only its size.
func redactBody(contentType string, body []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		return redactForm(string(body))
	case json.Valid(body):
		var v any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			break
		}
		out, err := json.Marshal(redactJSON(v))
		if err != nil {
			break
		}
		s := string(out)
		if len(s) > debugBodyLimit {
			s = s[:debugBodyLimit] + fmt.Sprintf("… (%d bytes)", len(body))
		}
		return printable(s)
	}
	return fmt.Sprintf("(%d bytes of %s)", len(body), printable(mt))
}

// redactJSON replaces the values of secret keys in a decoded JSON value.
func redactJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k := range x {
			if secretName(k) {
				x[k] = redacted
			} else {
				x[k] = redactJSON(x[k])
			}
		}
	case []any:
		for i := range x {
			x[i] = redactJSON(x[i])
		}
	}
	return v
}
