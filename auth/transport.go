package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/zohoauth/zohoauth"
)

// HeaderPrefix is the scheme of Zoho's Authorization header.
const HeaderPrefix = "Zoho-oauthtoken "

// maxPeek bounds how much of a 401 answer is read to look for INVALID_TOKEN.
const maxPeek = 64 << 10

// Transport is an http.RoundTripper that authenticates requests to the
// Zoho CRM API with a Handle's access token ("Authorization:
// Zoho-oauthtoken …"), unless the request has an Authorization header
// already (as Zoho's SDKs do). When Zoho answers 401 with INVALID_TOKEN
// (the token was revoked or pushed out by newer ones before its expiry),
// it renews the token once, shared with concurrent requests and only if
// the token that failed is still the current one, and sends the request
// again, when its body can be sent again (GetBody, or no body).
//
// The token goes only to its own hosts: the origin (scheme, host and port)
// of its API domain and, for a Zoho data center, that data center's
// accounts and file upload servers. A redirect to any other origin (another
// host, another port, https to http) is followed without the token, unless
// it would send the request's body again (307, 308); that one, and a request
// of the caller's own to another origin, fail with ErrForeignHost.
// A token whose API domain is not trusted (accounts.Client.TrustedAPIDomain)
// is sent nowhere: zohoauth.ErrUntrustedAPIDomain.
type Transport struct {
	// Handle gives the access tokens.
	Handle *Handle
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// ErrForeignHost reports a request that Transport refused because it goes
// to a host the access token may not be sent to.
var ErrForeignHost = errors.New("auth: refusing to send the access token to a host other than its API domain's")

// Client returns an *http.Client that authenticates with h. It follows
// redirects as http.Client does, without the token to another origin.
func (h *Handle) Client(base http.RoundTripper) *http.Client {
	return &http.Client{Transport: &Transport{Handle: h, Base: base}}
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "" {
		return t.base().RoundTrip(req)
	}
	ctx := req.Context()
	st, err := t.Handle.current(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if err := t.Handle.mayReceive(st.tok, req.URL); err != nil {
		if errors.Is(err, ErrForeignHost) && req.Response != nil && (req.Body == nil || req.Body == http.NoBody) {
			// A redirect the client follows: without the token. One that
			// would send the body again (307, 308) is refused: the body is
			// the caller's CRM data.
			return t.base().RoundTrip(req)
		}
		closeBody(req)
		return nil, err
	}
	access := st.access
	resp, err := t.base().RoundTrip(withToken(req, access))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	peek, rerr := io.ReadAll(io.LimitReader(resp.Body, maxPeek))
	resp.Body = &peekedBody{Reader: io.MultiReader(bytes.NewReader(peek), resp.Body), Closer: resp.Body}
	if rerr != nil || !bytes.Contains(peek, []byte(`"INVALID_TOKEN"`)) {
		return resp, nil
	}
	replay := req
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return resp, nil // the body is spent: the caller sees Zoho's 401
		}
		body, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		replay = req.Clone(ctx)
		replay.Body = body
	}
	fresh, err := t.Handle.invalidate(ctx, access)
	if err == nil && fresh.access != access {
		err = t.Handle.mayReceive(fresh.tok, replay.URL) // a renewal may name another API domain
	}
	if err != nil {
		_ = resp.Body.Close()
		if replay != req {
			closeBody(replay)
		}
		return nil, err
	}
	if fresh.access == access {
		if replay != req {
			closeBody(replay)
		}
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxPeek))
	_ = resp.Body.Close()
	return t.base().RoundTrip(withToken(replay, fresh.access))
}

// mayReceive reports, as an error, whether tok's access token may be sent
// to u: nil when u's origin is tok's API domain (or, when that is a Zoho
// data center's, its accounts or file upload server), ErrForeignHost when
// it is another one, zohoauth.ErrUntrustedAPIDomain when tok's API domain
// is not trusted. A token without an API domain (and no environment) may
// go to Zoho's hosts only.
func (h *Handle) mayReceive(tok *zohoauth.Token, u *url.URL) error {
	to := requestOrigin(u)
	api := tok.APIDomain
	if api == "" {
		api = h.a.accounts.Environment.APIURL
	}
	if api == "" {
		if _, err := zohoauth.TrustedAPIDomain(to); err != nil {
			return fmt.Errorf("%w: %s (the token has no API domain)", ErrForeignHost, to)
		}
		return nil
	}
	own, err := h.a.accounts.TrustedAPIDomain(api)
	if err != nil {
		return fmt.Errorf("auth: the token's API domain: %w", err)
	}
	if to == own {
		return nil
	}
	if env, err := zohoauth.LookupEnvironment(own); err == nil && strings.HasPrefix(own, "https://") &&
		(to == env.AccountsURL || to == env.FileUploadURL) {
		return nil
	}
	return fmt.Errorf("%w: %s (the token's API domain is %s)", ErrForeignHost, to, own)
}

// requestOrigin returns "scheme://host[:port]" of u in lower case, without
// the scheme's default port.
func requestOrigin(u *url.URL) string {
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	return scheme + "://" + host
}

// withToken returns a copy of req with the Authorization header set; the
// copy shares req's body.
func withToken(req *http.Request, access string) *http.Request {
	r := req.Clone(req.Context())
	r.Body = req.Body
	r.Header.Set("Authorization", HeaderPrefix+access)
	return r
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

type peekedBody struct {
	io.Reader
	io.Closer
}

// TokenSource returns an oauth2.TokenSource of h, for code built on
// golang.org/x/oauth2: each Token call returns a valid token with type
// "Zoho-oauthtoken" (so oauth2.Transport sends Zoho's header) and the
// access token's expiry. The refresh token is not exposed. ctx is used for
// the renewals the source waits for. Unlike Transport, oauth2.Transport
// adds the token to every request it sends, redirects to other hosts
// included: use Client or Transport where a server may redirect.
func (h *Handle) TokenSource(ctx context.Context) oauth2.TokenSource {
	return tokenSource{ctx: ctx, h: h}
}

type tokenSource struct {
	ctx context.Context
	h   *Handle
}

func (s tokenSource) Token() (*oauth2.Token, error) {
	st, err := s.h.state(s.ctx)
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: st.access, TokenType: "Zoho-oauthtoken", Expiry: st.tok.Expiry}, nil
}
