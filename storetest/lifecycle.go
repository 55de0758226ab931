package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// keeper returns s as a LifecycleKeeper; Run checked the capability.
func keeper(s zohoauth.Store) zohoauth.LifecycleKeeper { return s.(zohoauth.LifecycleKeeper) }

// LifecycleDiff returns the names of the fields in which two lifecycle
// records differ, times compared with Equal; nil when they are equal.
func LifecycleDiff(a, b zohoauth.Lifecycle) []string {
	var out []string
	for _, f := range []struct {
		name string
		x, y time.Time
	}{
		{"LoginAt", a.LoginAt, b.LoginAt}, {"LastUsedAt", a.LastUsedAt, b.LastUsedAt},
		{"LastRefreshAt", a.LastRefreshAt, b.LastRefreshAt}, {"LastFailureAt", a.LastFailureAt, b.LastFailureAt},
		{"ExhaustedAt", a.ExhaustedAt, b.ExhaustedAt},
	} {
		if !f.x.Equal(f.y) || f.x.IsZero() != f.y.IsZero() {
			out = append(out, fmt.Sprintf("%s (%v vs %v)", f.name, f.x, f.y))
		}
	}
	if a.ID != b.ID {
		out = append(out, fmt.Sprintf("ID (%q vs %q)", a.ID, b.ID))
	}
	if a.Failures != b.Failures {
		out = append(out, fmt.Sprintf("Failures (%d vs %d)", a.Failures, b.Failures))
	}
	if a.FailureDays != b.FailureDays {
		out = append(out, fmt.Sprintf("FailureDays (%d vs %d)", a.FailureDays, b.FailureDays))
	}
	if a.LastError != b.LastError {
		out = append(out, fmt.Sprintf("LastError (%q vs %q)", a.LastError, b.LastError))
	}
	return out
}

func sameLifecycle(t *testing.T, what string, got, want zohoauth.Lifecycle) {
	t.Helper()
	if d := LifecycleDiff(got, want); len(d) > 0 {
		t.Fatalf("%s: record differs in %s", what, strings.Join(d, ", "))
	}
}

func mustLifecycle(t *testing.T, k zohoauth.LifecycleKeeper, id string) zohoauth.Lifecycle {
	t.Helper()
	l, err := k.Lifecycle(ctx(t), id)
	if err != nil {
		t.Fatalf("Lifecycle(%q): %v", id, err)
	}
	if l.ID != id {
		t.Fatalf("Lifecycle(%q) has ID %q", id, l.ID)
	}
	return l
}

func mustUpdate(t *testing.T, k zohoauth.LifecycleKeeper, id string, fn func(*zohoauth.Lifecycle)) zohoauth.Lifecycle {
	t.Helper()
	l, err := k.UpdateLifecycle(ctx(t), id, func(l *zohoauth.Lifecycle) error { fn(l); return nil })
	if err != nil {
		t.Fatalf("UpdateLifecycle(%q): %v", id, err)
	}
	return l
}

func allLifecycles(t *testing.T, k zohoauth.LifecycleKeeper) []zohoauth.Lifecycle {
	t.Helper()
	got, err := k.LifecyclesAfter(ctx(t), "", 1_000_000)
	if err != nil {
		t.Fatalf("LifecyclesAfter: %v", err)
	}
	return got
}

// wantTokensUnchanged checks that the store's tokens are still before:
// lifecycle records never touch Zoho's columns.
func wantTokensUnchanged(t *testing.T, s zohoauth.Store, before []*zohoauth.Token) {
	t.Helper()
	after := all(t, s)
	if len(after) != len(before) {
		t.Fatalf("%d tokens, %d before the lifecycle calls", len(after), len(before))
	}
	for i := range before {
		same(t, "a token after lifecycle calls", after[i], before[i])
	}
}

// FullLifecycle returns a record of id with every field set: times with
// nanoseconds in a zone other than UTC, the Unix epoch itself (a time, not
// "unknown"), a far future, and a LastError that quotes, separates and
// breaks lines. Stores keep the times to the millisecond.
func FullLifecycle(id string) zohoauth.Lifecycle {
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	return zohoauth.Lifecycle{
		ID:            id,
		LoginAt:       time.Date(2026, 11, 1, 9, 8, 7, 654_321_987, zone),
		LastUsedAt:    time.Date(2026, 11, 30, 5, 6, 7, 999_999_999, zone),
		LastRefreshAt: time.Date(1969, 12, 31, 23, 59, 59, 1_500_000, time.UTC), // before the epoch
		LastFailureAt: time.Unix(0, 0),
		Failures:      2_000_000_000,
		FailureDays:   3,
		LastError:     "invalid_code, \"quoted\"\nline; DROP TABLE oauthtoken; -- ü 🚀",
		ExhaustedAt:   time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC),
	}
}

