package storekit_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// wantOrder returns the ids of tokens as All must order them: by CompareIDs,
// ties by the id text.
func wantOrder(tokens map[string]bool) []string {
	ids := make([]string, 0, len(tokens))
	for id := range tokens {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		if c := storekit.CompareIDs(a, b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return ids
}

func ids(tokens []*zohoauth.Token) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = t.ID
	}
	return out
}

// TestTableKeepsIDOrder drives a Table through random inserts (in and out
// of order, leading zeros included), saves of new and existing tokens,
// deletes and a failed batch, and checks after every step that All and a
// walk of After give every token once in numeric id order.
func TestTableKeepsIDOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tb := storekit.NewTable()
	want := map[string]bool{}
	var load []*zohoauth.Token
	for i := range 300 {
		id := strconv.Itoa(r.IntN(500) + 1)
		if i%17 == 0 {
			id = "00" + id
		}
		if want[id] {
			continue
		}
		want[id] = true
		load = append(load, &zohoauth.Token{ID: id, UserName: "u" + id + "@x", ClientID: "c", RefreshToken: "r" + id})
	}
	if err := tb.InsertAll(load); err != nil {
		t.Fatal(err)
	}
	check := func(step int) {
		t.Helper()
		w := wantOrder(want)
		if got := ids(tb.All()); !slices.Equal(got, w) {
			t.Fatalf("step %d: All = %v\nwant %v", step, got, w)
		}
		var walked []string
		after := ""
		for {
			page, invalid := tb.After(after, 7)
			if invalid {
				t.Fatalf("step %d: After reports ids that are not numeric", step)
			}
			walked = append(walked, ids(page)...)
			if len(page) < 7 {
				break
			}
			after = page[len(page)-1].ID
		}
		if !slices.Equal(walked, w) {
			t.Fatalf("step %d: After walk = %v\nwant %v", step, walked, w)
		}
	}
	check(-1)
	for step := range 400 {
		switch op := r.IntN(5); op {
		case 0: // a new token, by the saving rules: the next id
			tok := &zohoauth.Token{UserName: "new" + strconv.Itoa(step) + "@x", ClientID: "c", RefreshToken: "n" + strconv.Itoa(step)}
			if err := tb.Save(tok, "m"); err != nil {
				t.Fatal(err)
			}
			want[tok.ID] = true
		case 1: // an update of a stored token, by id
			all := tb.All()
			if len(all) == 0 {
				continue
			}
			old := all[r.IntN(len(all))]
			tok := &zohoauth.Token{ID: old.ID, UserName: old.UserName, ClientID: "c", AccessToken: "a" + strconv.Itoa(step), RefreshToken: old.RefreshToken}
			if err := tb.Save(tok, "m"); err != nil {
				t.Fatalf("update %s: %v", old.ID, err)
			}
		case 2: // a delete
			all := tb.All()
			if len(all) == 0 {
				continue
			}
			id := all[r.IntN(len(all))].ID
			if !tb.Delete(id) {
				t.Fatalf("Delete(%s) found nothing", id)
			}
			delete(want, id)
		case 3: // an insert anywhere
			id := strconv.Itoa(r.IntN(2000) + 1)
			if want[id] {
				continue
			}
			if err := tb.Insert(&zohoauth.Token{ID: id, UserName: "i" + id + "@x", ClientID: "c", RefreshToken: "i" + id}); err != nil {
				t.Fatal(err)
			}
			want[id] = true
		case 4: // a batch that fails at its end changes nothing
			all := tb.All()
			if len(all) == 0 {
				continue
			}
			old := all[r.IntN(len(all))]
			batch := []*zohoauth.Token{
				{ID: old.ID, UserName: old.UserName, ClientID: "c", AccessToken: "b", RefreshToken: old.RefreshToken},
				{UserName: "batch@x", ClientID: "c", RefreshToken: "b" + strconv.Itoa(step)},
				{ID: "x1"}, // not a valid id
			}
			if err := tb.SaveAll(batch, "m"); err == nil {
				t.Fatal("SaveAll with an invalid id succeeded")
			}
			if tb.ByID(old.ID) != old {
				t.Fatalf("a failed batch left a changed token %s", old.ID)
			}
		}
		check(step)
	}
	if tb.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", tb.Len(), len(want))
	}
}

// TestTableAfterTies checks that After resumes among ids of one value
// ("7", "07", "007") by their text, and skips an unknown after.
func TestTableAfterTies(t *testing.T) {
	tb := storekit.NewTable()
	for _, id := range []string{"8", "7", "007", "07", "6"} {
		if err := tb.Insert(&zohoauth.Token{ID: id, UserName: id}); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"6", "007", "07", "7", "8"}
	if got := ids(tb.All()); !slices.Equal(got, want) {
		t.Fatalf("All = %v, want %v", got, want)
	}
	for after, w := range map[string][]string{"": want, "6": want[1:], "007": want[2:], "07": want[3:], "0007": want[1:], "7": want[4:], "8": nil, "5": want} {
		page, _ := tb.After(after, 10)
		if got := ids(page); !slices.Equal(got, w) {
			t.Errorf("After(%q) = %v, want %v", after, got, w)
		}
	}
}

// TestSaveCreated checks which saves report a created token: an insert
// under a picked id or a given one, not an update by id or by keys, and a
// batch lists its inserts in order, none when it fails.
func TestSaveCreated(t *testing.T) {
	tb := storekit.NewTable()
	tok := func(n int) *zohoauth.Token {
		return &zohoauth.Token{UserName: fmt.Sprintf("u%d@x", n), ClientID: "c", RefreshToken: fmt.Sprintf("r%d", n)}
	}
	for _, tc := range []struct {
		name string
		in   *zohoauth.Token
		want bool
	}{
		{"picked id", tok(1), true},
		{"given id", &zohoauth.Token{ID: "40", UserName: "u2@x", ClientID: "c", RefreshToken: "r2"}, true},
		{"update by id", &zohoauth.Token{ID: "40", AccessToken: "a"}, false},
		{"update by keys", &zohoauth.Token{UserName: "u1@x", ClientID: "c", AccessToken: "a"}, false},
	} {
		created, err := tb.SaveCreated(tc.in, "not found")
		if err != nil || created != tc.want {
			t.Errorf("%s: SaveCreated = %v, %v; want %v", tc.name, created, err, tc.want)
		}
	}
	ids, err := tb.SaveAllCreated([]*zohoauth.Token{tok(3), {ID: "1", AccessToken: "b"}, {ID: "7", UserName: "u7@x", ClientID: "c", RefreshToken: "r7"}}, "not found")
	if err != nil || strings.Join(ids, ",") != "41,7" {
		t.Fatalf("SaveAllCreated = %v, %v; want 41,7", ids, err)
	}
	ids, err = tb.SaveAllCreated([]*zohoauth.Token{tok(9), {UserName: "nobody@x", ClientID: "c"}}, "not found")
	if err == nil || ids != nil {
		t.Fatalf("SaveAllCreated of a failing batch = %v, %v; want nil and an error", ids, err)
	}
}
