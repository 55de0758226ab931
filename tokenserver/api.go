package tokenserver

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/storekit"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// recheck is how long a cached handle is trusted before the store is asked
// again whether its token still exists: a token deleted or revoked through
// another instance stops being handed out here within that time.
const recheck = 5 * time.Second

// apiFunc is an API handler, called with the caller's key.
type apiFunc func(w http.ResponseWriter, r *http.Request, k *Key) *apiError

// methods dispatches an API path by method: a method it lacks is 405 with
// an Allow header, before the key is checked.
type methods map[string]apiFunc

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.Handler) { mux.Handle(pattern, s.counted(pattern, h)) }
	handle("/healthz", http.HandlerFunc(s.healthz))
	handle("/readyz", http.HandlerFunc(s.readyz))
	handle("/v1/token", s.api(methods{http.MethodGet: s.getToken}))
	handle("/v1/tokens", s.api(methods{http.MethodGet: s.listTokens, http.MethodPost: s.saveToken, http.MethodDelete: s.deleteTokens}))
	handle("/v1/tokens/find", s.api(methods{http.MethodPost: s.findToken}))
	handle("/v1/tokens/{id}", s.api(methods{http.MethodGet: s.findTokenByID, http.MethodDelete: s.deleteToken}))
	handle("/v1/revoke", s.api(methods{http.MethodPost: s.revoke}))
	if s.cfg.Metrics != nil {
		handle("/metrics", s.metrics())
	}
	s.consoleRoutes(handle)
	mux.Handle("/", s.counted("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "not_found", "no such endpoint: %s", r.URL.Path))
	})))
	return mux
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "use GET"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz reports whether the store answers: a look-up of an id that is
// never allocated must come back "not found" within 2 s.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "use GET"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.FindTokenByID(ctx, "0"); err != nil && !errors.Is(err, zohoauth.ErrNotFound) {
		s.log.Warn("zohoauth serve: not ready", "err", err)
		writeError(w, errorf(http.StatusServiceUnavailable, "store_unavailable", "the token store does not answer"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// api wraps the handlers of one path: method, then key, then rate limit.
func (s *Server) api(m methods) http.Handler {
	allow := make([]string, 0, len(m))
	for meth := range m {
		allow = append(allow, meth)
	}
	slices.Sort(allow)
	allowed := strings.Join(allow, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fn := m[r.Method]
		if fn == nil {
			w.Header().Set("Allow", allowed)
			writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed here; use %s", r.Method, allowed))
			return
		}
		k, e := s.authenticate(r)
		if e != nil {
			writeError(w, e)
			return
		}
		if !s.limiter(k).AllowN(s.clock.Now(), 1) {
			s.deny(r, k.ID, http.StatusTooManyRequests, ReasonRateLimited, "rate limit")
			s.tel.rateLimited.Add(r.Context(), 1, metric.WithAttributeSet(attribute.NewSet(attrKeyID.String(k.ID))))
			w.Header().Set("Retry-After", "1")
			writeError(w, errorf(http.StatusTooManyRequests, "rate_limited", "too many requests for this API key"))
			return
		}
		if e := fn(w, r, k); e != nil {
			if e.Status == http.StatusForbidden {
				s.deny(r, k.ID, e.Status, ReasonOutOfScope, e.Code)
			}
			writeError(w, e)
		}
	})
}

// authenticate checks the request's bearer key.
func (s *Server) authenticate(r *http.Request) (*Key, *apiError) {
	h := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || key == "" {
		s.deny(r, "", http.StatusUnauthorized, ReasonNoKey, "no API key")
		return nil, errorf(http.StatusUnauthorized, "unauthorized", "an API key is required: Authorization: Bearer zak_…")
	}
	k, err := s.keys.Authenticate(key, s.clock.Now())
	switch {
	case err == nil:
		return k, nil
	case errors.Is(err, ErrKeyRevoked):
		s.deny(r, k.ID, http.StatusUnauthorized, ReasonRevokedKey, "revoked key")
		return nil, errorf(http.StatusUnauthorized, "key_revoked", "this API key was revoked")
	case errors.Is(err, ErrKeyExpired):
		s.deny(r, k.ID, http.StatusUnauthorized, ReasonExpiredKey, "expired key")
		return nil, errorf(http.StatusUnauthorized, "key_expired", "this API key expired")
	case errors.Is(err, ErrBadKey):
		id, _ := keyID(key)
		s.deny(r, id, http.StatusUnauthorized, ReasonInvalidKey, "invalid key")
		return nil, errorf(http.StatusUnauthorized, "unauthorized", "invalid API key")
	}
	s.log.Error("zohoauth serve: key file", "err", err)
	return nil, errorf(http.StatusInternalServerError, "internal", "the API keys cannot be read")
}

// deny logs and counts a refused call: who (key id, never the key), what,
// why (reason, one of the Reason… constants, and a detail for the log).
func (s *Server) deny(r *http.Request, keyID string, status int, reason, detail string) {
	s.log.Warn("zohoauth serve: denied", "status", status, "reason", reason, "detail", detail, "key_id", keyID,
		"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
	s.tel.denied.Add(r.Context(), 1, metric.WithAttributeSet(attribute.NewSet(attrReason.String(reason))))
}

func outOfScope(what string) *apiError {
	return errorf(http.StatusForbidden, "out_of_scope", "this API key may not act on %s", what)
}

// cachedHandle is an Authenticator handle with what the scope check needs.
type cachedHandle struct {
	h        *auth.Handle
	id       string
	userName string
	clientID string
	checked  atomic.Int64 // unix nanoseconds of the last check that the token is stored
}

func (c *cachedHandle) token() *zohoauth.Token {
	return &zohoauth.Token{ID: c.id, UserName: c.userName, ClientID: c.clientID}
}

// handleFor returns the cached handle of the token of user (an e-mail or
// email:zgid) and client (may be empty), finding it in the store first.
func (s *Server) handleFor(ctx context.Context, user, client string) (*cachedHandle, *apiError) {
	ck := "u\x00" + user + "\x00" + client
	if v, ok := s.handles.Load(ck); ok {
		c := v.(*cachedHandle)
		if s.stillStored(ctx, c) {
			return c, nil
		}
		// Deleted, or its id now holds another token: find the user's
		// token afresh (it may have been saved again under a new id).
		s.handles.Delete(ck)
	}
	tok, e := s.findUser(ctx, user, client)
	if e != nil {
		return nil, e
	}
	c := s.handleByID(tok)
	s.handles.Store(ck, c)
	return c, nil
}

// handleByID returns the cached handle of the stored token t. The
// Authenticator's handle is made from the id alone.
func (s *Server) handleByID(t *zohoauth.Token) *cachedHandle {
	ck := "i\x00" + t.ID
	if v, ok := s.handles.Load(ck); ok {
		if c := v.(*cachedHandle); c.userName == t.UserName && c.clientID == t.ClientID {
			return c
		}
	}
	c := &cachedHandle{h: s.auth.For(&zohoauth.Token{ID: t.ID}), id: t.ID, userName: t.UserName, clientID: t.ClientID}
	c.checked.Store(s.clock.Now().UnixNano())
	s.handles.Store(ck, c)
	return c
}

// stillStored reports whether a cached handle's token is still stored
// under its id for the same user and client, asking the store at most once
// per recheck interval. A token that is gone or replaced has its cached
// handles dropped. When the store holds another access token than the
// Authenticator's (renewed by another instance, or the user logged in
// again), the Authenticator is made to adopt the stored one.
func (s *Server) stillStored(ctx context.Context, c *cachedHandle) bool {
	now := s.clock.Now().UnixNano()
	last := c.checked.Load()
	if now-last < int64(recheck) || !c.checked.CompareAndSwap(last, now) {
		return true
	}
	stored, err := s.store.FindTokenByID(ctx, c.id)
	switch {
	case errors.Is(err, zohoauth.ErrNotFound):
		s.forget(c.id)
		return false
	case err != nil:
		s.log.Warn("zohoauth serve: store check failed", "id", c.id, "err", err)
		return true
	case stored.UserName != c.userName || stored.ClientID != c.clientID:
		s.forget(c.id)
		return false
	}
	if cur, err := c.h.AccessToken(ctx); err == nil && cur != stored.AccessToken {
		_, _ = c.h.Invalidate(ctx, cur)
	}
	return true
}

// errMoved reports a cached handle whose id no longer holds its token.
var errMoved = errorf(http.StatusNotFound, "not_found", "the token was deleted")

// validToken returns the valid token of c from the Authenticator, checked
// to be c's token. Store ids may be reused after a delete, so the
// Authenticator's memory of an id may be another token: when the store
// still holds c's token under the id, the Authenticator is made to adopt
// it; when it does not, c is dropped and errMoved returned. Another
// user's token is never handed out.
func (s *Server) validToken(ctx context.Context, c *cachedHandle) (*zohoauth.Token, *apiError) {
	t, err := c.h.Token(ctx)
	if err != nil {
		return nil, s.authError(err, c.id)
	}
	if t.UserName == c.userName && t.ClientID == c.clientID {
		return t, nil
	}
	stored, err := s.store.FindTokenByID(ctx, c.id)
	if err != nil && !errors.Is(err, zohoauth.ErrNotFound) {
		return nil, s.storeError(err, "")
	}
	if err != nil || stored.UserName != c.userName || stored.ClientID != c.clientID {
		s.forget(c.id)
		return nil, errMoved
	}
	if _, err := c.h.Invalidate(ctx, t.AccessToken); err != nil && !errors.Is(err, zohoauth.ErrNotFound) {
		return nil, s.authError(err, c.id)
	}
	// The renewal found another login under the id and the authenticator
	// dropped the token it held (ErrNotFound): the next read resolves the
	// id afresh.
	if t, err = c.h.Token(ctx); err != nil {
		return nil, s.authError(err, c.id)
	}
	if t.UserName == c.userName && t.ClientID == c.clientID {
		return t, nil
	}
	s.forget(c.id)
	s.log.Error("zohoauth serve: the authenticator holds another token under this id", "id", c.id)
	return nil, errorf(http.StatusServiceUnavailable, "unavailable", "the token changed while it was read; try again")
}

// forget drops the cached handles of the token id.
func (s *Server) forget(id string) {
	s.handles.Range(func(k, v any) bool {
		if v.(*cachedHandle).id == id {
			s.handles.Delete(k)
		}
		return true
	})
}

// findUser finds the one stored token of user (email:zgid, or an e-mail
// matched case-insensitively) and client (any when empty).
func (s *Server) findUser(ctx context.Context, user, client string) (*zohoauth.Token, *apiError) {
	if strings.Contains(user, ":") {
		t, err := s.store.FindToken(ctx, &zohoauth.Token{UserName: user, ClientID: client})
		if err != nil {
			return nil, s.storeError(err, "no token for this user")
		}
		if client != "" && t.ClientID != client {
			return nil, errorf(http.StatusNotFound, "not_found", "no token for this user and client")
		}
		return t, nil
	}
	all, err := s.store.Tokens(ctx)
	if err != nil {
		return nil, s.storeError(err, "")
	}
	var found []*zohoauth.Token
	for _, t := range all {
		if strings.EqualFold(t.Email(), user) && (client == "" || t.ClientID == client) {
			found = append(found, t)
		}
	}
	switch len(found) {
	case 0:
		return nil, errorf(http.StatusNotFound, "not_found", "no token for this user")
	case 1:
		return found[0], nil
	}
	return nil, errorf(http.StatusConflict, "ambiguous", "%d tokens match this user; give client_id or the full email:zgid", len(found))
}

// storeError maps a store error to an answer; notFound is the message of
// ErrNotFound.
func (s *Server) storeError(err error, notFound string) *apiError {
	switch {
	case errors.Is(err, zohoauth.ErrNotFound):
		if notFound == "" {
			notFound = "no such token"
		}
		return errorf(http.StatusNotFound, "not_found", "%s", notFound)
	case errors.Is(err, zohoauth.ErrNothingToSave):
		return errorf(http.StatusBadRequest, "nothing_to_save", "%s", storekit.MsgDetailsNotFound)
	case errors.Is(err, zohoauth.ErrInvalidID):
		return errorf(http.StatusBadRequest, "invalid_id", "a token id is a number of 1 to 10 digits")
	case errors.Is(err, zohoauth.ErrConflict):
		return errorf(http.StatusConflict, "conflict", "this user already has another token of this client")
	}
	s.log.Error("zohoauth serve: store", "err", err)
	return errorf(http.StatusServiceUnavailable, "store_unavailable", "the token store failed")
}

// authError maps an Authenticator error to an answer.
func (s *Server) authError(err error, id string) *apiError {
	var ae *accounts.Error
	switch {
	case errors.Is(err, zohoauth.ErrNotFound):
		s.forget(id)
		return errorf(http.StatusNotFound, "not_found", "the token was deleted")
	case errors.Is(err, auth.ErrReauthorize):
		return errorf(http.StatusConflict, "reauthorize", "the token cannot be refreshed: the user must log in again")
	case errors.Is(err, accounts.ErrThrottled):
		return errorf(http.StatusServiceUnavailable, "throttled", "Zoho throttles refreshes of this token; try later")
	case errors.Is(err, auth.ErrLockTimeout), auth.Temporary(err), errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusServiceUnavailable, "unavailable", "Zoho or the store did not answer in time; try later")
	case auth.Permanent(err), errors.As(err, &ae):
		return errorf(http.StatusBadGateway, "refresh_failed", "Zoho refused to refresh the token")
	}
	s.log.Error("zohoauth serve: token", "id", id, "err", err)
	return errorf(http.StatusServiceUnavailable, "unavailable", "the token could not be renewed")
}

// getToken answers GET /v1/token?user=…&client_id=….
func (s *Server) getToken(w http.ResponseWriter, r *http.Request, k *Key) *apiError {
	q := r.URL.Query()
	user, client := q.Get("user"), q.Get("client_id")
	if user == "" {
		return errorf(http.StatusBadRequest, "missing_parameter", "the user parameter is required (an e-mail or email:zgid)")
	}
	if client != "" && !k.allowsClient(client) {
		return outOfScope("this client")
	}
	if strings.Contains(user, ":") && !k.allowsUser(user) {
		return outOfScope("this user")
	}
	for range 2 {
		c, e := s.handleFor(r.Context(), user, client)
		if e != nil {
			return e
		}
		if !k.AllowsToken(c.token()) {
			return outOfScope("this user's token")
		}
		t, e := s.validToken(r.Context(), c)
		if e == errMoved {
			continue // find the user's token again
		}
		if e != nil {
			return e
		}
		writeJSON(w, http.StatusOK, newTokenAnswer(t, s.clock.Now()))
		return nil
	}
	return errMoved
}

// minValid is the time left under which find and find-by-id renew a
// stored access token before answering (Zoho's SDKs refresh by themselves
// under 5 s).
const minValid = time.Minute

// valid returns the stored token t with a valid access token: t itself
// when its access token has at least minValid left (the store is the
// truth, so a token just saved through the API is answered as saved),
// otherwise the token renewed through the Authenticator.
func (s *Server) valid(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, *apiError) {
	if t.AccessToken != "" && (t.Expiry.IsZero() || t.Expiry.Sub(s.clock.Now()) >= minValid) {
		return t, nil
	}
	return s.validToken(ctx, s.handleByID(t))
}

// findToken answers POST /v1/tokens/find: find_token.
func (s *Server) findToken(w http.ResponseWriter, r *http.Request, k *Key) *apiError {
	var in wireToken
	if e := decodeBody(w, r, s.cfg.MaxBodyBytes, &in); e != nil {
		return e
	}
	partial, err := in.token()
	if err != nil {
		return errorf(http.StatusBadRequest, "malformed_token", "%s", err)
	}
	var buf [2]storekit.Key
	if len(storekit.FindKeys(buf[:0], partial)) == 0 {
		return errorf(http.StatusBadRequest, "malformed_token", "give a user_name, access_token, grant_token, refresh_token or id to find")
	}
	t, err := s.store.FindToken(r.Context(), partial)
	if err != nil {
		return s.storeError(err, "no token matches")
	}
	return s.answerFound(w, r, k, t)
}

// findTokenByID answers GET /v1/tokens/{id}: find_token_by_id.
func (s *Server) findTokenByID(w http.ResponseWriter, r *http.Request, k *Key) *apiError {
	id := r.PathValue("id")
	if !storekit.ValidID(id) {
		return errorf(http.StatusBadRequest, "invalid_id", "a token id is a number of 1 to 10 digits")
	}
	t, err := s.store.FindTokenByID(r.Context(), id)
	if err != nil {
		return s.storeError(err, "no token with this id")
	}
	return s.answerFound(w, r, k, t)
}

// answerFound writes the answer of a find: t, valid, as k may see it.
func (s *Server) answerFound(w http.ResponseWriter, r *http.Request, k *Key, t *zohoauth.Token) *apiError {
	if !k.AllowsToken(t) {
		return outOfScope("this token")
	}
	v, e := s.valid(r.Context(), t)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, toWire(v, k.Secrets))
	return nil
}

