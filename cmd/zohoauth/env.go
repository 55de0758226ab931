package main

import (
	"errors"
	"path/filepath"
	"runtime"
)

// Environment variables read by the command.
const (
	envStore        = "ZOHOAUTH_STORE"
	envAccountsURL  = "ZOHOAUTH_ACCOUNTS_URL"
	envClientID     = "ZOHOAUTH_CLIENT_ID"
	envClientSecret = "ZOHOAUTH_CLIENT_SECRET"
	envRedirectURI  = "ZOHOAUTH_REDIRECT_URI"
	envDataCenter   = "ZOHOAUTH_DC"
	envDebug        = "ZOHOAUTH_DEBUG"
)

// Defaults.
const (
	// defaultStoreFile is the default store's file name in the user's data
	// directory: the name of Zoho's SQLite sample store.
	defaultStoreFile   = "zohooauth.db"
	defaultRedirectURI = "http://127.0.0.1:8910/callback"
	// appDir is the directory of the command in the user's data and
	// config directories.
	appDir = "zohoauth"
)

// env returns the environment variable name, or def when it is empty.
func (a *app) env(name, def string) string {
	if v := a.getenv(name); v != "" {
		return v
	}
	return def
}

// errNoHome is a user without a home directory to keep the default store
// and the config file in.
var errNoHome = errors.New("no home directory ($HOME is not set)")

// dataDir returns the directory of the default store: on Linux and the
// other Unix systems $XDG_DATA_HOME/zohoauth, or ~/.local/share/zohoauth;
// on macOS ~/Library/Application Support/zohoauth; on Windows
// %LocalAppData%\zohoauth.
func (a *app) dataDir() (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = a.getenv("LocalAppData")
	case "darwin", "ios":
		if home := a.getenv("HOME"); home != "" {
			dir = filepath.Join(home, "Library", "Application Support")
		}
	case "plan9":
		if home := a.getenv("home"); home != "" {
			dir = filepath.Join(home, "lib")
		}
	default:
		dir = a.getenv("XDG_DATA_HOME")
		if !filepath.IsAbs(dir) { // the XDG spec: a relative path is ignored
			dir = ""
			if home := a.getenv("HOME"); home != "" {
				dir = filepath.Join(home, ".local", "share")
			}
		}
	}
	if dir == "" {
		return "", errNoHome
	}
	return filepath.Join(dir, appDir), nil
}

// configDir returns the directory of the config file, as os.UserConfigDir
// finds the user's config directory (from this run's environment):
// $XDG_CONFIG_HOME/zohoauth or ~/.config/zohoauth on Linux and the other
// Unix systems, ~/Library/Application Support/zohoauth on macOS,
// %AppData%\zohoauth on Windows.
func (a *app) configDir() (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = a.getenv("AppData")
	case "darwin", "ios":
		if home := a.getenv("HOME"); home != "" {
			dir = filepath.Join(home, "Library", "Application Support")
		}
	case "plan9":
		if home := a.getenv("home"); home != "" {
			dir = filepath.Join(home, "lib")
		}
	default:
		dir = a.getenv("XDG_CONFIG_HOME")
		if !filepath.IsAbs(dir) {
			dir = ""
			if home := a.getenv("HOME"); home != "" {
				dir = filepath.Join(home, ".config")
			}
		}
	}
	if dir == "" {
		return "", errNoHome
	}
	return filepath.Join(dir, appDir), nil
}
