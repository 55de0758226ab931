package auth

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"golang.org/x/oauth2"
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
type Transport struct {
	// Handle gives the access tokens.
	Handle *Handle
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
}

// Client returns an *http.Client that authenticates with h.
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
	access, err := t.Handle.AccessToken(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
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
	fresh, err := t.Handle.Invalidate(ctx, access)
	if err != nil {
		_ = resp.Body.Close()
		if replay != req {
			closeBody(replay)
		}
		return nil, err
	}
	if fresh == access {
		if replay != req {
			closeBody(replay)
		}
		return resp, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxPeek))
	_ = resp.Body.Close()
	return t.base().RoundTrip(withToken(replay, fresh))
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
// the renewals the source waits for.
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
