package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/storeurl"
)

// configFile is the name of the config file in the config directory.
const configFile = "config"

// config holds the defaults of the optional config file: one "key = value"
// a line, '#' starts a comment line. The format needs no library, has
// comments (JSON has none), and cannot hold more than the few flat
// defaults it is for. A secret is refused: the file is read by every run
// and easily shared, and the command takes secrets from the environment
// only.
type config struct {
	path        string // "" when there is no config file
	store       string
	clientID    string
	dc          string
	accountsURL string
	// The lifecycle policies (auth.Policies) and the sweep's interval, as
	// written; checked by checkConfigValue, read by policies.
	sessionLifetime string
	idleTimeout     string
	failureDays     string
	sweepInterval   string
}

// configKeys are the keys of the config file, each with the field it
// sets.
func configKeys(c *config) map[string]*string {
	return map[string]*string{
		"store":            &c.store,
		"client_id":        &c.clientID,
		"dc":               &c.dc,
		"accounts_url":     &c.accountsURL,
		"session_lifetime": &c.sessionLifetime,
		"idle_timeout":     &c.idleTimeout,
		"failure_days":     &c.failureDays,
		"sweep_interval":   &c.sweepInterval,
	}
}

// policies returns the lifecycle policies and the sweep interval the config
// file sets (zero when it sets none). The values were checked when the
// file was read.
func (c config) policies() (auth.Policies, time.Duration) {
	var p auth.Policies
	p.SessionLifetime, _ = parseDays(c.sessionLifetime)
	p.IdleTimeout, _ = parseDays(c.idleTimeout)
	if c.failureDays != "" {
		p.FailureDays, _ = strconv.Atoi(c.failureDays)
	}
	every, _ := parseDays(c.sweepInterval)
	return p, every
}

// parseDays parses a duration of the config file: Go's form (90m, 12h) or
// whole days (30d); "" and "0" are none. A negative duration is refused.
func parseDays(v string) (time.Duration, error) {
	if v == "" || v == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 100*365 {
			return 0, fmt.Errorf("%q is not a number of days (such as 30d)", v)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (such as 30d, 12h or 90m)", v)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", v)
	}
	return d, nil
}

// or returns v, or def when v is "".
func (config) or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

// configError is a config file that cannot be used: exit code 2.
type configError struct {
	path string
	line int // 0: the file as a whole
	msg  string
}

func (e *configError) Error() string {
	if e.line == 0 {
		return "config file " + e.path + ": " + e.msg
	}
	return fmt.Sprintf("config file %s, line %d: %s", e.path, e.line, e.msg)
}

// loadConfig reads the config file of the user's config directory, if
// there is one. It refuses a file that another user may write (it names
// the store the tokens go to and the server that gets the client's
// credentials), a key it does not know, and a secret.
func (a *app) loadConfig() (config, error) {
	dir, err := a.configDir()
	if err != nil {
		return config{}, nil // no home: no config file
	}
	path := filepath.Join(dir, configFile)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return config{}, nil
	case err != nil:
		return config{}, &configError{path: path, msg: err.Error()}
	case !fi.Mode().IsRegular():
		return config{}, &configError{path: path, msg: "not a regular file"}
	case fi.Mode().Perm()&0o002 != 0:
		return config{}, &configError{path: path, msg: fmt.Sprintf("any user may write it (mode %04o): it could send your tokens elsewhere; fix it with chmod o-w %s", fi.Mode().Perm(), path)}
	case fi.Mode().Perm()&0o020 != 0:
		fmt.Fprintf(a.stderr, "zohoauth: warning: config file %s is writable by its group (mode %04o); chmod g-w %s\n", path, fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return config{}, &configError{path: path, msg: err.Error()}
	}
	return parseConfig(path, data)
}

// parseConfig parses the text of a config file.
func parseConfig(path string, data []byte) (config, error) {
	c := config{path: path}
	keys := configKeys(&c)
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || key == "" {
			return config{}, &configError{path: path, line: n, msg: "not a \"key = value\" line"}
		}
		if secretKey(key) {
			return config{}, &configError{path: path, line: n, msg: fmt.Sprintf("%s: a secret does not belong in the config file; give it in the environment (%s)", printable(key), envClientSecret)}
		}
		field, known := keys[key]
		if !known {
			msg := fmt.Sprintf("unknown key %q (the keys are %s)", printable(key), strings.Join(knownKeys(keys), ", "))
			if near := nearestKey(key, keys); near != "" {
				msg = fmt.Sprintf("unknown key %q: did you mean %s? (the keys are %s)", printable(key), near, strings.Join(knownKeys(keys), ", "))
			}
			return config{}, &configError{path: path, line: n, msg: msg}
		}
		if seen[key] {
			return config{}, &configError{path: path, line: n, msg: fmt.Sprintf("%s is set twice", key)}
		}
		seen[key] = true
		if err := checkConfigValue(key, value); err != nil {
			return config{}, &configError{path: path, line: n, msg: err.Error()}
		}
		*field = value
	}
	if err := sc.Err(); err != nil {
		return config{}, &configError{path: path, msg: err.Error()}
	}
	return c, nil
}

// secretKey reports whether a config key names a secret.
func secretKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range []string{"secret", "password", "token"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// nearestKey returns the known key within two edits of key, if there is
// one: the key a typo meant.
func nearestKey(key string, keys map[string]*string) string {
	best, bestD := "", 3
	for _, k := range knownKeys(keys) {
		if d := editDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func knownKeys(keys map[string]*string) []string {
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// checkConfigValue checks the value of a config key: a store URL or an
// accounts URL without a password, a known data center.
func checkConfigValue(key, value string) error {
	switch key {
	case "store":
		if _, err := storeurl.Parse(value); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if storeurl.Redact(value) != value || redactDefault(value) != value {
			return fmt.Errorf("store: the URL holds a password, a secret that does not belong in the config file; give this store in %s or --store", envStore)
		}
	case "accounts_url":
		if redactDefault(value) != value {
			return fmt.Errorf("accounts_url: the URL holds a password, a secret that does not belong in the config file")
		}
	case "dc":
		if _, err := zohoauth.LookupEnvironment(value); err != nil {
			return fmt.Errorf("dc: %w", err)
		}
	case "session_lifetime", "idle_timeout", "sweep_interval":
		if _, err := parseDays(value); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	case "failure_days":
		if n, err := strconv.Atoi(value); err != nil || n < 0 {
			return fmt.Errorf("failure_days: %q is not a number of days (0 or more)", printable(value))
		}
	}
	return nil
}
