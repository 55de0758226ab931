package tokenserver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/tokenserver"
)

// TestKeyFileStoresHashesOnly: the key file is 0600 and holds the SHA-256
// of each key, never the key; a key authenticates, a changed one does not.
func TestKeyFileStoresHashesOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.json")
	f, err := tokenserver.OpenKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key, rec, err := f.CreateKey(ctx, tokenserver.KeySpec{Name: "crm-sync", Scope: tokenserver.Scope{Users: []string{"ann@example.com"}, Clients: []string{clientA}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// zak_ID_SECRET: the secret is base64url, which may itself hold "_".
	parts := strings.SplitN(key, "_", 3)
	secret := parts[2]
	if len(secret) != 43 {
		t.Fatalf("key %d bytes: secret of %d characters", len(key), len(secret))
	}
	if strings.Contains(string(b), secret) || !strings.Contains(string(b), `"sha256:`) || !strings.Contains(string(b), rec.ID) {
		t.Errorf("key file: %s", b)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o", info.Mode().Perm())
	}
	if k, err := f.Authenticate(key, time.Now()); err != nil || k.ID != rec.ID || k.Name != "crm-sync" {
		t.Errorf("Authenticate: %v %v", k, err)
	}
	for _, bad := range []string{"", key + "x", key[:len(key)-1] + "x", strings.Replace(key, rec.ID, "000000000000", 1), "Bearer " + key} {
		if _, err := f.Authenticate(bad, time.Now()); !errors.Is(err, tokenserver.ErrBadKey) {
			t.Errorf("Authenticate(changed key) = %v", err)
		}
	}
}

// TestKeyFileSharedAndRevoked: a key revoked through one KeyFile (the
// command) stops working at once in another (a running service), and keys
// created concurrently by several writers are all kept.
func TestKeyFileSharedAndRevoked(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "keys.json")
	cli, _ := tokenserver.OpenKeyFile(path)
	svc, _ := tokenserver.OpenKeyFile(path)
	key, rec, err := cli.CreateKey(ctx, tokenserver.KeySpec{Name: "a"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(key, time.Now()); err != nil {
		t.Fatalf("service does not see a new key: %v", err)
	}
	if err := cli.RevokeKey(ctx, rec.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(key, time.Now()); !errors.Is(err, tokenserver.ErrKeyRevoked) {
		t.Errorf("revoked key: %v", err)
	}
	if err := cli.RevokeKey(ctx, "nope", time.Now()); !errors.Is(err, tokenserver.ErrUnknownKey) {
		t.Errorf("revoke unknown: %v", err)
	}

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := tokenserver.OpenKeyFile(path)
			if err == nil {
				_, _, err = f.CreateKey(ctx, tokenserver.KeySpec{Name: "w" + string(rune('0'+i))}, time.Now())
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	keys, err := svc.ListKeys(ctx)
	if err != nil || len(keys) != 9 {
		t.Errorf("%d keys after 8 concurrent creations (want 9): %v", len(keys), err)
	}
}

// TestKeyFileModeRefused: a key file group or others may read or write is
// refused (whoever may write it may make themselves an admin key).
func TestKeyFileModeRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"keys":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tokenserver.OpenKeyFile(path); !errors.Is(err, tokenserver.ErrKeyFileMode) {
		t.Errorf("OpenKeyFile(0644) = %v", err)
	}
}
