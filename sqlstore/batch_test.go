package sqlstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/sqlstore"
	"github.com/zohoauth/zohoauth/storetest"
)

// randomToken returns a token drawn from small pools of users, clients,
// tokens and ids, so that a sequence of them updates, merges and conflicts.
func randomToken(r *rand.Rand, pool int) *zohoauth.Token {
	pick := func(p float64, f func() string) string {
		if r.Float64() < p {
			return f()
		}
		return ""
	}
	n := func(k int) string { return strconv.Itoa(r.IntN(k)) }
	return &zohoauth.Token{
		ID:           pick(0.15, func() string { return strconv.Itoa(1 + r.IntN(pool*2)) }),
		UserName:     pick(0.7, func() string { return "user" + n(pool) + "@example.com:" + n(3) }),
		ClientID:     pick(0.8, func() string { return "1000.C" + n(3) }),
		ClientSecret: pick(0.5, func() string { return "secret" + n(3) }),
		RefreshToken: pick(0.6, func() string { return "1000.refresh." + n(pool*2) }),
		AccessToken:  pick(0.6, func() string { return "1000.access." + n(pool*2) }),
		GrantToken:   pick(0.2, func() string { return "1000.grant." + n(pool) }),
		Expiry:       time.UnixMilli(1795879420612 + int64(r.IntN(1000))),
		APIDomain:    pick(0.5, func() string { return "https://www.zohoapis.com" }),
	}
}

// TestSaveTokensLikeSaveToken checks that SaveTokens stores what SaveToken
// would, token after token (the memory store, which applies the same rules,
// is the reference), or on an error nothing: random batches over tables
// that already hold overlapping rows, read whole (a table not much larger
// than the batch) or through IN lists (a larger table), and batches larger
// than one statement's 500 rows.
func TestSaveTokensLikeSaveToken(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			cases := []struct{ stored, batch, pool, runs int }{{15, 20, 10, 12}, {200, 15, 60, 6}, {600, 1200, 400, 2}, {0, 1100, 2000, 1}}
			var failed, total int
			defer func() { t.Logf("%d of %d batches failed as one by one", failed, total) }()
			for ci, c := range cases {
				for run := 0; run < c.runs; run++ {
					total++
					r := rand.New(rand.NewPCG(uint64(ci), uint64(run)))
					s := e.open(t)
					ref := memory.New()
					ctx := t.Context()
					for i := 0; i < c.stored; i++ {
						tok := randomToken(r, c.pool)
						want, got := tok.Clone(), tok.Clone()
						werr, gerr := ref.SaveToken(ctx, want), s.SaveToken(ctx, got)
						if (werr == nil) != (gerr == nil) {
							t.Fatalf("case %d run %d: SaveToken = %v, memory store %v", ci, run, gerr, werr)
						}
					}
					// A batch that one by one succeeds; every third ends
					// with a token that one by one fails.
					var batch, want []*zohoauth.Token
					for len(batch) < c.batch {
						tok := randomToken(r, c.pool)
						w := tok.Clone()
						if ref.SaveToken(ctx, w) == nil {
							batch, want = append(batch, tok), append(want, w)
						}
					}
					var werr error
					for tries := 0; run%3 == 0 && werr == nil && tries < 10000; tries++ {
						tok := randomToken(r, c.pool)
						w := tok.Clone()
						werr = ref.SaveToken(ctx, w)
						batch, want = append(batch, tok), append(want, w)
					}
					before, err := s.Tokens(ctx)
					if err != nil {
						t.Fatal(err)
					}
					got := make([]*zohoauth.Token, len(batch))
					for i, tok := range batch {
						got[i] = tok.Clone()
					}
					gerr := s.SaveTokens(ctx, got)
					label := fmt.Sprintf("case %d run %d", ci, run)
					if werr != nil {
						if gerr == nil {
							t.Fatalf("%s: SaveTokens succeeded; one by one a save fails with %v", label, werr)
						}
						for i := range got {
							if d := storetest.Diff(got[i], batch[i]); d != nil {
								t.Fatalf("%s: a failed SaveTokens changed token %d: %v", label, i, d)
							}
						}
						compare(t, label+" after a failed batch", s, before)
						failed++
						continue
					}
					if gerr != nil {
						t.Fatalf("%s: SaveTokens = %v; one by one every save succeeds", label, gerr)
					}
					for i := range got {
						if d := storetest.Diff(got[i], want[i]); d != nil {
							t.Fatalf("%s: token %d saved as %v, one by one as %v: %v", label, i, got[i].ID, want[i].ID, d)
						}
					}
					all, _ := ref.Tokens(ctx)
					compare(t, label, s, all)
				}
			}
		})
	}
}

