package list_test

import (
	"context"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/list"
)

// TestErrorsNameTheListStore checks that every failure of the list store
// names the list store, not Zoho's FileStore.
func TestErrorsNameTheListStore(t *testing.T) {
	ctx := context.Background()
	s := list.New()
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
	}
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "ListStore") || strings.Contains(err.Error(), "FileStore") {
			t.Errorf("error %d = %v, want one naming ListStore", i, err)
		}
	}
}