func truncated(l zohoauth.Lifecycle) zohoauth.Lifecycle {
	for _, p := range []*time.Time{&l.LoginAt, &l.LastUsedAt, &l.LastRefreshAt, &l.LastFailureAt, &l.ExhaustedAt} {
		*p = p.Truncate(time.Millisecond)
	}
	return l
}

func testLifecycleRoundTrip(t *testing.T, s zohoauth.Store) {
	k := keeper(s)
	a := save(t, s, full(1, "A"))
	b := save(t, s, full(2, "A"))
	before := all(t, s)
	want := FullLifecycle(a.ID)
	got := mustUpdate(t, k, a.ID, func(l *zohoauth.Lifecycle) {
		if !l.IsZero() || l.ID != a.ID {
			t.Errorf("fn got %+v, want a zero record of id %s", *l, a.ID)
		}
		*l = want
		l.ID = b.ID // fn cannot change the id
	})
	sameLifecycle(t, "UpdateLifecycle's result", got, truncated(want))
	sameLifecycle(t, "read back", mustLifecycle(t, k, a.ID), truncated(want))
	if l := mustLifecycle(t, k, b.ID); !l.IsZero() {
		t.Fatalf("the record of another token changed: %+v", l)
	}
	// A second update sees the stored record and changes one field.
	got = mustUpdate(t, k, a.ID, func(l *zohoauth.Lifecycle) {
		sameLifecycle(t, "fn's record", *l, truncated(want))
		l.Failures, l.LastError = 0, ""
	})
	want.Failures, want.LastError = 0, ""
	sameLifecycle(t, "after a second update", mustLifecycle(t, k, a.ID), truncated(want))
	sameLifecycle(t, "the second update's result", got, truncated(want))
	wantTokensUnchanged(t, s, before)
	// Zoho's SDK saving the token again leaves the record alone.
	save(t, s, &zohoauth.Token{UserName: a.UserName, ClientID: a.ClientID, AccessToken: "1000.access.again"})
	sameLifecycle(t, "after a save of the token", mustLifecycle(t, k, a.ID), truncated(want))
	// An update to zero deletes the record.
	mustUpdate(t, k, a.ID, func(l *zohoauth.Lifecycle) { *l = zohoauth.Lifecycle{} })
	if l := allLifecycles(t, k); len(l) != 0 {
		t.Fatalf("a record updated to zero is still listed: %+v", l)
	}
}

func testLifecycleZero(t *testing.T, s zohoauth.Store) {
	k := keeper(s)
	a := save(t, s, full(1, "A"))
	for _, id := range []string{a.ID, "4294967295", "9999999999"} {
		if l := mustLifecycle(t, k, id); !l.IsZero() {
			t.Fatalf("Lifecycle(%q) with no record = %+v, want zero", id, l)
		}
	}
	if err := k.DeleteLifecycle(ctx(t), a.ID); err != nil {
		t.Fatalf("DeleteLifecycle of no record: %v", err)
	}
	if l := allLifecycles(t, k); len(l) != 0 {
		t.Fatalf("reads wrote records: %+v", l)
	}
}

// hostileIDs are ids a store must refuse before it touches its medium.
var hostileIDs = []string{"", "../../x", "1; DROP TABLE oauthtoken", "1' OR '1'='1", "12345678901", "-1", "1 ", " 1", "1\x00", "x", "{1}", "1.5", "١"}

func testLifecycleInvalidID(t *testing.T, s zohoauth.Store) {
	k := keeper(s)
	save(t, s, full(1, "A"))
	before := all(t, s)
	for _, id := range hostileIDs {
		if _, err := k.Lifecycle(ctx(t), id); !errors.Is(err, zohoauth.ErrInvalidID) {
			t.Errorf("Lifecycle(%q) = %v, want ErrInvalidID", id, err)
		}
		called := false
		_, err := k.UpdateLifecycle(ctx(t), id, func(l *zohoauth.Lifecycle) error { called = true; l.Failures = 1; return nil })
		if !errors.Is(err, zohoauth.ErrInvalidID) || called {
			t.Errorf("UpdateLifecycle(%q) = %v (fn called: %v), want ErrInvalidID without calling fn", id, err, called)
		}
		if err := k.DeleteLifecycle(ctx(t), id); !errors.Is(err, zohoauth.ErrInvalidID) {
			t.Errorf("DeleteLifecycle(%q) = %v, want ErrInvalidID", id, err)
		}
		if id != "" {
			if _, err := k.LifecyclesAfter(ctx(t), id, 10); !errors.Is(err, zohoauth.ErrInvalidID) {
				t.Errorf("LifecyclesAfter(%q) = %v, want ErrInvalidID", id, err)
			}
		}
	}
	for _, limit := range []int{0, -1} {
		if _, err := k.LifecyclesAfter(ctx(t), "", limit); err == nil {
			t.Errorf("LifecyclesAfter with limit %d: no error", limit)
		}
	}
	if l := allLifecycles(t, k); len(l) != 0 {
		t.Fatalf("refused ids wrote records: %+v", l)
	}
	wantTokensUnchanged(t, s, before)
}