// saveToken answers POST /v1/tokens: save_token. The key must cover the
// stored token it updates and the result.
func (s *Server) saveToken(w http.ResponseWriter, r *http.Request, k *Key) *apiError {
	var in wireToken
	if e := decodeBody(w, r, s.cfg.MaxBodyBytes, &in); e != nil {
		return e
	}
	t, err := in.token()
	if err != nil {
		return errorf(http.StatusBadRequest, "malformed_token", "%s", err)
	}
	if t.ID != "" && !storekit.ValidID(t.ID) {
		return errorf(http.StatusBadRequest, "invalid_id", "a token id is a number of 1 to 10 digits")
	}
	ctx := r.Context()
	var stored *zohoauth.Token
	if t.ID != "" {
		stored, err = s.store.FindTokenByID(ctx, t.ID)
	} else if ks := storekit.FindKeys(nil, t); len(ks) > 0 {
		stored, err = s.store.FindToken(ctx, t)
	}
	if err != nil && !errors.Is(err, zohoauth.ErrNotFound) {
		return s.storeError(err, "")
	}
	if stored != nil && !k.AllowsToken(stored) {
		return outOfScope("the stored token")
	}
	merged := t.Clone()
	merged.Merge(stored)
	if !k.AllowsToken(merged) {
		return outOfScope("this token")
	}
	if err := s.store.SaveToken(ctx, t); err != nil {
		return s.storeError(err, "")
	}
	writeJSON(w, http.StatusOK, toWire(t, k.Secrets))
	return nil
}

