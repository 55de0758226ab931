package zohoauth_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storekit"
)

// fakePager is a Store that is a Pager over a memory store, and counts the
// calls of each way to read.
type fakePager struct {
	*memory.Store
	pages, wholes int
}

func (f *fakePager) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	f.wholes++
	return f.Store.Tokens(ctx)
}

func (f *fakePager) TokensAfter(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	f.pages++
	all, err := f.Store.Tokens(ctx)
	if err != nil {
		return nil, err
	}
	var out []*zohoauth.Token
	for _, t := range all {
		if (after == "" || storekit.CompareIDs(t.ID, after) > 0) && len(out) < limit {
			out = append(out, t)
		}
	}
	return out, nil
}

func TestEachPage(t *testing.T) {
	ctx := context.Background()
	for _, pager := range []bool{false, true} {
		for _, tc := range []struct {
			tokens, size int
			wantPages    []int
		}{
			{0, 3, nil},
			{1, 3, []int{1}},
			{6, 3, []int{3, 3}},
			{7, 3, []int{3, 3, 1}},
			{7, 100, []int{7}},
			{5, 1, []int{1, 1, 1, 1, 1}},
		} {
			t.Run(fmt.Sprintf("pager=%v/%d-by-%d", pager, tc.tokens, tc.size), func(t *testing.T) {
				mem := memory.New()
				var want []string
				for i := range tc.tokens {
					tok := &zohoauth.Token{ID: strconv.Itoa(1 + i*i*7), UserName: fmt.Sprintf("u%d@example.com", i), AccessToken: "1000.a" + strconv.Itoa(i)}
					if err := mem.SaveToken(ctx, tok); err != nil {
						t.Fatal(err)
					}
					want = append(want, tok.ID)
				}
				var s zohoauth.Store = mem
				fake := &fakePager{Store: mem}
				if pager {
					s = fake
				}
				var got []string
				var sizes []int
				err := zohoauth.EachPage(ctx, s, tc.size, func(page []*zohoauth.Token) error {
					sizes = append(sizes, len(page))
					for _, tok := range page {
						got = append(got, tok.ID)
					}
					return nil
				})
				if err != nil {
					t.Fatalf("EachPage: %v", err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("EachPage walked ids %v, want %v", got, want)
				}
				if !slices.Equal(sizes, tc.wantPages) {
					t.Fatalf("EachPage gave pages of %v, want %v", sizes, tc.wantPages)
				}
				if pager && (fake.wholes != 0 || fake.pages == 0) {
					t.Fatalf("on a Pager EachPage called Tokens %d times and TokensAfter %d times", fake.wholes, fake.pages)
				}
			})
		}
	}
}

func TestEachPageStopsOnError(t *testing.T) {
	ctx := context.Background()
	mem := memory.New()
	for i := range 10 {
		if err := mem.SaveToken(ctx, &zohoauth.Token{UserName: fmt.Sprintf("u%d@example.com", i), AccessToken: "1000.a"}); err != nil {
			t.Fatal(err)
		}
	}
	stop := errors.New("stop")
	for _, s := range []zohoauth.Store{mem, &fakePager{Store: mem}} {
		calls := 0
		err := zohoauth.EachPage(ctx, s, 3, func([]*zohoauth.Token) error {
			calls++
			if calls == 2 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != 2 {
			t.Fatalf("%T: EachPage = %v after %d calls, want the error of fn after 2", s, err, calls)
		}
	}
	if err := zohoauth.EachPage(ctx, mem, 0, func([]*zohoauth.Token) error { return nil }); err == nil {
		t.Fatal("EachPage with page size 0 did not fail")
	}
}
