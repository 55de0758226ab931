package memory_test

import (
	"context"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
)

// TestErrorsNameTheMemoryStore checks that every failure of the memory
// store names the memory store, not Zoho's FileStore.
func TestErrorsNameTheMemoryStore(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	done, cancel := context.WithCancel(ctx)
	cancel()
	_, errFind := s.FindToken(ctx, &zohoauth.Token{UserName: "nobody"})
	_, errByID := s.FindTokenByID(ctx, "9")
	_, errTokens := s.Tokens(done)
	errs := []error{
		errFind, errByID, errTokens,
		s.SaveToken(ctx, &zohoauth.Token{UserName: "u"}),
		s.SaveToken(done, &zohoauth.Token{UserName: "u", AccessToken: "a"}),
		s.DeleteToken(ctx, "9"),
		s.DeleteTokens(done),
		s.SwapToken(ctx, &zohoauth.Token{ID: "9"}, &zohoauth.Token{AccessToken: "a"}),
	}
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "MemoryStore") || strings.Contains(err.Error(), "FileStore") {
			t.Errorf("error %d = %v, want one naming MemoryStore", i, err)
		}
	}
}