// listTokens answers GET /v1/tokens: get_tokens, the tokens in the key's
// scope as stored (no renewal).
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, k *Key) *apiError {
	all, err := s.store.Tokens(r.Context())
	if err != nil {
		return s.storeError(err, "")
	}
	out := make([]wireToken, 0, len(all))
	for _, t := range all {
		if k.AllowsToken(t) {
			out = append(out, toWire(t, k.Secrets))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

// deleteTokens answers DELETE /v1/tokens: delete_tokens, of the key's
// scope.
func (s *Server) deleteTokens(w http.ResponseWriter, r *http.Request, k *Key) *apiError {
	ctx := r.Context()
	all, err := s.store.Tokens(ctx)
	if err != nil {
		return s.storeError(err, "")
	}
	n := 0
	if k.Admin || (slices.Contains(k.Users, "*") && slices.Contains(k.Clients, "*")) {
		if err := s.store.DeleteTokens(ctx); err != nil {
			return s.storeError(err, "")
		}
		n = len(all)
	} else {
		for _, t := range all {
			if !k.AllowsToken(t) {
				continue
			}
			if err := s.store.DeleteToken(ctx, t.ID); err != nil && !errors.Is(err, zohoauth.ErrNotFound) {
				return s.storeError(err, "")
			}
			n++
		}
	}
	for _, t := range all {
		s.forget(t.ID)
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
	return nil
}

// deleteToken answers DELETE /v1/tokens/{id}: delete_token.
func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, k *Key) *apiError {
	id := r.PathValue("id")
	if !storekit.ValidID(id) {
		return errorf(http.StatusBadRequest, "invalid_id", "a token id is a number of 1 to 10 digits")
	}
	t, err := s.store.FindTokenByID(r.Context(), id)
	if err != nil {
		return s.storeError(err, "no token with this id")
	}
	if !k.AllowsToken(t) {
		return outOfScope("this token")
	}
	if err := s.store.DeleteToken(r.Context(), id); err != nil {
		return s.storeError(err, "no token with this id")
	}
	s.forget(id)
	writeJSON(w, http.StatusOK, map[string]string{"deleted": id})
	return nil
}

// revokeRequest names the tokens to revoke: one id, a user's, or a
// client's (client_id narrows the other two).
type revokeRequest struct {
	ID       string `json:"id,omitempty"`
	User     string `json:"user,omitempty"`
	ClientID string `json:"client_id,omitempty"`
}

// revokeResult is the answer of a revoke.
type revokeResult struct {
	Revoked []string       `json:"revoked"`
	Failed  []revokeFailed `json:"failed,omitempty"`
}

type revokeFailed struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

// revoke answers POST /v1/revoke.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request, k *Key) *apiError {
	var in revokeRequest
	if e := decodeBody(w, r, s.cfg.MaxBodyBytes, &in); e != nil {
		return e
	}
	res, e := s.revokeTokens(r.Context(), k, in)
	if e != nil {
		return e
	}
	status := http.StatusOK
	if len(res.Failed) > 0 {
		status = http.StatusBadGateway
	}
	writeJSON(w, status, res)
	return nil
}

// revokeTokens selects the tokens of the request, checks that the key
// covers every one of them (else nothing is revoked), then revokes each at
// Zoho and deletes it from the store.
func (s *Server) revokeTokens(ctx context.Context, k *Key, in revokeRequest) (*revokeResult, *apiError) {
	var sel []*zohoauth.Token
	switch {
	case in.ID != "":
		if !storekit.ValidID(in.ID) {
			return nil, errorf(http.StatusBadRequest, "invalid_id", "a token id is a number of 1 to 10 digits")
		}
		t, err := s.store.FindTokenByID(ctx, in.ID)
		if err != nil {
			return nil, s.storeError(err, "no token with this id")
		}
		if in.ClientID != "" && t.ClientID != in.ClientID {
			return nil, errorf(http.StatusNotFound, "not_found", "the token belongs to another client")
		}
		sel = []*zohoauth.Token{t}
	case in.User != "" || in.ClientID != "":
		all, err := s.store.Tokens(ctx)
		if err != nil {
			return nil, s.storeError(err, "")
		}
		for _, t := range all {
			if in.ClientID != "" && t.ClientID != in.ClientID {
				continue
			}
			if in.User != "" && t.UserName != in.User && (strings.Contains(in.User, ":") || !strings.EqualFold(t.Email(), in.User)) {
				continue
			}
			sel = append(sel, t)
		}
		if len(sel) == 0 {
			return nil, errorf(http.StatusNotFound, "not_found", "no token matches")
		}
	default:
		return nil, errorf(http.StatusBadRequest, "missing_parameter", "give id, user or client_id")
	}
	for _, t := range sel {
		if !k.AllowsToken(t) {
			return nil, outOfScope("token " + t.ID)
		}
	}
	res := &revokeResult{Revoked: []string{}}
	for _, t := range sel {
		if err := s.revokeOne(ctx, t); err != nil {
			res.Failed = append(res.Failed, revokeFailed{ID: t.ID, Error: err.Error()})
			continue
		}
		res.Revoked = append(res.Revoked, t.ID)
	}
	return res, nil
}

// revokeOne revokes t's refresh token (or its access token, when it has
// none) at Zoho, then deletes it from the store. A token Zoho refuses to
// revoke stays stored. The returned error holds no secret.
func (s *Server) revokeOne(ctx context.Context, t *zohoauth.Token) error {
	secret := t.RefreshToken
	if secret == "" {
		secret = t.AccessToken
	}
	if secret != "" {
		if err := s.accounts.Revoke(ctx, t, secret); err != nil {
			s.log.Warn("zohoauth serve: revoke failed", "id", t.ID, "err", err)
			var ae *accounts.Error
			if errors.As(err, &ae) && ae.Code != "" {
				return errors.New("Zoho refused the revocation: " + ae.Code)
			}
			return errors.New("Zoho could not be reached to revoke")
		}
	}
	if err := s.store.DeleteToken(ctx, t.ID); err != nil && !errors.Is(err, zohoauth.ErrNotFound) {
		s.log.Error("zohoauth serve: revoked at Zoho but not deleted", "id", t.ID, "err", err)
		return errors.New("revoked at Zoho, but the store failed to delete it")
	}
	s.forget(t.ID)
	s.log.Info("zohoauth serve: token revoked", "id", t.ID, "user", t.UserName, "client_id", t.ClientID)
	return nil
}
