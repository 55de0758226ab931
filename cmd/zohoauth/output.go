package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/zohoauth/zohoauth"
)

// tokenView is the JSON of a token in list and show. The secrets are there
// only with show --reveal.
type tokenView struct {
	ID               string     `json:"id"`
	User             string     `json:"user,omitempty"`
	Email            string     `json:"email,omitempty"`
	ClientID         string     `json:"client_id,omitempty"`
	DataCenter       string     `json:"data_center,omitempty"`
	APIDomain        string     `json:"api_domain,omitempty"`
	RedirectURL      string     `json:"redirect_url,omitempty"`
	Expiry           *time.Time `json:"expiry,omitempty"`
	ExpiresInSeconds *int64     `json:"expires_in_seconds,omitempty"`
	Expired          bool       `json:"expired"`
	HasClientSecret  bool       `json:"has_client_secret"`
	HasGrantToken    bool       `json:"has_grant_token"`
	HasRefreshToken  bool       `json:"has_refresh_token"`
	HasAccessToken   bool       `json:"has_access_token"`
	ClientSecret     string     `json:"client_secret,omitempty"`
	GrantToken       string     `json:"grant_token,omitempty"`
	RefreshToken     string     `json:"refresh_token,omitempty"`
	AccessToken      string     `json:"access_token,omitempty"`
}

func viewOf(t *zohoauth.Token, now time.Time, reveal bool) tokenView {
	v := tokenView{
		ID:              t.ID,
		User:            t.UserName,
		Email:           t.Email(),
		ClientID:        t.ClientID,
		DataCenter:      dataCenter(t.APIDomain),
		APIDomain:       t.APIDomain,
		RedirectURL:     t.RedirectURL,
		HasClientSecret: t.ClientSecret != "",
		HasGrantToken:   t.GrantToken != "",
		HasRefreshToken: t.RefreshToken != "",
		HasAccessToken:  t.AccessToken != "",
	}
	if !t.Expiry.IsZero() {
		e := t.Expiry.UTC()
		left := int64(t.Expiry.Sub(now) / time.Second)
		v.Expiry, v.ExpiresInSeconds = &e, &left
		v.Expired = !now.Before(t.Expiry)
	}
	if reveal {
		v.ClientSecret, v.GrantToken, v.RefreshToken, v.AccessToken = t.ClientSecret, t.GrantToken, t.RefreshToken, t.AccessToken
	}
	return v
}

// dataCenter names the data center of an API domain: "us", "eu/sandbox",
// the host of an unknown domain, or "" for none.
func dataCenter(apiDomain string) string {
	if apiDomain == "" {
		return ""
	}
	env, err := zohoauth.LookupEnvironment(apiDomain)
	if err != nil {
		if u, perr := url.Parse(apiDomain); perr == nil && u.Host != "" {
			return u.Host
		}
		return apiDomain
	}
	if env.Kind == zohoauth.Production {
		return env.DC
	}
	return env.String()
}

// secretsPresent lists which secrets a token holds: "secret,refresh,access".
func secretsPresent(t *zohoauth.Token) string {
	var s []string
	if t.ClientSecret != "" {
		s = append(s, "secret")
	}
	if t.GrantToken != "" {
		s = append(s, "grant")
	}
	if t.RefreshToken != "" {
		s = append(s, "refresh")
	}
	if t.AccessToken != "" {
		s = append(s, "access")
	}
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// orDash returns s made printable, or "-" for "".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return printable(s)
}

// printable returns s with what could drive a terminal or forge a line
// escaped as Go escapes it (\x1b, \r, \n, \u202e, \xff): C0 and C1 control
// characters (tab, CR and LF included), DEL, the bidirectional and line
// separator format characters, and bytes that are not UTF-8. Stored text
// (a user name, a client id, a URL) may come from anyone who could write to
// the store, or from a file another program wrote.
func printable(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			b.WriteString(strings.Trim(strconv.QuoteRune(r), "'"))
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeRune reports whether r is escaped by printable.
func unsafeRune(r rune) bool {
	switch {
	case r < ' ', r >= 0x7f && r <= 0x9f: // C0, DEL, C1 (0x9b is CSI)
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi
		return true
	case r == 0x2028, r == 0x2029: // line and paragraph separators
		return true
	}
	return false
}

// writeTable writes the tokens as the list table.
func writeTable(w io.Writer, tokens []*zohoauth.Token, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUSER\tCLIENT\tDC\tEXPIRES\tSECRETS")
	for _, t := range tokens {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", printable(t.ID), orDash(t.Email()), orDash(t.ClientID),
			orDash(dataCenter(t.APIDomain)), timeLeft(*t, now), secretsPresent(t))
	}
	return tw.Flush()
}

// writeDetails writes one token as "key: value" lines.
func writeDetails(w io.Writer, t *zohoauth.Token, now time.Time, reveal bool) error {
	secret := func(s string) string {
		switch {
		case s == "":
			return "-"
		case reveal:
			return printable(s)
		}
		return "present (sha256:" + zohoauth.Fingerprint(s) + ")"
	}
	expiry := "-"
	if !t.Expiry.IsZero() {
		expiry = t.Expiry.UTC().Format(time.RFC3339) + " (" + timeLeft(*t, now) + ")"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	for _, kv := range [][2]string{
		{"id", printable(t.ID)},
		{"user", orDash(t.UserName)},
		{"client id", orDash(t.ClientID)},
		{"data center", orDash(dataCenter(t.APIDomain))},
		{"api domain", orDash(t.APIDomain)},
		{"redirect url", orDash(t.RedirectURL)},
		{"expiry", expiry},
		{"client secret", secret(t.ClientSecret)},
		{"grant token", secret(t.GrantToken)},
		{"refresh token", secret(t.RefreshToken)},
		{"access token", secret(t.AccessToken)},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], kv[1])
	}
	return tw.Flush()
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// oneLine joins the lines of a message.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// timeLeft formats the time left until t: "59m12s", "expired 3m ago", "-".
func timeLeft(t zohoauth.Token, now time.Time) string {
	if t.Expiry.IsZero() {
		return "-"
	}
	d := t.Expiry.Sub(now).Round(time.Second)
	if d <= 0 {
		return "expired " + shortDuration(-d) + " ago"
	}
	return shortDuration(d)
}

// shortDuration formats d as "2d3h", "1h05m", "59m12s", "5s".
func shortDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd%dh", d/(24*time.Hour), (d%(24*time.Hour))/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", d/time.Hour, (d%time.Hour)/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", d/time.Minute, (d%time.Minute)/time.Second)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
