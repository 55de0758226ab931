package filestore_test

import (
	"path/filepath"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storetest"
)

// newStore returns a store of a new file in a temporary directory.
func newStore(t testing.TB, opts ...filestore.Option) *filestore.Store {
	t.Helper()
	s, err := filestore.New(filepath.Join(t.TempDir(), filestore.DefaultFile), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) zohoauth.Store { return newStore(t) })
}

// TestConformanceRecheckEveryRead runs the kit with the cache checked
// against the file on every read.
func TestConformanceRecheckEveryRead(t *testing.T) {
	storetest.Run(t, func(t *testing.T) zohoauth.Store { return newStore(t, filestore.WithRecheck(0)) })
}
