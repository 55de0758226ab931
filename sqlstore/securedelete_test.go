package sqlstore_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/zohoauth/zohoauth"
)

// TestSQLiteDeleteLeavesNoSecret saves a token, deletes it (one by id, then
// all) and reads the raw bytes of the database file and its WAL while the
// store is still open: no secret of the deleted tokens is left in them.
func TestSQLiteDeleteLeavesNoSecret(t *testing.T) {
	for _, all := range []bool{false, true} {
		name := "DeleteToken"
		if all {
			name = "DeleteTokens"
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "zohooauth.db")
			s := openSQLite(t, path)
			tok := &zohoauth.Token{
				UserName:     "victim@example.com:777",
				ClientID:     "1000.CLIENTID",
				ClientSecret: "TOPSECRET-client-secret-5d1e0c",
				RefreshToken: "1000.TOPSECRET-refresh-9a7f3b",
				AccessToken:  "1000.TOPSECRET-access-41c2aa",
				GrantToken:   "1000.TOPSECRET-grant-77e0d1",
			}
			secrets := []string{tok.ClientSecret, tok.RefreshToken, tok.AccessToken, tok.GrantToken}
			if err := s.SaveToken(t.Context(), tok); err != nil {
				t.Fatal(err)
			}
			// A second token, so that the page is rewritten rather than freed.
			if err := s.SaveToken(t.Context(), &zohoauth.Token{UserName: "other@example.com:1", ClientID: "1000.CLIENTID", RefreshToken: "1000.other"}); err != nil {
				t.Fatal(err)
			}
			var err error
			if all {
				err = s.DeleteTokens(t.Context())
			} else {
				err = s.DeleteToken(t.Context(), tok.ID)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{path, path + "-wal", path + "-journal"} {
				raw, err := os.ReadFile(p)
				if os.IsNotExist(err) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, sec := range secrets {
					if bytes.Contains(raw, []byte(sec)) {
						t.Errorf("%s still holds the deleted %.20s…", filepath.Base(p), sec)
					}
				}
			}
		})
	}
}
