package zohoauth

import (
	"fmt"
	"net/url"
	"strings"
)

// Kind is the kind of a Zoho CRM environment.
type Kind string

// The three environments every data center offers.
const (
	Production Kind = "production"
	Sandbox    Kind = "sandbox"
	Developer  Kind = "developer"
)

// Environment is one Zoho CRM environment of one data center: where its CRM
// API lives and which Zoho Accounts server issues its tokens.
type Environment struct {
	// DC is the data center's code: us, eu, in, cn, jp, au, ca, sa or uk.
	DC string
	// Kind is production, sandbox or developer.
	Kind Kind
	// APIURL is the CRM API base URL, e.g. https://www.zohoapis.com.
	APIURL string
	// AccountsURL is the Zoho Accounts server, e.g. https://accounts.zoho.com.
	AccountsURL string
	// FileUploadURL is the base URL of file uploads.
	FileUploadURL string
}

// TokenURL returns the token endpoint, AccountsURL + "/oauth/v2/token"
// (what Zoho's SDKs call accounts_url).
func (e Environment) TokenURL() string { return e.AccountsURL + "/oauth/v2/token" }

// RevokeURL returns the revoke endpoint, TokenURL + "/revoke".
func (e Environment) RevokeURL() string { return e.TokenURL() + "/revoke" }

// AuthURL returns the consent page, AccountsURL + "/oauth/v2/auth".
func (e Environment) AuthURL() string { return e.AccountsURL + "/oauth/v2/auth" }

// String returns "dc/kind", e.g. "eu/sandbox".
func (e Environment) String() string { return e.DC + "/" + string(e.Kind) }

type dataCenter struct {
	code, domain, accounts, upload string
}

// The data centers of Zoho CRM (Zoho's DataCenter classes, plus UK, which
// Zoho Accounts serves although the SDKs lack it).
var dataCenters = [...]dataCenter{
	{"us", "zohoapis.com", "https://accounts.zoho.com", "https://content.zohoapis.com"},
	{"eu", "zohoapis.eu", "https://accounts.zoho.eu", "https://content.zohoapis.eu"},
	{"in", "zohoapis.in", "https://accounts.zoho.in", "https://content.zohoapis.in"},
	{"cn", "zohoapis.com.cn", "https://accounts.zoho.com.cn", "https://content.zohoapis.com.cn"},
	{"jp", "zohoapis.jp", "https://accounts.zoho.jp", "https://content.zohoapis.jp"},
	{"au", "zohoapis.com.au", "https://accounts.zoho.com.au", "https://content.zohoapis.com.au"},
	{"ca", "zohoapis.ca", "https://accounts.zohocloud.ca", "https://upload.zohocloud.ca"},
	{"sa", "zohoapis.sa", "https://accounts.zoho.sa", "https://files.zoho.sa"},
	{"uk", "zohoapis.uk", "https://accounts.zoho.uk", "https://content.zohoapis.uk"},
}

var kinds = [...]Kind{Production, Sandbox, Developer}

func (dc dataCenter) env(k Kind) Environment {
	host := "www."
	switch k {
	case Sandbox:
		host = "sandbox."
	case Developer:
		host = "developer."
	}
	return Environment{DC: dc.code, Kind: k, APIURL: "https://" + host + dc.domain, AccountsURL: dc.accounts, FileUploadURL: dc.upload}
}

// Environments returns every known environment: each data center in
// production, sandbox and developer.
func Environments() []Environment {
	out := make([]Environment, 0, len(dataCenters)*len(kinds))
	for _, dc := range dataCenters {
		for _, k := range kinds {
			out = append(out, dc.env(k))
		}
	}
	return out
}

// EnvironmentOf returns the environment of the data center with the given
// code (case-insensitive) and kind.
func EnvironmentOf(code string, kind Kind) (Environment, error) {
	code = strings.ToLower(strings.TrimSpace(code))
	for _, dc := range dataCenters {
		if dc.code != code {
			continue
		}
		for _, k := range kinds {
			if k == kind {
				return dc.env(k), nil
			}
		}
		return Environment{}, unknownEnvironment(fmt.Sprintf("kind %q", kind))
	}
	return Environment{}, unknownEnvironment(fmt.Sprintf("data center %q", code))
}