// compare checks that s holds exactly the tokens want (ordered by id).
func compare(t *testing.T, label string, s zohoauth.Store, want []*zohoauth.Token) {
	t.Helper()
	got, err := s.Tokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", label, len(got), len(want))
	}
	for i := range got {
		if d := storetest.Diff(got[i], want[i]); d != nil {
			t.Fatalf("%s: row %s differs from %s: %v", label, got[i].ID, want[i].ID, d)
		}
	}
}

// TestSaveTokensConflictThroughFoundRow checks a conflict that only the
// other rows of a found row's user show: the batch's token names neither
// that user nor the row it conflicts with.
func TestSaveTokensConflictThroughFoundRow(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			ctx := t.Context()
			a, b := storetest.Token(1, "A"), storetest.Token(1, "B") // one user, two clients
			// Other users, so that the batch reads the rows it can touch
			// rather than the whole table.
			var others []*zohoauth.Token
			for i := 10; i < 20; i++ {
				others = append(others, storetest.Token(i, "A"))
			}
			for _, tok := range append([]*zohoauth.Token{a, b}, others...) {
				if err := s.SaveToken(ctx, tok); err != nil {
					t.Fatal(err)
				}
			}
			move := &zohoauth.Token{ID: a.ID, ClientID: b.ClientID, AccessToken: "1000.access.moved"}
			if err := s.SaveTokens(ctx, []*zohoauth.Token{storetest.Token(2, "A"), move}); !errors.Is(err, zohoauth.ErrConflict) {
				t.Fatalf("SaveTokens moving %s to the client of %s = %v, want ErrConflict", a.ID, b.ID, err)
			}
			compare(t, "after the refused batch", s, append([]*zohoauth.Token{a, b}, others...))
		})
	}
}

// TestSaveTokensDisjoint checks the ids of a batch that shares nothing with
// the stored rows: they follow the greatest stored id.
func TestSaveTokensDisjoint(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			s := e.open(t)
			ctx := t.Context()
			a := storetest.Token(1, "A")
			a.ID = "41"
			if err := s.SaveToken(ctx, a); err != nil {
				t.Fatal(err)
			}
			batch := []*zohoauth.Token{storetest.Token(2, "A"), storetest.Token(3, "A")}
			if err := s.SaveTokens(ctx, batch); err != nil {
				t.Fatal(err)
			}
			if batch[0].ID != "42" || batch[1].ID != "43" {
				t.Fatalf("a disjoint batch got ids %s and %s, want 42 and 43", batch[0].ID, batch[1].ID)
			}
		})
	}
}