func testLifecycleAtomic(t *testing.T, s zohoauth.Store) {
	k := keeper(s)
	a := save(t, s, full(1, "A"))
	const workers, rounds = 16, 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for r := 0; r < rounds; r++ {
				// Every goroutine also bumps a record of its own, so a store that
				// locks too widely or writes whole tables still adds up.
				for _, id := range []string{a.ID, fmt.Sprint(100 + w)} {
					if _, err := k.UpdateLifecycle(ctx(t), id, func(l *zohoauth.Lifecycle) error {
						l.Failures++
						l.LastError = fmt.Sprintf("w%d", w)
						return nil
					}); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("UpdateLifecycle: %v", err)
	}
	if got := mustLifecycle(t, k, a.ID).Failures; got != workers*rounds {
		t.Fatalf("Failures = %d after %d concurrent increments: a lost update", got, workers*rounds)
	}
	for w := 0; w < workers; w++ {
		if got := mustLifecycle(t, k, fmt.Sprint(100+w)).Failures; got != rounds {
			t.Fatalf("record %d: Failures = %d after %d increments", 100+w, got, rounds)
		}
	}
}

func testLifecycleAborts(t *testing.T, s zohoauth.Store) {
	k := keeper(s)
	a := save(t, s, full(1, "A"))
	want := mustUpdate(t, k, a.ID, func(l *zohoauth.Lifecycle) { l.Failures, l.LastError = 1, "timeout" })
	veto := errors.New("vetoed by fn")
	_, err := k.UpdateLifecycle(ctx(t), a.ID, func(l *zohoauth.Lifecycle) error {
		l.Failures, l.LastError, l.ExhaustedAt = 99, "written anyway", time.Now()
		return veto
	})
	if !errors.Is(err, veto) {
		t.Fatalf("UpdateLifecycle with fn failing = %v, want fn's error", err)
	}
	sameLifecycle(t, "after an aborted update", mustLifecycle(t, k, a.ID), want)
	// A LastError no store keeps is refused, and nothing is written.
	for _, bad := range []string{strings.Repeat("x", storekit.MaxLastError+1), "nul\x00byte", "\xff\xfe"} {
		if _, err := k.UpdateLifecycle(ctx(t), a.ID, func(l *zohoauth.Lifecycle) error { l.Failures, l.LastError = 5, bad; return nil }); !errors.Is(err, storekit.ErrInvalidLifecycle) {
			t.Fatalf("UpdateLifecycle with a LastError of %d bytes (not storable) = %v, want ErrInvalidLifecycle", len(bad), err)
		}
	}
	sameLifecycle(t, "after a refused LastError", mustLifecycle(t, k, a.ID), want)
	// An aborted first update writes no record either.
	if _, err := k.UpdateLifecycle(ctx(t), "77", func(l *zohoauth.Lifecycle) error { l.Failures = 1; return veto }); !errors.Is(err, veto) {
		t.Fatalf("UpdateLifecycle with fn failing = %v, want fn's error", err)
	}
	if l := allLifecycles(t, k); len(l) != 1 || l[0].ID != a.ID {
		t.Fatalf("records after aborted updates: %+v, want only %s's", l, a.ID)
	}
	// A cancelled context writes nothing.
	c, cancel := contextCancelled(t)
	defer cancel()
	if _, err := k.UpdateLifecycle(c, a.ID, func(l *zohoauth.Lifecycle) error { l.Failures = 50; return nil }); err == nil {
		t.Fatalf("UpdateLifecycle with a cancelled context: no error")
	}
	sameLifecycle(t, "after an update with a cancelled context", mustLifecycle(t, k, a.ID), want)
}

func testLifecycleDeleted(t *testing.T, s zohoauth.Store) {
	k := keeper(s)
	var ids []string
	for i := 1; i <= 4; i++ {
		tok := save(t, s, full(i, "A"))
		ids = append(ids, tok.ID)
		mustUpdate(t, k, tok.ID, func(l *zohoauth.Lifecycle) { *l = FullLifecycle(tok.ID) })
	}
	if err := s.DeleteToken(ctx(t), ids[0]); err != nil {
		t.Fatalf("DeleteToken: %v", err)
	}
	if l := mustLifecycle(t, k, ids[0]); !l.IsZero() {
		t.Fatalf("the record of a deleted token is still kept: %+v", l)
	}
	if l := allLifecycles(t, k); len(l) != 3 {
		t.Fatalf("%d records after deleting one of 4 tokens", len(l))
	}
	wantNotFound(t, "DeleteToken of a deleted token", s.DeleteToken(ctx(t), ids[0]))
	// A token saved again starts with no record.
	again := save(t, s, full(1, "A"))
	if l := mustLifecycle(t, k, again.ID); !l.IsZero() {
		t.Fatalf("a new token has the record %+v", l)
	}
	if err := s.DeleteTokens(ctx(t)); err != nil {
		t.Fatalf("DeleteTokens: %v", err)
	}
	if l := allLifecycles(t, k); len(l) != 0 {
		t.Fatalf("%d records after DeleteTokens", len(l))
	}
}

func testLifecycleOrphans(t *testing.T, s zohoauth.Store) {
	k := keeper(s)
	a := save(t, s, full(1, "A"))
	before := all(t, s)
	// A record whose token is gone (deleted by Zoho's SDK, or never there).
	orphan := "4000000000"
	mustUpdate(t, k, orphan, func(l *zohoauth.Lifecycle) { l.Failures = 7 })
	mustUpdate(t, k, a.ID, func(l *zohoauth.Lifecycle) { l.Failures = 1 })
	got := allLifecycles(t, k)
	if len(got) != 2 || got[0].ID != a.ID || got[1].ID != orphan || got[1].Failures != 7 {
		t.Fatalf("records %+v, want %s's and the orphan %s", got, a.ID, orphan)
	}
	if _, err := s.FindTokenByID(ctx(t), orphan); !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("a record made a token: FindTokenByID(%s) = %v", orphan, err)
	}
	wantTokensUnchanged(t, s, before)
	if err := k.DeleteLifecycle(ctx(t), orphan); err != nil {
		t.Fatalf("DeleteLifecycle: %v", err)
	}
	if err := k.DeleteLifecycle(ctx(t), orphan); err != nil {
		t.Fatalf("DeleteLifecycle of a deleted record: %v", err)
	}
	if got := allLifecycles(t, k); len(got) != 1 || got[0].ID != a.ID {
		t.Fatalf("records %+v after deleting the orphan", got)
	}
	wantTokensUnchanged(t, s, before)
}

