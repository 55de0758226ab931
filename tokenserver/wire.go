package tokenserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// wireToken is a token on the wire, in the column names of Zoho's stores.
// expiry_time is the absolute expiry in epoch milliseconds, as a string, as
// Zoho's OAuthToken.expires_in holds it.
type wireToken struct {
	ID           string `json:"id,omitempty"`
	UserName     string `json:"user_name,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	AccessToken  string `json:"access_token,omitempty"`
	GrantToken   string `json:"grant_token,omitempty"`
	ExpiryTime   string `json:"expiry_time,omitempty"`
	RedirectURL  string `json:"redirect_url,omitempty"`
	APIDomain    string `json:"api_domain,omitempty"`
}

// toWire returns the wire form of t; without secrets, the refresh token,
// grant token and client secret are left out.
func toWire(t *zohoauth.Token, secrets bool) wireToken {
	w := wireToken{
		ID:          t.ID,
		UserName:    t.UserName,
		ClientID:    t.ClientID,
		AccessToken: t.AccessToken,
		ExpiryTime:  storekit.FormatExpiry(t.Expiry),
		RedirectURL: t.RedirectURL,
		APIDomain:   t.APIDomain,
	}
	if secrets {
		w.ClientSecret, w.RefreshToken, w.GrantToken = t.ClientSecret, t.RefreshToken, t.GrantToken
	}
	return w
}

// token returns the zohoauth.Token of w.
func (w wireToken) token() (*zohoauth.Token, error) {
	exp, err := storekit.ParseExpiry(w.ExpiryTime)
	if err != nil {
		return nil, errors.New("expiry_time is not epoch milliseconds")
	}
	return &zohoauth.Token{
		ID: w.ID, UserName: w.UserName, ClientID: w.ClientID, ClientSecret: w.ClientSecret,
		RefreshToken: w.RefreshToken, AccessToken: w.AccessToken, GrantToken: w.GrantToken,
		Expiry: exp, RedirectURL: w.RedirectURL, APIDomain: w.APIDomain,
	}, nil
}

// apiError is the JSON body of every error answer.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// writeJSON writes v with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, e)
}

// decodeBody decodes the request's JSON body into v: at most max bytes,
// one JSON value, no unknown field.
func decodeBody(w http.ResponseWriter, r *http.Request, max int64, v any) *apiError {
	r.Body = http.MaxBytesReader(w, r.Body, max)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "body_too_large", "the request body exceeds %d bytes", max)
		}
		if errors.Is(err, io.EOF) {
			return errorf(http.StatusBadRequest, "malformed_json", "the request body is empty; a JSON object is expected")
		}
		return errorf(http.StatusBadRequest, "malformed_json", "the request body is not the expected JSON object: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "body_too_large", "the request body exceeds %d bytes", max)
		}
		return errorf(http.StatusBadRequest, "malformed_json", "the request body has data after the JSON object")
	}
	return nil
}

// jsonProblem describes a decoding error without quoting the input (which
// may hold a secret).
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be a %s", te.Field, te.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of input"
	}
	if msg := err.Error(); len(msg) < 80 && !containsQuote(msg) {
		return msg
	}
	return "invalid JSON"
}

func containsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			return true
		}
	}
	return false
}

// tokenAnswer is the answer of GET /v1/token.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiryTime  string `json:"expiry_time,omitempty"`
	ExpiresIn   int64  `json:"expires_in,omitempty"`
	APIDomain   string `json:"api_domain,omitempty"`
	ID          string `json:"id"`
	UserName    string `json:"user_name,omitempty"`
	ClientID    string `json:"client_id,omitempty"`
}

func newTokenAnswer(t *zohoauth.Token, now time.Time) tokenAnswer {
	a := tokenAnswer{AccessToken: t.AccessToken, ExpiryTime: storekit.FormatExpiry(t.Expiry), APIDomain: t.APIDomain, ID: t.ID, UserName: t.UserName, ClientID: t.ClientID}
	if !t.Expiry.IsZero() {
		a.ExpiresIn = int64(t.Expiry.Sub(now) / time.Second)
	}
	return a
}
