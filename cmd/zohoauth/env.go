package main

// Environment variables read by the command.
const (
	envStore        = "ZOHOAUTH_STORE"
	envAccountsURL  = "ZOHOAUTH_ACCOUNTS_URL"
	envClientID     = "ZOHOAUTH_CLIENT_ID"
	envClientSecret = "ZOHOAUTH_CLIENT_SECRET"
	envRedirectURI  = "ZOHOAUTH_REDIRECT_URI"
	envDataCenter   = "ZOHOAUTH_DC"
)

// Defaults.
const (
	defaultStore       = "sqlite:zohooauth.db"
	defaultRedirectURI = "http://127.0.0.1:8910/callback"
)

// env returns the environment variable name, or def when it is empty.
func (a *app) env(name, def string) string {
	if v := a.getenv(name); v != "" {
		return v
	}
	return def
}
