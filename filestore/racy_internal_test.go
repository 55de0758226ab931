package filestore

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/zohoauth/zohoauth"
)

// TestSaveAfterSaveTrustsOwnWrite checks that the version of the file a
// save has just written is not "racy": the next save goes by the file's
// identity instead of reading and checksumming it again.
func TestSaveAfterSaveTrustsOwnWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFile)
	s, err := New(path, WithRecheck(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SaveToken(t.Context(), &zohoauth.Token{UserName: "a@x", ClientID: "c", RefreshToken: "r"}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.snap == nil || s.snap.racy {
		t.Fatal("the version a save wrote is taken as racy: the next save reads the whole file again")
	}
	if isRacy(s.snap.id) {
		t.Fatal("the file a save wrote has a modification time within the racy window of now")
	}
}

// TestInPlaceRewriteAfterSaveIsSeen checks that the trust in a save's own
// write does not hide a program that rewrites the file in place (as Zoho's
// SDKs do) right after it, with content of the same size: the next read
// sees the new content.
func TestInPlaceRewriteAfterSaveIsSeen(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFile)
	s, err := New(path, WithRecheck(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	tok := &zohoauth.Token{UserName: "a@x", ClientID: "c", RefreshToken: "r", AccessToken: "1000.aaaa"}
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(data, []byte("1000.aaaa"), []byte("1000.bbbb"), 1)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0) // in place: the same inode
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(changed); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindTokenByID(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessToken != "1000.bbbb" {
		t.Fatal("a rewrite in place of the same size right after a save went unseen")
	}
}