// LookupEnvironment finds an environment from any of the values Zoho uses
// for one: a data center code ("eu", optionally "eu-sandbox" or
// "eu/developer"), a CRM API URL (the api_domain of a token), an accounts
// server (the accounts-server of a login redirect, production assumed) or a
// token endpoint. Trailing slashes and case are ignored. An unknown value is
// an *Error with Code CodeEnvironment wrapping ErrUnknownEnvironment.
func LookupEnvironment(value string) (Environment, error) {
	v := strings.TrimRight(strings.ToLower(strings.TrimSpace(value)), "/")
	if v == "" {
		return Environment{}, unknownEnvironment(`""`)
	}
	if code, kind, ok := strings.Cut(strings.ReplaceAll(v, "/", "-"), "-"); ok && !strings.Contains(v, ":") {
		return EnvironmentOf(code, Kind(kind))
	}
	for _, dc := range dataCenters {
		if v == dc.code {
			return dc.env(Production), nil
		}
		for _, k := range kinds {
			e := dc.env(k)
			if v == e.APIURL {
				return e, nil
			}
		}
		if v == dc.accounts || v == dc.accounts+"/oauth/v2/token" {
			return dc.env(Production), nil
		}
	}
	return Environment{}, unknownEnvironment(fmt.Sprintf("%q", value))
}

func unknownEnvironment(what string) error {
	return &Error{Code: CodeEnvironment, Message: "unknown data center or environment", Detail: what, Err: ErrUnknownEnvironment}
}

// ErrUntrustedAPIDomain reports an API domain that is neither the https CRM
// API URL of a known data center nor one the caller allowed: an access token
// is never sent there, nor is a token naming it stored. It matches
// ErrUnknownEnvironment too.
var ErrUntrustedAPIDomain = fmt.Errorf("untrusted API domain: %w", ErrUnknownEnvironment)

// TrustedAPIDomain returns apiDomain in canonical form ("https://" and the
// lower-case host, no trailing slash) when it is
//
//   - the CRM API URL of a known environment (https://www.zohoapis.com,
//     https://sandbox.zohoapis.eu, …) or the accounts server of a known data
//     center (https://accounts.zoho.com, …), or
//   - one of allowed, compared as an origin: the same scheme, host and port
//     (http is accepted there, for an emulator on loopback).
//
// Anything else is an *Error with Code CodeEnvironment wrapping
// ErrUntrustedAPIDomain: another scheme, a user name or password, a path, a
// query or a fragment, a port, a host that only starts or ends like Zoho's.
// An entry of allowed that is not a bare origin allows nothing.
func TrustedAPIDomain(apiDomain string, allowed ...string) (string, error) {
	o, ok := origin(apiDomain)
	if ok {
		if strings.HasPrefix(o, "https://") && knownorigin(o) {
			return o, nil
		}
		for _, a := range allowed {
			if ao, aok := origin(a); aok && ao == o {
				return o, nil
			}
		}
	}
	return "", &Error{Code: CodeEnvironment, Message: "not the API URL of a Zoho data center nor an allowed one", Detail: quoteShort(apiDomain), Err: ErrUntrustedAPIDomain}
}

// knownOrigin reports whether o is the API URL of a known environment or the
// accounts server of a known data center.
func knownorigin(o string) bool {
	for _, dc := range dataCenters {
		if o == dc.accounts {
			return true
		}
		for _, k := range kinds {
			if o == dc.env(k).APIURL {
				return true
			}
		}
	}
	return false
}

// origin returns the origin of a base URL, "scheme://host[:port]" with the
// scheme and host in lower case, and reports whether raw is one: an http or
// https URL with a host and nothing else (no user name or password, no path
// but "/", no query, no fragment, no space, control character or
// backslash).
func origin(raw string) (string, bool) {
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' || r == '?' || r == '#' || r == '%' }) {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if strings.HasSuffix(u.Hostname(), ".") || strings.HasSuffix(host, ":") {
		return "", false
	}
	return scheme + "://" + host, true
}

// quoteShort quotes s for an error message, cut to 100 bytes.
func quoteShort(s string) string {
	if len(s) > 100 {
		s = strings.ToValidUTF8(s[:100], "") + "…"
	}
	return fmt.Sprintf("%q", s)
}
