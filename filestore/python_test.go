package filestore_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storekit"
)

// readWithPython is the reading half of Zoho's Python FileStore: Python's
// csv.reader over the file, every row as a list of strings.
const readWithPython = `
import csv, json, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    json.dump(list(csv.reader(f)), sys.stdout)
`

// TestPythonReadsOurFile checks that Python's csv module, which Zoho's
// Python SDK reads the file with, reads every value of a file the store
// wrote byte for byte. It needs python3 on the PATH.
func TestPythonReadsOurFile(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 is not installed (.ci/services.sh installs it): %v", err)
		}
		t.Skip("python3 is not installed:", err)
	}
	values := []string{
		`quote " double "" and 'single'`, "comma, separated, values", "line\r\nbreak\nand\rreturn",
		"unicode ü 中文 🚀 \u200b", " leading and trailing spaces ", `back\slash \" \\ %s %d`,
		strings.Repeat("x", 4096), "", "plain",
	}
	var tokens []*zohoauth.Token
	for i, v := range values {
		tokens = append(tokens, &zohoauth.Token{
			ID: strconv.Itoa(i + 1), UserName: v + ":1", ClientID: v, ClientSecret: v,
			RefreshToken: v, AccessToken: v, GrantToken: v, Expiry: time.UnixMilli(1795879420612 + int64(i)),
			RedirectURL: v, APIDomain: v,
		})
	}
	data, err := filestore.Marshal(tokens)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), filestore.DefaultFile)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, "-c", readWithPython, path).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var rows [][]string
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(tokens)+1 || strings.Join(rows[0], ",")+"\r\n" != filestore.Header {
		t.Fatalf("Python read %d rows, header %q", len(rows), rows[0])
	}
	for i, tok := range tokens {
		want := []string{tok.ID, tok.UserName, tok.ClientID, tok.ClientSecret, tok.RefreshToken, tok.AccessToken,
			tok.GrantToken, storekit.FormatExpiry(tok.Expiry), tok.RedirectURL, tok.APIDomain}
		if len(rows[i+1]) != len(want) {
			t.Fatalf("row %d: Python read %d fields", i+1, len(rows[i+1]))
		}
		for j := range want {
			if rows[i+1][j] != want[j] {
				t.Errorf("row %d field %d: Python read another value", i+1, j)
			}
		}
	}
}
