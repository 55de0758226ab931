package filestore_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
)

// splitNode splits a token file as Zoho's Node and TypeScript SDKs do:
// split("\n"), then split(",") without any quoting or "\r" stripping.
func splitNode(data []byte) [][]string {
	var rows [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, ","))
		}
	}
	return rows
}

// TestLineEndingsKept checks that every write keeps the line endings the
// file had: a file of the Java, Node or TypeScript SDK (LF) stays LF, so
// that Node's split("\n") reads api_domain without a trailing "\r"; a file
// of the Python SDK (CRLF) stays CRLF; a new or empty file is CRLF, as
// Python writes it.
func TestLineEndingsKept(t *testing.T) {
	for _, tc := range []struct {
		file string // in testdata; "" for no file, "-" for an empty one
		lf   bool
	}{
		{"node.txt", true},
		{"typescript.txt", true},
		{"java.txt", true},
		{"python.txt", false},
		{"legacy9.txt", false},
		{"windows-crcrlf.txt", false},
		{"", false},
		{"-", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), filestore.DefaultFile)
			switch tc.file {
			case "":
			case "-":
				if err := os.WriteFile(path, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			default:
				path = copyTestdata(t, tc.file)
			}
			s := filestoreAt(t, path)
			ctx := t.Context()
			added := mustSave(t, s, &zohoauth.Token{
				UserName: "n@o.de:42", ClientID: "cid", ClientSecret: "cs", RefreshToken: "rt-new",
				AccessToken: "at-new", Expiry: ms(1795879420699), APIDomain: "https://www.zohoapis.eu",
			})
			steps := []struct {
				name string
				do   func() error
			}{
				{"SaveToken", func() error { return nil }},
				{"DeleteToken", func() error { return s.DeleteToken(ctx, added.ID) }},
				{"DeleteTokens", func() error { return s.DeleteTokens(ctx) }},
			}
			for _, step := range steps {
				if err := step.do(); err != nil {
					t.Fatalf("%s: %v", step.name, err)
				}
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				tokens, err := filestore.Parse(data)
				if err != nil {
					t.Fatalf("after %s: %v", step.name, err)
				}
				crlf, _ := filestore.Marshal(tokens) // every line CRLF, as Python writes
				switch {
				case tc.lf && bytes.ContainsRune(data, '\r'):
					t.Fatalf("after %s an LF file holds CR: %q", step.name, data)
				case tc.lf && !bytes.Equal(data, bytes.ReplaceAll(crlf, []byte("\r\n"), []byte("\n"))):
					t.Fatalf("after %s the LF file is\n%q", step.name, data)
				case !tc.lf && !bytes.Equal(data, crlf):
					t.Fatalf("after %s the file is not CRLF throughout: %q", step.name, data)
				}
				if step.name == "SaveToken" && tc.lf {
					rows := splitNode(data)
					last := rows[len(rows)-1]
					if got := last[len(last)-1]; got != added.APIDomain {
						t.Fatalf("Node's parser reads api_domain %q, want %q", got, added.APIDomain)
					}
				}
			}
		})
	}
}