func testLifecyclePages(t *testing.T, s zohoauth.Store) {
	k := keeper(s)
	ids := []string{"1", "2", "9", "10", "11", "99", "100", "007", "7", "0010", "12345", "999999999", "1000000000", "9999999999"}
	for i := 20; i < 40; i++ {
		ids = append(ids, fmt.Sprint(i*37))
	}
	want := append([]string(nil), ids...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	for i, id := range ids {
		mustUpdate(t, k, id, func(l *zohoauth.Lifecycle) { l.Failures = i + 1 })
	}
	sortIDs(want)
	for _, size := range []int{1, 3, 7, len(want), len(want) + 1} {
		var got []string
		after := ""
		for {
			page, err := k.LifecyclesAfter(ctx(t), after, size)
			if err != nil {
				t.Fatalf("LifecyclesAfter(%q, %d): %v", after, size, err)
			}
			if len(page) > size {
				t.Fatalf("LifecyclesAfter(%q, %d) returned %d records", after, size, len(page))
			}
			for _, l := range page {
				got = append(got, l.ID)
			}
			if len(page) < size {
				break
			}
			after = page[len(page)-1].ID
			if len(got) > 2*len(want) {
				t.Fatalf("paging by %d does not end: %v", size, got)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("pages of %d: ids\n %v\nwant\n %v", size, got, want)
		}
	}
	// A page after an id with no record starts at the next one.
	page, err := k.LifecyclesAfter(ctx(t), "8", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].ID != "9" || page[1].ID != "0010" {
		t.Fatalf("LifecyclesAfter(8, 2) = %+v, want 9 and 0010", page)
	}
}

func sortIDs(ids []string) { slices.SortFunc(ids, storekit.CompareLifecycleIDs) }

// contextCancelled returns a context that is already cancelled.
func contextCancelled(t *testing.T) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	return c, cancel
}

// testLifecycleNewTokenOrphan checks that a token a save creates never
// inherits the record of its id. A program that does not know about
// lifecycle records (Zoho's SDK, an editor, a DELETE in SQL) may delete a
// token and leave its record; the file and SQL stores then give the next
// token that same id (the greatest id plus one, as Zoho's SDKs do), and a
// stale ExhaustedAt, LoginAt or Failures would make the authenticator's
// policies expire, refuse or drop a brand-new login. The kit cannot delete a
// token behind the store's back, so it writes the orphan first: a record for
// the id the next insert takes (the greatest id plus one, which every store
// of the repository picks after a fresh save), and for ids given by the
// caller. A save that updates a token keeps its record.
func testLifecycleNewTokenOrphan(t *testing.T, s zohoauth.Store) {
	k := keeper(s)
	stale := func(l *zohoauth.Lifecycle) {
		*l = FullLifecycle(l.ID)
	}
	wantZero := func(what, id string) {
		t.Helper()
		if l := mustLifecycle(t, k, id); !l.IsZero() {
			t.Fatalf("%s: the new token %s inherited the orphan record %+v", what, id, l)
		}
	}
	a := save(t, s, full(1, "A"))
	mustUpdate(t, k, a.ID, stale)
	next := nextID(t, a.ID)

	// SaveToken, the store picks the id.
	mustUpdate(t, k, next, stale)
	b := save(t, s, full(2, "A"))
	if b.ID == next {
		wantZero("SaveToken", b.ID)
	} else if l := mustLifecycle(t, k, b.ID); !l.IsZero() {
		t.Fatalf("SaveToken: the new token %s has the record %+v", b.ID, l)
	}
	// SaveToken, the caller gives an id no token has.
	mustUpdate(t, k, "4000000000", stale)
	c := full(3, "A")
	c.ID = "4000000000"
	save(t, s, c)
	wantZero("SaveToken with an id", "4000000000")

	// An update of a token, by id or by its keys, keeps its record.
	save(t, s, &zohoauth.Token{ID: a.ID, AccessToken: "1000.access.again"})
	save(t, s, &zohoauth.Token{UserName: a.UserName, ClientID: a.ClientID, AccessToken: "1000.access.again2"})
	sameLifecycle(t, "the record of an updated token", mustLifecycle(t, k, a.ID), truncated(FullLifecycle(a.ID)))

	if bs, ok := s.(zohoauth.BatchSaver); ok {
		// A batch that inserts with picked and given ids, and updates a.
		picked := nextID(t, "4000000000")
		for _, id := range []string{picked, "3999999000", a.ID} {
			mustUpdate(t, k, id, stale)
		}
		d, e := full(4, "A"), full(5, "A")
		e.ID = "3999999000"
		upd := &zohoauth.Token{ID: a.ID, AccessToken: "1000.access.batch"}
		if err := bs.SaveTokens(ctx(t), []*zohoauth.Token{d, e, upd}); err != nil {
			t.Fatalf("SaveTokens: %v", err)
		}
		if d.ID == picked {
			wantZero("SaveTokens", d.ID)
		} else if l := mustLifecycle(t, k, d.ID); !l.IsZero() {
			t.Fatalf("SaveTokens: the new token %s has the record %+v", d.ID, l)
		}
		wantZero("SaveTokens with an id", e.ID)
		sameLifecycle(t, "the record of a token a batch updates", mustLifecycle(t, k, a.ID), truncated(FullLifecycle(a.ID)))
	}
	if cs, ok := s.(zohoauth.CompareAndSwapper); ok {
		cur := mustByID(t, s, a.ID)
		if err := cs.SwapToken(ctx(t), cur, &zohoauth.Token{AccessToken: "1000.access.swapped", Expiry: cur.Expiry}); err != nil {
			t.Fatalf("SwapToken: %v", err)
		}
		sameLifecycle(t, "the record of a swapped token", mustLifecycle(t, k, a.ID), truncated(FullLifecycle(a.ID)))
	}
	// A failed save deletes no record: a conflict (the user of b, for the
	// client of b, under a new id) inserts nothing.
	orphan := "3999999999"
	mustUpdate(t, k, orphan, stale)
	dup := full(2, "A")
	dup.ID = orphan
	if err := s.SaveToken(ctx(t), dup); err == nil {
		t.Fatalf("SaveToken of a second token of one user and client under id %s: no error", orphan)
	}
	sameLifecycle(t, "an orphan record after a failed save", mustLifecycle(t, k, orphan), truncated(FullLifecycle(orphan)))
}

// nextID returns the id after id (the greatest so far), as the stores pick
// it: storekit.NextID.
func nextID(t *testing.T, id string) string {
	t.Helper()
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	return storekit.NextID(n)
}