// TestSaveTokensReadsWhatSavesLookUp checks the rows a batch reads through
// IN lists (a table of more than four rows per token of the batch) against
// the memory store, save by save: a token with an id is found by its id
// alone, yet its user name's rows are read for the conflict check; one
// without an id is found by the key storekit.SaveKeys names.
func TestSaveTokensReadsWhatSavesLookUp(t *testing.T) {
	const stored = 40
	row := func(n int) *zohoauth.Token { // stored row n, id n
		tok := storetest.Token(n, "A")
		tok.ID = strconv.Itoa(n)
		return tok
	}
	cases := []struct {
		name  string
		batch []*zohoauth.Token
	}{
		{"new id, user of a stored row, same client", []*zohoauth.Token{
			{ID: "100", UserName: row(7).UserName, ClientID: row(7).ClientID, AccessToken: "1000.access.new"}}},
		{"new id, user of a stored row, other client", []*zohoauth.Token{
			{ID: "100", UserName: row(7).UserName, ClientID: "1000.CLIENTB", AccessToken: "1000.access.new"}}},
		{"stored id, new user of another row's user and client", []*zohoauth.Token{
			{ID: "5", UserName: row(8).UserName, AccessToken: "1000.access.new"}}},
		{"stored id, an update", []*zohoauth.Token{
			{ID: "5", AccessToken: "1000.access.new"}, {ID: "6", RefreshToken: "1000.refresh.new"}}},
		{"no id, a stored refresh token", []*zohoauth.Token{
			{RefreshToken: row(9).RefreshToken, AccessToken: "1000.access.new"}}},
		{"no id, a stored access token alone", []*zohoauth.Token{
			{AccessToken: row(10).AccessToken, RefreshToken: "1000.refresh.new"}}},
		{"no id, a stored user", []*zohoauth.Token{
			{UserName: row(12).UserName, ClientID: row(12).ClientID, AccessToken: "1000.access.new"}}},
		{"new id, a stored access token", []*zohoauth.Token{
			{ID: "200", AccessToken: row(3).AccessToken}}},
		{"a stored id merging into a user that a later new id takes", []*zohoauth.Token{
			{ID: "14", AccessToken: "1000.access.new"},
			{ID: "300", UserName: row(14).UserName, ClientID: row(14).ClientID, AccessToken: "1000.access.other"}}},
	}
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			for _, c := range cases {
				ctx := t.Context()
				s, ref := e.open(t), memory.New()
				var all []*zohoauth.Token
				for n := 1; n <= stored; n++ {
					all = append(all, row(n))
				}
				if err := zohoauth.SaveAll(ctx, ref, all); err != nil {
					t.Fatal(err)
				}
				if err := s.SaveTokens(ctx, all); err != nil {
					t.Fatal(err)
				}
				var werr error
				for _, tok := range c.batch {
					if werr = ref.SaveToken(ctx, tok.Clone()); werr != nil {
						break
					}
				}
				batch := make([]*zohoauth.Token, len(c.batch))
				for i, tok := range c.batch {
					batch[i] = tok.Clone()
				}
				gerr := s.SaveTokens(ctx, batch)
				if (werr == nil) != (gerr == nil) || (werr != nil && !errors.Is(gerr, zohoauth.ErrConflict)) {
					t.Fatalf("%s: SaveTokens = %v; one by one %v", c.name, gerr, werr)
				}
				if werr != nil {
					ref = memory.New()
					_ = zohoauth.SaveAll(ctx, ref, all)
				}
				want, _ := ref.Tokens(ctx)
				compare(t, c.name, s, want)
			}
		})
	}
}

// TestSaveTokensReusesChunkStatements saves batches of more than one
// statement's 500 rows into one store: the first batch prepares the
// statements of full runs (the INSERT, the IN lists, the delete of orphan
// lifecycle records), and the batches after it reuse them, prepare no
// more, and store what the memory store does.
func TestSaveTokensReusesChunkStatements(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			ctx := t.Context()
			s, ref := e.open(t), memory.New()
			all := storetest.Tokens(3000)
			var prepared int
			for i, start := range []int{0, 1000, 2000} {
				batch := all[start : start+1000]
				if i == 2 {
					// Updates of the rows of the first batch, by id, and
					// new rows.
					for j := range batch[:500] {
						batch[j] = &zohoauth.Token{ID: all[j].ID, AccessToken: fmt.Sprint("1000.access.updated.", j)}
					}
				}
				if err := zohoauth.SaveAll(ctx, ref, cloneAll(batch)); err != nil {
					t.Fatal(err)
				}
				if err := s.SaveTokens(ctx, cloneAll(batch)); err != nil {
					t.Fatalf("batch %d: %v", i, err)
				}
				n := sqlstore.ChunkStmts(s)
				switch {
				case i == 0 && n == 0:
					t.Fatal("the first batch left no statement prepared")
				case i > 0 && n > prepared:
					t.Fatalf("batch %d prepared %d more statements", i, n-prepared)
				}
				prepared = max(prepared, n)
			}
			want, _ := ref.Tokens(ctx)
			compare(t, "after three batches", s, want)
		})
	}
}
