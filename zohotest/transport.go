package zohotest

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/zohoauth/zohoauth"
)

// ErrNotZoho is the error of Transport for a request to a host that is
// neither the emulator nor a Zoho server of a known data center.
var ErrNotZoho = errors.New("zohotest: not a Zoho host of a known data center")

// Transport returns an http.RoundTripper that sends every request for the
// accounts server or a CRM API URL of a known data center
// (https://accounts.zoho.eu, https://www.zohoapis.com, …) to the emulator,
// keeping the Host header, so a client that follows Zoho's data centers by
// their real URLs can be tested offline; the emulator tells the data center
// of a request by its Host (a device poll answers other_dc when it is not
// the approving user's). Requests to s.URL go through unchanged. Any other
// host is refused with an error matching ErrNotZoho, so nothing leaves the
// machine. base sends the requests; nil means http.DefaultTransport.
func (s *Server) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	hosts := map[string]bool{}
	for _, env := range zohoauth.Environments() {
		for _, u := range []string{env.AccountsURL, env.APIURL} {
			if p, err := url.Parse(u); err == nil {
				hosts[strings.ToLower(p.Host)] = true
			}
		}
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		own, err := url.Parse(s.URL)
		if err != nil || own.Host == "" {
			return nil, fmt.Errorf("zohotest: Transport needs a started server: %w", ErrNotZoho)
		}
		host := strings.ToLower(req.URL.Host)
		switch {
		case host == strings.ToLower(own.Host):
			return base.RoundTrip(req)
		case req.URL.Scheme == "https" && hosts[host]:
			out := req.Clone(req.Context())
			out.URL.Scheme, out.URL.Host = own.Scheme, own.Host
			out.Host = req.URL.Host
			return base.RoundTrip(out)
		}
		return nil, fmt.Errorf("zohotest: request to %s: %w", req.URL.Host, ErrNotZoho)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
