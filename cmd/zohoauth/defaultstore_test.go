package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// homeHarness returns a harness with a home directory of its own and no
// ZOHOAUTH_STORE, so that the default store and the config file are used,
// and a working directory of its own.
func homeHarness(t *testing.T) (*harness, string) {
	h := newHarness(t)
	home := t.TempDir()
	h.env["HOME"] = home
	delete(h.env, envStore)
	t.Chdir(t.TempDir())
	return h, home
}

func TestDefaultStoreIsPrivateInTheDataDir(t *testing.T) {
	h, home := homeHarness(t)
	h.must("login")
	dir := filepath.Join(home, ".local", "share", "zohoauth")
	db := filepath.Join(dir, "zohooauth.db")
	fi, err := os.Stat(db)
	if err != nil {
		t.Fatalf("login did not create the default store: %v", err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("store file mode %04o, want 0600", m)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("store directory: %v, %v; want 0700", di.Mode(), err)
	}
	if _, err := os.Stat("zohooauth.db"); err == nil {
		t.Error("login created a store in the working directory")
	}
	if r := h.must("list"); !strings.Contains(r.stdout, testEmail) {
		t.Errorf("list: %+v", r)
	}
	if r := h.must("list", "--help"); !strings.Contains(r.stdout, "sqlite:"+db) {
		t.Errorf("help does not show the default store %s:\n%s", db, r.stdout)
	}

	// $XDG_DATA_HOME when absolute; a relative one is ignored.
	h.env["XDG_DATA_HOME"] = filepath.Join(home, "xdg")
	h.must("login")
	if _, err := os.Stat(filepath.Join(home, "xdg", "zohoauth", "zohooauth.db")); err != nil {
		t.Errorf("XDG_DATA_HOME: %v", err)
	}
	h.env["XDG_DATA_HOME"] = "relative"
	if r := h.must("list"); !strings.Contains(r.stdout, testEmail) {
		t.Errorf("a relative XDG_DATA_HOME was not ignored: %+v", r)
	}

	// No home and no --store: a clear error, no store in the working
	// directory.
	delete(h.env, "HOME")
	delete(h.env, "XDG_DATA_HOME")
	if r := h.run("login"); r.code != exitUsage || !strings.Contains(r.stderr, "--store") {
		t.Errorf("no home: %+v", r)
	}
}

// A command that only reads, or finds nothing to change, never creates a
// store, neither the default one nor one named by --store.
func TestReadOnlyCommandsCreateNoStore(t *testing.T) {
	h, home := homeHarness(t)
	other := filepath.Join(t.TempDir(), "other.db")
	for _, args := range [][]string{
		{"list"}, {"list", "--json"}, {"show"}, {"show", "--id", "1"}, {"token"}, {"token", "--user", testEmail},
		{"refresh"}, {"revoke"}, {"delete", "--id", "1"}, {"delete", "--all", "--yes"}, {"purge", "--older-than", "1d", "--yes"},
		{"purge", "--older-than", "1d", "--dry-run"}, {"api", "/crm/v8/org"},
		{"__complete", "show", "--id", ""},
		{"migrate", "--from", "sqlite:" + other, "--to", "memory:"},
	} {
		for _, store := range []string{"", "sqlite:" + other, "file:" + other} {
			full := args
			if store != "" {
				full = append([]string{"--store", store}, args...)
			}
			r := h.run(full...)
			want := exitNotFound
			switch args[0] {
			case "list", "__complete":
				want = exitOK
			}
			if r.code != want {
				t.Errorf("%v: exit %d, want %d: %s", full, r.code, want, r.stderr)
			}
			if r.code == exitNotFound && !strings.Contains(r.stderr, "does not exist yet") {
				t.Errorf("%v: %q", full, r.stderr)
			}
		}
	}
	if r := h.must("list", "--json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("list --json on no store: %q", r.stdout)
	}
	for _, p := range []string{filepath.Join(home, ".local"), other, "zohooauth.db"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
}

// The store file the command used by default before (./zohooauth.db) is
// pointed out once when the default store does not exist, with how to use
// or migrate it.
func TestWorkingDirStoreHint(t *testing.T) {
	h, _ := homeHarness(t)
	if err := os.WriteFile("zohooauth.db", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.run("list")
	if strings.Count(r.stderr, "./zohooauth.db is not used") != 1 || !strings.Contains(r.stderr, "--store sqlite:zohooauth.db") ||
		!strings.Contains(r.stderr, "zohoauth migrate --from sqlite:zohooauth.db --to sqlite:") {
		t.Errorf("no hint, or not once: %q", r.stderr)
	}
	if r := h.run("list", "--store", "sqlite:zohooauth.db"); strings.Contains(r.stderr, "is not used") {
		t.Errorf("hint with --store: %q", r.stderr)
	}
	// Moved: the default store exists, no more hint.
	h.must("migrate", "--from", "sqlite:zohooauth.db", "--to", h.app(nil, nil, nil).defaultStoreFromEnv(t))
	if r := h.run("list"); strings.Contains(r.stderr, "is not used") {
		t.Errorf("hint after the migration: %q", r.stderr)
	}
}

// defaultStoreFromEnv returns the default store URL of a's environment.
func (a *app) defaultStoreFromEnv(t *testing.T) string {
	t.Helper()
	if err := a.configure(); err != nil || a.defaultStoreURL == "" {
		t.Fatalf("no default store: %v %v", err, a.noDefaultStore)
	}
	return a.defaultStoreURL
}

// writeConfig writes the config file of home with the given text and
// mode.
func writeConfig(t *testing.T, home, text string, mode os.FileMode) string {
	t.Helper()
	dir := filepath.Join(home, ".config", "zohoauth")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigFileDefaults(t *testing.T) {
	h, home := homeHarness(t)
	store := "sqlite:" + filepath.Join(t.TempDir(), "from-config.db")
	delete(h.env, envAccountsURL)
	delete(h.env, envClientID)
	writeConfig(t, home, "# defaults\nstore = "+store+"\nclient_id = "+testClientID+"\n\ndc=eu\naccounts_url = "+h.emu.URL+"\n", 0o600)
	r := h.must("login")
	if !strings.Contains(r.stderr, "saved in "+store) {
		t.Errorf("login did not use the config's store, client and accounts URL: %q", r.stderr)
	}
	if r := h.must("login", "--help"); !strings.Contains(r.stdout, `(default "eu")`) || !strings.Contains(r.stdout, `(default "`+testClientID+`")`) {
		t.Errorf("login --help does not show the config's defaults:\n%s", r.stdout)
	}
	// The environment wins over the file, a flag over both.
	other := "sqlite:" + filepath.Join(t.TempDir(), "env.db")
	h.env[envStore] = other
	if r := h.must("list", "--json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("%s did not win over the config file: %s", envStore, r.stdout)
	}
	if r := h.must("list", "--store", store); !strings.Contains(r.stdout, testEmail) {
		t.Errorf("--store: %s", r.stdout)
	}
}

// A config file is refused when it holds a secret, a key the command does
// not know, a bad line, or when any user may write it (it names where
// tokens go and which server gets the client's credentials).
func TestConfigFileHostile(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		mode       os.FileMode
		want       string
		hidden     string
	}{
		{"secret", "client_id = 1000.X\nclient_secret = TopSecretValue42\n", 0o600, "line 2: client_secret: a secret does not belong", "TopSecretValue42"},
		{"refresh token", "refresh_token = 1000.RefreshSecret\n", 0o600, "refresh_token: a secret", "RefreshSecret"},
		{"store password", "store = mysql://root:DbPassw0rd@127.0.0.1:3306/db\n", 0o600, "store: the URL holds a password", "DbPassw0rd"},
		{"accounts password", "accounts_url = https://u:AcctPw9@accounts.example\n", 0o600, "accounts_url: the URL holds a password", "AcctPw9"},
		{"unknown key", "stor = sqlite:x.db\n", 0o600, `unknown key "stor": did you mean store? (the keys are accounts_url, client_id, dc, failure_days, idle_timeout, session_lifetime, store, sweep_interval)`, ""},
		{"not key=value", "store sqlite:x.db\n", 0o600, `line 1: not a "key = value" line`, ""},
		{"twice", "dc = eu\ndc = us\n", 0o600, "line 2: dc is set twice", ""},
		{"bad dc", "dc = mars\n", 0o600, "dc:", ""},
		{"world-writable", "dc = eu\n", 0o666, "any user may write it (mode 0666)", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, home := homeHarness(t)
			path := writeConfig(t, home, tt.text, tt.mode)
			for _, args := range [][]string{{"list"}, {"token"}, {"login"}} {
				r := h.run(args...)
				if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, path) {
					t.Errorf("%v: exit %d, %q; want %d and %q", args, r.code, r.stderr, exitUsage, tt.want)
				}
				if tt.hidden != "" && strings.Contains(r.stdout+r.stderr, tt.hidden) {
					t.Errorf("%v shows the secret: %q", args, r.stderr)
				}
			}
		})
	}
	// Writable by the group: used, with a warning.
	h, home := homeHarness(t)
	writeConfig(t, home, "dc = eu\n", 0o620)
	if r := h.run("list"); r.code != 0 || !strings.Contains(r.stderr, "writable by its group") {
		t.Errorf("group-writable: %+v", r)
	}
}
