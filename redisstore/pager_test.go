package redisstore

import (
	"errors"
	"slices"
	"testing"

	"github.com/zohoauth/zohoauth"
)

func TestTokensAfterOrder(t *testing.T) {
	s := newTestStore(t)
	var p zohoauth.Pager = s
	// Ids of one value ("7", "007") come in id text order; 10 comes after 9
	// although "10" < "9" as text.
	for i, id := range []string{"10", "9", "7", "007", "1234567890", "08"} {
		tok := &zohoauth.Token{ID: id, UserName: "u" + id + "@example.com", AccessToken: "1000.a." + string(rune('a'+i))}
		if err := s.SaveToken(t.Context(), tok); err != nil {
			t.Fatalf("SaveToken(%s): %v", id, err)
		}
	}
	want := []string{"007", "7", "08", "9", "10", "1234567890"}
	for _, size := range []int{1, 2, 4, 6, 100} {
		var got []string
		after := ""
		for range 20 {
			page, err := p.TokensAfter(t.Context(), after, size)
			if err != nil {
				t.Fatalf("TokensAfter(%q, %d): %v", after, size, err)
			}
			for _, tok := range page {
				got = append(got, tok.ID)
			}
			if len(page) < size {
				break
			}
			after = page[len(page)-1].ID
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pages of %d: ids %v, want %v", size, got, want)
		}
	}
	if _, err := p.TokensAfter(t.Context(), "1 OR 1=1", 10); !errors.Is(err, zohoauth.ErrInvalidID) {
		t.Fatalf("TokensAfter with a bad id = %v, want ErrInvalidID", err)
	}
	var ze *zohoauth.Error
	if _, err := p.TokensAfter(t.Context(), "", 0); !errors.As(err, &ze) {
		t.Fatalf("TokensAfter with limit 0 = %v, want a *zohoauth.Error", err)
	}
}
