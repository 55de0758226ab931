package main

import (
	"strings"
	"testing"
)

// A flag default taken from the environment is shown by -h with its
// password redacted: the store URL's, the accounts URL's, a secret query
// parameter's, for every command.
func TestHelpRedactsEnvironmentDefaults(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		store, accounts string
		secrets         []string
		shown           string
	}{
		{"mysql://root:S3cretPw@127.0.0.1:3306/db", "https://admin:AcctPw42@accounts.example", []string{"S3cretPw", "AcctPw42"}, "mysql://root:xxxxx@127.0.0.1:3306/db"},
		{"postgres://u:Pg%2FSecret@h/db?sslmode=disable&password=QuerySecret", "http://127.0.0.1:8920", []string{"Pg%2FSecret", "QuerySecret"}, "postgres://u:xxxxx@h/db"},
		{"redis://:RedisSecret@127.0.0.1:6379/0", "", []string{"RedisSecret"}, "redis://:xxxxx@127.0.0.1:6379/0"},
		{"mysql://root:Qm?ark/Slash@h/db", "", []string{"Qm?ark", "ark/Slash"}, "mysql://root:xxxxx@h/db"},
		{"mysql://root:At@Sign@h/db", "", []string{"At@Sign", "root:At"}, "mysql://root:xxxxx@h/db"},
	}
	for _, c := range cases {
		h.env[envStore] = c.store
		h.env[envAccountsURL] = c.accounts
		for _, cmd := range subcommands(h.app(nil, nil, nil).rootCmd()) {
			for _, args := range [][]string{{cmd.Name(), "-h"}, {"help", cmd.Name()}, {cmd.Name(), "--help"}} {
				r := h.run(args...)
				if r.code != 0 || !strings.Contains(r.stdout, "-store") {
					t.Fatalf("%v: exit %d, stdout %q", args, r.code, r.stdout)
				}
				for _, s := range c.secrets {
					if strings.Contains(r.stdout+r.stderr, s) {
						t.Errorf("%v with %s=%q shows %q:\n%s", args, envStore, c.store, s, r.stdout)
					}
				}
				if !strings.Contains(r.stdout, c.shown) {
					t.Errorf("%v: the store default is not shown as %q:\n%s", args, c.shown, r.stdout)
				}
			}
		}
	}
}

// Defaults without a password are shown as they are.
func TestRedactDefaultKeepsPlainValues(t *testing.T) {
	for _, v := range []string{"", "us", "127.0.0.1:8920", "user@example.com", "5m0s", "false", "sqlite:zohooauth.db",
		"http://127.0.0.1:8910/callback", "ZohoCRM.modules.ALL,ZohoCRM.users.READ", "mysql://root@127.0.0.1:3306/db"} {
		if got := redactDefault(v); got != v {
			t.Errorf("redactDefault(%q) = %q", v, got)
		}
	}
}
