package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth/storeurl"
)

func TestListsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sdk_tokens.txt")
	csv := "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\r\n" +
		"1,ana@example.com:700,1000.C,s,1000.r,,,,,\r\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), &out, "file:"+path); err != nil {
		t.Fatal(err)
	}
	if out.String() != "1 ana@example.com:700\n" {
		t.Fatalf("output %q", out.String())
	}
	err := run(context.Background(), &out, "sqlite:"+filepath.Join(t.TempDir(), "z.db"))
	var nl *storeurl.NotLinkedError
	if !errors.As(err, &nl) || nl.Import != "github.com/zohoauth/zohoauth/sqlstore/sqlite" || nl.Value != "sqlite.Scheme()" {
		t.Fatalf("a sqlite URL in a program without SQLite: %v, want a NotLinkedError naming sqlstore/sqlite", err)
	}
}

// TestLinksNoDatabaseDriver checks that a program offering only the file
// and memory stores links no database driver, and builds without cgo.
func TestLinksNoDatabaseDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	deps, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(deps)) {
		for _, driver := range []string{"github.com/go-sql-driver/mysql", "github.com/jackc/pgx", "github.com/mattn/go-sqlite3", "github.com/redis/go-redis", "database/sql"} {
			if strings.HasPrefix(pkg, driver) {
				t.Errorf("the file-only program links %s", pkg)
			}
		}
	}
	build := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "fileonly"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
}
