package zohoauth

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth/internal/tokenid"
)

// Token is one OAuth 2.0 credential of a Zoho CRM client: every field of the
// OAuthToken of Zoho's SDKs. An empty string means "absent" (Zoho's None);
// a zero Expiry means "unknown".
//
// A Token never prints a secret: String, GoString, Format and LogValue
// (value receivers, so a Token and a *Token alike) show the id, the user, the client id, the API domain, the expiry and, for each
// secret, only whether it is present and a short fingerprint.
type Token struct {
	// ID is the store's numeric id, a decimal string ("1", "2", …).
	ID string
	// UserName is Zoho's user signature, "email:zgid" in the v8 SDKs.
	UserName string
	// ClientID is the OAuth client id of the Zoho API console.
	ClientID string
	// ClientSecret is the OAuth client secret. Secret.
	ClientSecret string
	// GrantToken is the single-use authorization code. Secret.
	GrantToken string
	// RefreshToken never expires until revoked. Secret.
	RefreshToken string
	// AccessToken is valid for an hour. Secret.
	AccessToken string
	// Expiry is the instant the access token expires, at millisecond
	// precision (Zoho stores it as epoch milliseconds).
	Expiry time.Time
	// RedirectURL is the redirect URI registered with the client.
	RedirectURL string
	// APIDomain is the CRM API base URL of the token's data center,
	// e.g. https://www.zohoapis.eu.
	APIDomain string
}

// Clone returns a copy of t. A nil t gives nil.
func (t *Token) Clone() *Token {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// Merge fills every empty field of t with the value of the same field of
// from, leaving the fields t already has untouched. It is how a save
// combines a partial token with the stored one: an empty field never erases
// a stored value.
func (t *Token) Merge(from *Token) {
	if from == nil {
		return
	}
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&t.ID, from.ID)
	fill(&t.UserName, from.UserName)
	fill(&t.ClientID, from.ClientID)
	fill(&t.ClientSecret, from.ClientSecret)
	fill(&t.GrantToken, from.GrantToken)
	fill(&t.RefreshToken, from.RefreshToken)
	fill(&t.AccessToken, from.AccessToken)
	if t.Expiry.IsZero() {
		t.Expiry = from.Expiry
	}
	fill(&t.RedirectURL, from.RedirectURL)
	fill(&t.APIDomain, from.APIDomain)
}

// Email returns the e-mail part of the "email:zgid" user name.
func (t *Token) Email() string {
	email, _, _ := strings.Cut(t.UserName, ":")
	return email
}

// ExpiresIn returns the time left before the access token expires, measured
// from now. It is negative once expired, and zero when Expiry is unknown.
func (t *Token) ExpiresIn(now time.Time) time.Duration {
	if t.Expiry.IsZero() {
		return 0
	}
	return t.Expiry.Sub(now)
}

// msgMandatoryOAuth is the text of Zoho's error for a token with none of
// its keys (storekit.MsgMandatoryKey + storekit.MsgMandatoryKeysOAuth).
const msgMandatoryOAuth = "Value missing or None for mandatory key(s): " + `["grant_token","refresh_token","id","access_token"]`

// Validate applies the rules of the constructor of Zoho's OAuthToken:
//
//   - at least one of grant token, refresh token, id, access token or user
//     name must be set (Code CodeMandatoryValue);
//   - a token with none of id, access token and user name is a grant or
//     refresh token, and needs a client id and a client secret (Code
//     CodeTokenError, Detail naming the field);
//   - an id, when set, must be a valid store id (1 to 10 decimal digits).
//
// Every error wraps ErrInvalidToken.
func (t *Token) Validate() error {
	if t.GrantToken == "" && t.RefreshToken == "" && t.ID == "" && t.AccessToken == "" && t.UserName == "" {
		return &Error{Code: CodeMandatoryValue, Message: msgMandatoryOAuth, Err: ErrInvalidToken}
	}
	if t.ID == "" && t.AccessToken == "" && t.UserName == "" {
		if t.ClientID == "" {
			return &Error{Code: CodeTokenError, Message: "client_id is required for a grant or refresh token", Detail: "field client_id", Err: ErrInvalidToken}
		}
		if t.ClientSecret == "" {
			return &Error{Code: CodeTokenError, Message: "client_secret is required for a grant or refresh token", Detail: "field client_secret", Err: ErrInvalidToken}
		}
	}
	if t.ID != "" && !tokenid.Valid(t.ID) {
		return &Error{Code: CodeTokenError, Message: "id is not numeric", Detail: "field id", Err: ErrInvalidID}
	}
	return nil
}

// Fingerprint returns a short, non-reversible tag of a secret (the first 8
// hex digits of its SHA-256), or "" for an empty secret. It lets two secrets
// be told apart in a log without showing either.
func Fingerprint(secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:4])
}

func redacted(secret string) string {
	if secret == "" {
		return "-"
	}
	return "sha256:" + Fingerprint(secret)
}

// String returns a one-line description without any secret.
func (t Token) String() string {
	var b strings.Builder
	b.WriteString("Token{")
	fmt.Fprintf(&b, "id=%q user=%q client=%q", t.ID, t.UserName, t.ClientID)
	fmt.Fprintf(&b, " secret=%s grant=%s refresh=%s access=%s",
		redacted(t.ClientSecret), redacted(t.GrantToken), redacted(t.RefreshToken), redacted(t.AccessToken))
	if !t.Expiry.IsZero() {
		fmt.Fprintf(&b, " expiry=%s", t.Expiry.UTC().Format(time.RFC3339))
	}
	if t.APIDomain != "" {
		fmt.Fprintf(&b, " api=%q", t.APIDomain)
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so that %#v shows no secret either.
func (t Token) GoString() string { return t.String() }

// Format implements fmt.Formatter: every verb prints String (quoted for %q),
// so no formatting of a Token, with any flag, shows a secret.
func (t Token) Format(f fmt.State, verb rune) {
	s := t.String()
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = f.Write([]byte(s))
}

// LogValue implements slog.LogValuer with the same redaction as String.
func (t Token) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("id", t.ID),
		slog.String("user", t.UserName),
		slog.String("client", t.ClientID),
		slog.String("client_secret", redacted(t.ClientSecret)),
		slog.String("grant_token", redacted(t.GrantToken)),
		slog.String("refresh_token", redacted(t.RefreshToken)),
		slog.String("access_token", redacted(t.AccessToken)),
	}
	if !t.Expiry.IsZero() {
		attrs = append(attrs, slog.Time("expiry", t.Expiry))
	}
	if t.APIDomain != "" {
		attrs = append(attrs, slog.String("api_domain", t.APIDomain))
	}
	return slog.GroupValue(attrs...)
}
