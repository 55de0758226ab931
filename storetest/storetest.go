// Package storetest is the conformance kit of zohoauth.Store: one call runs
// every rule of the Store contract against a store, so that a custom store
// gets its whole test in one line:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) zohoauth.Store { return mystore.New(t.TempDir()) })
//	}
//
// The factory is called once per subtest and must return an empty store,
// cleaned up through t.Cleanup when it holds resources.
//
// Besides the six methods, Run checks the optional capabilities a store has
// (zohoauth.BatchSaver, CompareAndSwapper, Locker, Pager, LifecycleKeeper)
// and skips, with a message, the checks of those it lacks, unless the store
// claims them: a store passes Claim with the capabilities it promises, and a
// claimed
// capability that the store does not expose (a wrapper that hides it, a
// method whose signature drifted) fails its checks instead of skipping them:
//
//	storetest.Run(t, newStore, storetest.Claim(storetest.Locker, storetest.CompareAndSwapper))
//
// MultiProcess, MultiProcessLock and MultiProcessLifecycle check a store shared by several OS
// processes; Server applies the rule for test servers (skip outside CI, fail
// in CI); Token is the kit's fixture. BenchLifecycle and BenchSwapRefresh
// measure a store's lifecycle records and the guarded save of a refresh,
// each against a baseline of the same iterations; BenchSizes reads the
// store sizes a benchmark runs at.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// NewStore returns a new, empty store for one subtest.
type NewStore func(t *testing.T) zohoauth.Store

// Run runs the whole kit against the stores newStore makes, each check in a
// subtest of its own. The checks of an optional capability skip when the
// store lacks it, and fail when opts claim it (Claim).
func Run(t *testing.T, newStore NewStore, opts ...Option) {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			requireCapability(t, s, c.needs, o.claims)
			c.run(t, s)
		})
	}
}

type check struct {
	name  string
	needs Capability // the optional capability checked, or ""
	run   func(t *testing.T, s zohoauth.Store)
}

// Names returns the names of the kit's checks, the subtests Run creates.
func Names() []string {
	out := make([]string, len(checks))
	for i, c := range checks {
		out[i] = c.name
	}
	return out
}

var checks = []check{
	{"Empty", "", testEmpty},
	{"SaveAssignsNumericIDs", "", testSaveAssignsIDs},
	{"FindByEachKey", "", testFindByEachKey},
	{"FindPrecedence", "", testFindPrecedence},
	{"FindReturnsFullToken", "", testFindReturnsFullToken},
	{"FindByEmail", "", testFindByEmail},
	{"FindByEmailAmbiguous", "", testFindByEmailAmbiguous},
	{"UpsertByUser", "", testUpsertByUser},
	{"UpsertByRefreshToken", "", testUpsertByRefreshToken},
	{"UpsertByID", "", testUpsertByID},
	{"EmptyFieldKeepsStoredValue", "", testEmptyFieldKeeps},
	{"NothingToSave", "", testNothingToSave},
	{"InvalidID", "", testInvalidID},
	{"InsertWithOwnID", "", testInsertWithOwnID},
	{"UsersAndClientsApart", "", testUsersAndClientsApart},
	{"EmptyClientIDMatchesAny", "", testEmptyClientID},
	{"ConflictLeavesStoreIntact", "", testConflict},
	{"Copies", "", testCopies},
	{"DeleteToken", "", testDeleteToken},
	{"DeleteTokens", "", testDeleteTokens},
	{"IDsNeverReused", "", testIDsNotReused},
	{"AwkwardValues", "", testAwkwardValues},
	{"ExpiryMilliseconds", "", testExpiry},
	{"ManyUsersAndClients", "", testMany},
	{"ConcurrentDistinctUsers", "", testConcurrentDistinct},
	{"ConcurrentSameUser", "", testConcurrentSameUser},
	{"ErrorsAreTyped", "", testErrorsTyped},
	{"SecretsNotInErrors", "", testSecretsNotInErrors},
	{"BatchSaveAllOrNothing", BatchSaver, testBatch},
	{"PagesInIDOrder", Pager, testPages},
	{"SwapToken", CompareAndSwapper, testSwapToken},
	{"SwapTokenHalfStale", CompareAndSwapper, testSwapHalfStale},
	{"SwapTokenOneWinner", CompareAndSwapper, testSwapOneWinner},
	{"LockExclusive", Locker, testLockExclusive},
	{"LockLeaseTakeover", Locker, testLockLeaseTakeover},
	{"LockExtend", Locker, testLockExtend},
	{"LockContention", Locker, testLockContention},
	{"LockUnless", LockChecker, testLockUnless},
	{"Deriver", Deriver, testDeriver},
	{"LifecycleRoundTrip", LifecycleKeeper, testLifecycleRoundTrip},
	{"LifecycleZeroWhenNone", LifecycleKeeper, testLifecycleZero},
	{"LifecycleInvalidID", LifecycleKeeper, testLifecycleInvalidID},
	{"LifecycleUpdateAtomic", LifecycleKeeper, testLifecycleAtomic},
	{"LifecycleUpdateAborts", LifecycleKeeper, testLifecycleAborts},
	{"LifecycleDeletedWithToken", LifecycleKeeper, testLifecycleDeleted},
	{"LifecycleOrphans", LifecycleKeeper, testLifecycleOrphans},
	{"LifecycleNewTokenNoOrphan", LifecycleKeeper, testLifecycleNewTokenOrphan},
	{"LifecyclePages", LifecycleKeeper, testLifecyclePages},
}

func ctx(t *testing.T) context.Context { return t.Context() }

// full is Token, the kit's fixture.
func full(n int, c string) *zohoauth.Token { return Token(n, c) }

func save(t *testing.T, s zohoauth.Store, tok *zohoauth.Token) *zohoauth.Token {
	t.Helper()
	if err := s.SaveToken(ctx(t), tok); err != nil {
		t.Fatalf("SaveToken(%v): %v", tok, err)
	}
	if !storekit.ValidID(tok.ID) {
		t.Fatalf("SaveToken left id %q, want a numeric id", tok.ID)
	}
	return tok
}

func mustFind(t *testing.T, s zohoauth.Store, q *zohoauth.Token) *zohoauth.Token {
	t.Helper()
	got, err := s.FindToken(ctx(t), q)
	if err != nil {
		t.Fatalf("FindToken(%v): %v", q, err)
	}
	if got == nil {
		t.Fatalf("FindToken(%v) returned nil and no error", q)
	}
	return got
}

func mustByID(t *testing.T, s zohoauth.Store, id string) *zohoauth.Token {
	t.Helper()
	got, err := s.FindTokenByID(ctx(t), id)
	if err != nil {
		t.Fatalf("FindTokenByID(%q): %v", id, err)
	}
	if got == nil {
		t.Fatalf("FindTokenByID(%q) returned nil and no error", id)
	}
	return got
}

func all(t *testing.T, s zohoauth.Store) []*zohoauth.Token {
	t.Helper()
	got, err := s.Tokens(ctx(t))
	if err != nil {
		t.Fatalf("Tokens: %v", err)
	}
	return got
}

// diff returns the fields in which two tokens differ, by name, without values.
func diff(a, b *zohoauth.Token) []string {
	var out []string
	for _, f := range []struct {
		name string
		x, y string
	}{
		{"ID", a.ID, b.ID}, {"UserName", a.UserName, b.UserName}, {"ClientID", a.ClientID, b.ClientID},
		{"ClientSecret", a.ClientSecret, b.ClientSecret}, {"GrantToken", a.GrantToken, b.GrantToken},
		{"RefreshToken", a.RefreshToken, b.RefreshToken}, {"AccessToken", a.AccessToken, b.AccessToken},
		{"RedirectURL", a.RedirectURL, b.RedirectURL}, {"APIDomain", a.APIDomain, b.APIDomain},
	} {
		if f.x != f.y {
			out = append(out, fmt.Sprintf("%s (%d vs %d bytes)", f.name, len(f.x), len(f.y)))
		}
	}
	if !a.Expiry.Equal(b.Expiry) {
		out = append(out, fmt.Sprintf("Expiry (%s vs %s)", storekit.FormatExpiry(a.Expiry), storekit.FormatExpiry(b.Expiry)))
	}
	return out
}

func same(t *testing.T, what string, got, want *zohoauth.Token) {
	t.Helper()
	if d := diff(got, want); len(d) > 0 {
		t.Fatalf("%s: token differs in %s\n got: %v\nwant: %v", what, strings.Join(d, ", "), got, want)
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("%s: error %v, want one matching zohoauth.ErrNotFound", what, err)
	}
	wantStoreError(t, what, err)
}

func wantStoreError(t *testing.T, what string, err error) {
	t.Helper()
	var ze *zohoauth.Error
	if !errors.As(err, &ze) || ze.Code != zohoauth.CodeTokenStore {
		t.Fatalf("%s: error %v (%T), want a *zohoauth.Error with Code %q", what, err, err, zohoauth.CodeTokenStore)
	}
}

func wantCount(t *testing.T, s zohoauth.Store, n int) []*zohoauth.Token {
	t.Helper()
	got := all(t, s)
	if len(got) != n {
		t.Fatalf("Tokens returned %d tokens, want %d", len(got), n)
	}
	return got
}

func testEmpty(t *testing.T, s zohoauth.Store) {
	wantCount(t, s, 0)
	_, err := s.FindTokenByID(ctx(t), "1")
	wantNotFound(t, "FindTokenByID on an empty store", err)
	wantNotFound(t, "DeleteToken on an empty store", s.DeleteToken(ctx(t), "1"))
	_, err = s.FindToken(ctx(t), full(1, "A"))
	wantNotFound(t, "FindToken on an empty store", err)
	_, err = s.FindToken(ctx(t), &zohoauth.Token{})
	wantNotFound(t, "FindToken of a token without keys", err)
	if err := s.DeleteTokens(ctx(t)); err != nil {
		t.Fatalf("DeleteTokens on an empty store: %v", err)
	}
}

func testSaveAssignsIDs(t *testing.T, s zohoauth.Store) {
	// Twelve tokens: Zoho's string max(id) gives "10" twice at the eleventh.
	seen := map[string]bool{}
	prev := uint64(0)
	for i := 1; i <= 12; i++ {
		tok := save(t, s, full(i, "A"))
		if seen[tok.ID] {
			t.Fatalf("save %d got id %q, already given to another token", i, tok.ID)
		}
		seen[tok.ID] = true
		n, _ := strconv.ParseUint(tok.ID, 10, 64)
		if n <= prev {
			t.Fatalf("save %d got id %s, not greater than the previous id %d", i, tok.ID, prev)
		}
		prev = n
	}
	got := wantCount(t, s, 12)
	for i := 1; i < len(got); i++ {
		if storekit.CompareIDs(got[i-1].ID, got[i].ID) >= 0 {
			t.Fatalf("Tokens not ordered by numeric id: %q before %q", got[i-1].ID, got[i].ID)
		}
	}
}

func testFindByEachKey(t *testing.T, s zohoauth.Store) {
	a := save(t, s, full(1, "A"))
	grant := &zohoauth.Token{ClientID: "1000.CLIENTG", ClientSecret: "sg", GrantToken: "1000.grant.xyz", RedirectURL: "https://g/cb"}
	g := save(t, s, grant)
	accessOnly := save(t, s, &zohoauth.Token{AccessToken: "1000.accessonly.1"})
	cases := []struct {
		name  string
		query *zohoauth.Token
		want  *zohoauth.Token
	}{
		{"user name", &zohoauth.Token{UserName: a.UserName}, a},
		{"user name and client", &zohoauth.Token{UserName: a.UserName, ClientID: a.ClientID}, a},
		{"access token without client", &zohoauth.Token{AccessToken: a.AccessToken}, a},
		{"access-only token", &zohoauth.Token{AccessToken: accessOnly.AccessToken}, accessOnly},
		{"refresh token with client", &zohoauth.Token{ClientID: a.ClientID, ClientSecret: a.ClientSecret, RefreshToken: a.RefreshToken}, a},
		{"grant token with client", &zohoauth.Token{ClientID: g.ClientID, ClientSecret: g.ClientSecret, GrantToken: g.GrantToken}, g},
		{"id only", &zohoauth.Token{ID: g.ID}, g},
	}
	for _, c := range cases {
		got := mustFind(t, s, c.query)
		same(t, "find by "+c.name, got, c.want)
	}
	misses := []struct {
		name  string
		query *zohoauth.Token
	}{
		{"unknown user", &zohoauth.Token{UserName: "nobody@example.com:1"}},
		{"user of another client", &zohoauth.Token{UserName: a.UserName, ClientID: "1000.OTHER"}},
		{"unknown refresh token", &zohoauth.Token{ClientID: a.ClientID, ClientSecret: "x", RefreshToken: "1000.nope"}},
		{"refresh token of another client", &zohoauth.Token{ClientID: "1000.OTHER", ClientSecret: "x", RefreshToken: a.RefreshToken}},
		{"unknown id", &zohoauth.Token{ID: "999"}},
		{"prefix of a refresh token", &zohoauth.Token{ClientID: a.ClientID, ClientSecret: "x", RefreshToken: a.RefreshToken[:5]}},
	}
	for _, m := range misses {
		_, err := s.FindToken(ctx(t), m.query)
		wantNotFound(t, "find by "+m.name, err)
	}
}

func testFindPrecedence(t *testing.T, s zohoauth.Store) {
	a := save(t, s, full(1, "A"))
	b := save(t, s, full(2, "A"))
	// The user name wins over every other key, and is the only key tried.
	q := &zohoauth.Token{UserName: b.UserName, ClientID: a.ClientID, ClientSecret: "s", RefreshToken: a.RefreshToken, AccessToken: a.AccessToken}
	same(t, "user name before refresh token", mustFind(t, s, q), b)
	_, err := s.FindToken(ctx(t), &zohoauth.Token{UserName: "other@example.com:1", RefreshToken: a.RefreshToken, ClientID: a.ClientID, ClientSecret: "s"})
	wantNotFound(t, "an unknown user name with a known refresh token", err)
	// A grant token is tried before the refresh token, and the refresh token after it.
	g := save(t, s, &zohoauth.Token{ClientID: a.ClientID, ClientSecret: "s", GrantToken: "1000.grant.g", RefreshToken: "1000.refresh.g"})
	same(t, "grant before refresh", mustFind(t, s, &zohoauth.Token{ClientID: a.ClientID, ClientSecret: "s", GrantToken: g.GrantToken, RefreshToken: a.RefreshToken}), g)
	same(t, "refresh after an unknown grant", mustFind(t, s, &zohoauth.Token{ClientID: a.ClientID, ClientSecret: "s", GrantToken: "1000.grant.unknown", RefreshToken: a.RefreshToken}), a)
}

// testFindByEmail: a user name without ':' is an e-mail and finds the
// token of the stored user email:zgid, but never one of a longer e-mail
// that shares its prefix, nor a user name that merely starts with it.
func testFindByEmail(t *testing.T, s zohoauth.Store) {
	ana := save(t, s, &zohoauth.Token{UserName: "ana@example.com:1001", ClientID: "1000.A", ClientSecret: "s", RefreshToken: "1000.refresh.ana"})
	evil := save(t, s, &zohoauth.Token{UserName: "ana@example.com.evil:1002", ClientID: "1000.A", ClientSecret: "s", RefreshToken: "1000.refresh.evil"})
	save(t, s, &zohoauth.Token{UserName: "ana@example.co:1003", ClientID: "1000.A", ClientSecret: "s", RefreshToken: "1000.refresh.co"})
	save(t, s, &zohoauth.Token{UserName: "ana@example.com;1004", ClientID: "1000.A", ClientSecret: "s", RefreshToken: "1000.refresh.semi"})
	save(t, s, &zohoauth.Token{UserName: "ANA@example.com:1005", ClientID: "1000.A", ClientSecret: "s", RefreshToken: "1000.refresh.upper"})
	same(t, "find by the bare e-mail", mustFind(t, s, &zohoauth.Token{UserName: "ana@example.com"}), ana)
	same(t, "find by the bare e-mail and client", mustFind(t, s, &zohoauth.Token{UserName: "ana@example.com", ClientID: "1000.A"}), ana)
	same(t, "find by the longer e-mail", mustFind(t, s, &zohoauth.Token{UserName: "ana@example.com.evil"}), evil)
	for _, q := range []*zohoauth.Token{
		{UserName: "ana@example.com", ClientID: "1000.OTHER"},
		{UserName: "ana@example"},
		{UserName: "na@example.com"},
		{UserName: "ana@example.com.ev"},
		{UserName: "ana@example.com:100"},
	} {
		_, err := s.FindToken(ctx(t), q)
		wantNotFound(t, fmt.Sprintf("find by %q of client %q", q.UserName, q.ClientID), err)
	}
	// A stored user name without ':' is found by itself first.
	bare := save(t, s, &zohoauth.Token{UserName: "ana@example.com", ClientID: "1000.B", ClientSecret: "s", RefreshToken: "1000.refresh.bare"})
	same(t, "find a stored bare user name", mustFind(t, s, &zohoauth.Token{UserName: "ana@example.com"}), bare)
	// A save matches user names exactly: it did not update ana's token.
	same(t, "ana's token after the save of a bare user name", mustByID(t, s, ana.ID), ana)
	// After ana's token is deleted the e-mail finds nothing.
	if err := s.DeleteToken(ctx(t), ana.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(ctx(t), bare.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.FindToken(ctx(t), &zohoauth.Token{UserName: "ana@example.com"})
	wantNotFound(t, "find by the e-mail of a deleted token", err)
}

// testFindByEmailAmbiguous: an e-mail of two stored users (two zgids) is
// an error matching storekit.ErrAmbiguous unless the client tells them
// apart; one user with tokens of two clients is not ambiguous.
func testFindByEmailAmbiguous(t *testing.T, s zohoauth.Store) {
	a := save(t, s, &zohoauth.Token{UserName: "bo@example.com:2001", ClientID: "1000.A", ClientSecret: "s", RefreshToken: "1000.refresh.a"})
	b := save(t, s, &zohoauth.Token{UserName: "bo@example.com:2001", ClientID: "1000.B", ClientSecret: "s", RefreshToken: "1000.refresh.b"})
	same(t, "one user of two clients: the lowest id", mustFind(t, s, &zohoauth.Token{UserName: "bo@example.com"}), a)
	same(t, "one user of two clients, client B", mustFind(t, s, &zohoauth.Token{UserName: "bo@example.com", ClientID: "1000.B"}), b)
	c := save(t, s, &zohoauth.Token{UserName: "bo@example.com:2002", ClientID: "1000.C", ClientSecret: "s", RefreshToken: "1000.refresh.c"})
	_, err := s.FindToken(ctx(t), &zohoauth.Token{UserName: "bo@example.com"})
	if !errors.Is(err, storekit.ErrAmbiguous) {
		t.Fatalf("find by an e-mail of two users: error %v, want one matching storekit.ErrAmbiguous", err)
	}
	if errors.Is(err, zohoauth.ErrNotFound) {
		t.Fatalf("find by an e-mail of two users: error %v matches ErrNotFound", err)
	}
	wantStoreError(t, "find by an e-mail of two users", err)
	same(t, "the e-mail and the client of one of them", mustFind(t, s, &zohoauth.Token{UserName: "bo@example.com", ClientID: "1000.C"}), c)
	same(t, "the full user name", mustFind(t, s, &zohoauth.Token{UserName: "bo@example.com:2002"}), c)
}

func testFindReturnsFullToken(t *testing.T, s zohoauth.Store) {
	want := full(3, "A")
	want.GrantToken = "1000.grant.used"
	save(t, s, want)
	got := mustFind(t, s, &zohoauth.Token{ClientID: want.ClientID, ClientSecret: want.ClientSecret, RefreshToken: want.RefreshToken})
	same(t, "FindToken", got, want)
	same(t, "FindTokenByID", mustByID(t, s, want.ID), want)
	same(t, "Tokens", wantCount(t, s, 1)[0], want)
}

func testUpsertByUser(t *testing.T, s zohoauth.Store) {
	first := save(t, s, full(1, "A"))
	id := first.ID
	upd := &zohoauth.Token{UserName: first.UserName, ClientID: first.ClientID, AccessToken: "1000.access.new", Expiry: time.UnixMilli(1900000000000)}
	save(t, s, upd)
	if upd.ID != id {
		t.Fatalf("a save of the same user got id %q, want the stored id %q", upd.ID, id)
	}
	got := wantCount(t, s, 1)[0]
	want := first.Clone()
	want.AccessToken, want.Expiry = "1000.access.new", time.UnixMilli(1900000000000)
	same(t, "after an update by user name", got, want)
	same(t, "the saved token is updated in place to the stored value", upd, want)
}

func testUpsertByRefreshToken(t *testing.T, s zohoauth.Store) {
	tok := full(1, "A")
	tok.UserName = ""
	first := save(t, s, tok)
	upd := &zohoauth.Token{ClientID: first.ClientID, ClientSecret: first.ClientSecret, RefreshToken: first.RefreshToken, AccessToken: "1000.access.2"}
	save(t, s, upd)
	got := wantCount(t, s, 1)[0]
	if got.ID != first.ID || got.AccessToken != "1000.access.2" || got.RedirectURL != first.RedirectURL {
		t.Fatalf("after an update by refresh token: %v, want id %s with the new access token and the stored redirect URL", got, first.ID)
	}
}

func testUpsertByID(t *testing.T, s zohoauth.Store) {
	a := save(t, s, full(1, "A"))
	save(t, s, full(2, "A"))
	upd := &zohoauth.Token{ID: a.ID, AccessToken: "1000.access.byid", APIDomain: "https://www.zohoapis.eu"}
	save(t, s, upd)
	wantCount(t, s, 2)
	got := mustByID(t, s, a.ID)
	want := a.Clone()
	want.AccessToken, want.APIDomain = "1000.access.byid", "https://www.zohoapis.eu"
	same(t, "after an update by id", got, want)
}

func testEmptyFieldKeeps(t *testing.T, s zohoauth.Store) {
	a := save(t, s, full(1, "A"))
	// A save that carries only the user and a new access token.
	save(t, s, &zohoauth.Token{UserName: a.UserName, AccessToken: "1000.access.only"})
	got := mustByID(t, s, a.ID)
	if got.RefreshToken != a.RefreshToken {
		t.Fatalf("a save without a refresh token changed the stored refresh token (%d bytes now, %d before)", len(got.RefreshToken), len(a.RefreshToken))
	}
	if got.ClientSecret != a.ClientSecret || got.RedirectURL != a.RedirectURL || got.APIDomain != a.APIDomain || !got.Expiry.Equal(a.Expiry) {
		t.Fatalf("a save with empty fields erased stored values: %v, was %v", got, a)
	}
	if got.AccessToken != "1000.access.only" {
		t.Fatalf("the access token was not updated")
	}
}

func testNothingToSave(t *testing.T, s zohoauth.Store) {
	a := save(t, s, full(1, "A"))
	for _, tok := range []*zohoauth.Token{
		{},
		{UserName: "new@example.com:1"},
		{ID: "77"},
		{ClientID: "c", ClientSecret: "s", RedirectURL: "https://x"},
	} {
		err := s.SaveToken(ctx(t), tok)
		if !errors.Is(err, zohoauth.ErrNothingToSave) {
			t.Fatalf("SaveToken(%v) = %v, want an error matching ErrNothingToSave", tok, err)
		}
		wantStoreError(t, "save with nothing to save", err)
		if !strings.Contains(err.Error(), storekit.MsgDetailsNotFound) {
			t.Fatalf("SaveToken(%v) = %q, want Zoho's text %q", tok, err, storekit.MsgDetailsNotFound)
		}
	}
	same(t, "after refused saves", wantCount(t, s, 1)[0], a)
}

func testInvalidID(t *testing.T, s zohoauth.Store) {
	for _, id := range []string{"abc", "1 OR 1=1", "-1", "12345678901", "1.5", " 1"} {
		tok := full(1, "A")
		tok.ID = id
		err := s.SaveToken(ctx(t), tok)
		if !errors.Is(err, zohoauth.ErrInvalidID) {
			t.Fatalf("SaveToken with id %q = %v, want ErrInvalidID", id, err)
		}
		_, err = s.FindTokenByID(ctx(t), id)
		wantNotFound(t, "FindTokenByID of an invalid id", err)
		wantNotFound(t, "DeleteToken of an invalid id", s.DeleteToken(ctx(t), id))
	}
	wantCount(t, s, 0)
}

func testInsertWithOwnID(t *testing.T, s zohoauth.Store) {
	tok := full(1, "A")
	tok.ID = "42"
	save(t, s, tok)
	if tok.ID != "42" {
		t.Fatalf("a token saved with id 42 got id %q", tok.ID)
	}
	same(t, "token with its own id", mustByID(t, s, "42"), tok)
	next := save(t, s, full(2, "A"))
	if n, _ := strconv.Atoi(next.ID); n <= 42 {
		t.Fatalf("the next new id is %q, want one greater than 42", next.ID)
	}
}

func testUsersAndClientsApart(t *testing.T, s zohoauth.Store) {
	a := save(t, s, full(1, "A"))
	b := full(1, "B") // same user, another client
	save(t, s, b)
	if a.ID == b.ID {
		t.Fatalf("one user's tokens of two clients share id %s", a.ID)
	}
	wantCount(t, s, 2)
	same(t, "user with client A", mustFind(t, s, &zohoauth.Token{UserName: a.UserName, ClientID: a.ClientID}), a)
	same(t, "user with client B", mustFind(t, s, &zohoauth.Token{UserName: a.UserName, ClientID: b.ClientID}), b)
	// Without a client id the lowest id wins.
	same(t, "user without client", mustFind(t, s, &zohoauth.Token{UserName: a.UserName}), a)
	// Updating client B's token leaves client A's alone.
	save(t, s, &zohoauth.Token{UserName: b.UserName, ClientID: b.ClientID, AccessToken: "1000.access.B2"})
	same(t, "client A after client B's update", mustByID(t, s, a.ID), a)
	if got := mustByID(t, s, b.ID); got.AccessToken != "1000.access.B2" {
		t.Fatalf("client B's token was not updated")
	}
}

// testEmptyClientID checks both directions of storekit.SameClient: a stored
// token without a client id is found by a query with one, a stored token
// with a client id by a query without one, and a user's token without a
// client id conflicts with a token of the same user for any client.
func testEmptyClientID(t *testing.T, s zohoauth.Store) {
	bare := full(1, "A")
	bare.ClientID = ""
	save(t, s, bare)
	withClient := save(t, s, full(2, "A"))

	// Stored without a client id, queried with one.
	same(t, "stored without a client id, found by user name with a client id",
		mustFind(t, s, &zohoauth.Token{UserName: bare.UserName, ClientID: "1000.ANY"}), bare)
	same(t, "stored without a client id, found by refresh token with a client id",
		mustFind(t, s, &zohoauth.Token{ClientID: "1000.ANY", ClientSecret: "x", RefreshToken: bare.RefreshToken}), bare)
	// Stored with a client id, queried without one.
	same(t, "stored with a client id, found by user name without one",
		mustFind(t, s, &zohoauth.Token{UserName: withClient.UserName}), withClient)
	same(t, "stored with a client id, found by refresh token without one",
		mustFind(t, s, &zohoauth.Token{ClientSecret: "x", RefreshToken: withClient.RefreshToken}), withClient)

	// A save under a new id of the same user conflicts in both directions.
	for _, c := range []*zohoauth.Token{
		{ID: "50", UserName: bare.UserName, ClientID: "1000.ANY", RefreshToken: "1000.r.x"}, // stored without, saved with
		{ID: "51", UserName: withClient.UserName, RefreshToken: "1000.r.y"},                 // stored with, saved without
	} {
		err := s.SaveToken(ctx(t), c)
		if !errors.Is(err, zohoauth.ErrConflict) {
			t.Fatalf("SaveToken(%v) = %v, want ErrConflict", c, err)
		}
	}
	// An update by user name with a client id reaches the token stored
	// without one, and one without a client id the token stored with one.
	save(t, s, &zohoauth.Token{UserName: bare.UserName, ClientID: "1000.ANY", AccessToken: "1000.access.bare2"})
	save(t, s, &zohoauth.Token{UserName: withClient.UserName, AccessToken: "1000.access.with2"})
	got := wantCount(t, s, 2)
	if got[0].ID != bare.ID || got[0].AccessToken != "1000.access.bare2" || got[1].ID != withClient.ID || got[1].AccessToken != "1000.access.with2" {
		t.Fatalf("updates by user name with and without a client id made %v, %v; want the stored tokens %s and %s updated", got[0], got[1], bare.ID, withClient.ID)
	}
}

func testConflict(t *testing.T, s zohoauth.Store) {
	a := save(t, s, full(1, "A"))
	b := save(t, s, full(2, "A"))
	cases := []*zohoauth.Token{
		// Update b by id to a's user name: a would have two tokens.
		{ID: b.ID, UserName: a.UserName},
		// Insert under a new id with a's user name and client.
		{ID: "50", UserName: a.UserName, ClientID: a.ClientID, RefreshToken: "1000.r.x"},
	}
	for _, c := range cases {
		err := s.SaveToken(ctx(t), c)
		if !errors.Is(err, zohoauth.ErrConflict) {
			t.Fatalf("SaveToken(%v) = %v, want ErrConflict", c, err)
		}
		wantStoreError(t, "conflicting save", err)
	}
	got := wantCount(t, s, 2)
	same(t, "a after refused saves", got[0], a)
	same(t, "b after refused saves", got[1], b)
}

func testCopies(t *testing.T, s zohoauth.Store) {
	tok := full(1, "A")
	save(t, s, tok)
	want := tok.Clone()
	tok.AccessToken, tok.RefreshToken = "changed-after-save", "changed-after-save"
	f := mustFind(t, s, &zohoauth.Token{UserName: want.UserName})
	f.RefreshToken = "changed-after-find"
	b := mustByID(t, s, want.ID)
	b.RefreshToken = "changed-after-find-by-id"
	l := all(t, s)
	l[0].RefreshToken = "changed-after-tokens"
	same(t, "stored token after callers changed their copies", mustByID(t, s, want.ID), want)
	if f == b || f == l[0] {
		t.Fatalf("two calls returned the same *Token")
	}
}

func testDeleteToken(t *testing.T, s zohoauth.Store) {
	a := save(t, s, full(1, "A"))
	b := save(t, s, full(2, "A"))
	if err := s.DeleteToken(ctx(t), a.ID); err != nil {
		t.Fatalf("DeleteToken(%s): %v", a.ID, err)
	}
	_, err := s.FindTokenByID(ctx(t), a.ID)
	wantNotFound(t, "FindTokenByID after DeleteToken", err)
	_, err = s.FindToken(ctx(t), &zohoauth.Token{UserName: a.UserName})
	wantNotFound(t, "FindToken after DeleteToken", err)
	wantNotFound(t, "DeleteToken twice", s.DeleteToken(ctx(t), a.ID))
	same(t, "the other token after DeleteToken", wantCount(t, s, 1)[0], b)
	// The deleted user can be saved again.
	save(t, s, full(1, "A"))
	wantCount(t, s, 2)
	// A token that shares a look-up value (the user name) with a deleted
	// one is still found by it.
	c1 := save(t, s, full(9, "A"))
	c2 := save(t, s, full(9, "B"))
	if err := s.DeleteToken(ctx(t), c1.ID); err != nil {
		t.Fatalf("DeleteToken(%s): %v", c1.ID, err)
	}
	same(t, "the user's token of another client after DeleteToken", mustFind(t, s, &zohoauth.Token{UserName: c2.UserName}), c2)
}

func testDeleteTokens(t *testing.T, s zohoauth.Store) {
	for i := 1; i <= 5; i++ {
		save(t, s, full(i, "A"))
	}
	if err := s.DeleteTokens(ctx(t)); err != nil {
		t.Fatalf("DeleteTokens: %v", err)
	}
	wantCount(t, s, 0)
	_, err := s.FindToken(ctx(t), &zohoauth.Token{UserName: full(1, "A").UserName})
	wantNotFound(t, "FindToken after DeleteTokens", err)
	save(t, s, full(1, "A"))
	wantCount(t, s, 1)
}

func testIDsNotReused(t *testing.T, s zohoauth.Store) {
	a := save(t, s, full(1, "A"))
	b := save(t, s, full(2, "A"))
	if err := s.DeleteToken(ctx(t), a.ID); err != nil {
		t.Fatal(err)
	}
	c := save(t, s, full(3, "A"))
	if c.ID == b.ID {
		t.Fatalf("a new token got id %s, which is in use", c.ID)
	}
}

// Awkward values a store must keep byte for byte.
var awkward = []string{
	`quote " double "" and 'single'`,
	"comma, separated, values",
	"line\r\nbreak\nand\rreturn",
	"unicode ü 中文 🚀 \u200b",
	"'; DROP TABLE oauthtoken; --",
	`1' OR '1'='1`,
	`back\slash \" \\ %s %d`,
	" leading and trailing spaces ",
	strings.Repeat("x", 4096),
	strings.Repeat("é", 2048), // 4 KiB of two-byte runes
}

func testAwkwardValues(t *testing.T, s zohoauth.Store) {
	for i, v := range awkward {
		tok := &zohoauth.Token{
			UserName:     fmt.Sprintf("%d:%s", i, v),
			ClientID:     "client " + v,
			ClientSecret: v,
			GrantToken:   "g" + v,
			RefreshToken: "r" + v,
			AccessToken:  "a" + v,
			Expiry:       time.UnixMilli(1795879420612),
			RedirectURL:  "https://example.com/cb?x=" + v,
			APIDomain:    v,
		}
		want := tok.Clone()
		save(t, s, tok)
		want.ID = tok.ID
		same(t, fmt.Sprintf("value %d by id", i), mustByID(t, s, tok.ID), want)
		same(t, fmt.Sprintf("value %d by user", i), mustFind(t, s, &zohoauth.Token{UserName: want.UserName}), want)
		same(t, fmt.Sprintf("value %d by refresh token", i), mustFind(t, s, &zohoauth.Token{ClientID: want.ClientID, ClientSecret: "x", RefreshToken: want.RefreshToken}), want)
		same(t, fmt.Sprintf("value %d by access token", i), mustFind(t, s, &zohoauth.Token{AccessToken: want.AccessToken}), want)
	}
	wantCount(t, s, len(awkward))
}

func testExpiry(t *testing.T, s zohoauth.Store) {
	cases := []time.Time{
		{},
		time.UnixMilli(0).Add(time.Millisecond),
		time.UnixMilli(1795879420612),
		time.UnixMilli(253402300799999), // 9999-12-31
	}
	for i, e := range cases {
		tok := full(i, "A")
		tok.Expiry = e
		save(t, s, tok)
		got := mustByID(t, s, tok.ID)
		if !got.Expiry.Equal(e) {
			t.Fatalf("expiry %q read back as %q", storekit.FormatExpiry(e), storekit.FormatExpiry(got.Expiry))
		}
	}
}

func testMany(t *testing.T, s zohoauth.Store) {
	const users = 100
	clients := []string{"A", "B", "C"}
	ids := map[string]string{}
	for n := 0; n < users; n++ {
		for _, c := range clients {
			tok := save(t, s, full(n, c))
			ids[fmt.Sprint(n, c)] = tok.ID
		}
	}
	wantCount(t, s, users*len(clients))
	for n := 0; n < users; n++ {
		for _, c := range clients {
			want := full(n, c)
			want.ID = ids[fmt.Sprint(n, c)]
			same(t, "by user and client", mustFind(t, s, &zohoauth.Token{UserName: want.UserName, ClientID: want.ClientID}), want)
			same(t, "by refresh token", mustFind(t, s, &zohoauth.Token{ClientID: want.ClientID, ClientSecret: "x", RefreshToken: want.RefreshToken}), want)
		}
	}
}

const goroutines = 64

func testConcurrentDistinct(t *testing.T, s zohoauth.Store) {
	const rounds = 3
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				tok := full(g, "A")
				tok.AccessToken = fmt.Sprintf("1000.access.%d.round%d", g, r)
				if err := s.SaveToken(ctx(t), tok); err != nil {
					errs <- fmt.Errorf("goroutine %d save: %w", g, err)
					return
				}
				got, err := s.FindToken(ctx(t), &zohoauth.Token{UserName: tok.UserName})
				if err != nil {
					errs <- fmt.Errorf("goroutine %d find: %w", g, err)
					return
				}
				if got == nil || got.AccessToken != tok.AccessToken {
					errs <- fmt.Errorf("goroutine %d read back another access token after its own save", g)
					return
				}
				if _, err := s.Tokens(ctx(t)); err != nil {
					errs <- fmt.Errorf("goroutine %d list: %w", g, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := wantCount(t, s, goroutines)
	ids := map[string]bool{}
	for _, tok := range got {
		if ids[tok.ID] {
			t.Fatalf("id %s given twice", tok.ID)
		}
		ids[tok.ID] = true
		if !strings.HasSuffix(tok.AccessToken, fmt.Sprintf("round%d", rounds-1)) {
			t.Fatalf("token %s lost its last update", tok.ID)
		}
	}
}

func testConcurrentSameUser(t *testing.T, s zohoauth.Store) {
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := full(1, "A")
			tok.AccessToken = fmt.Sprintf("1000.access.g%d", g)
			if err := s.SaveToken(ctx(t), tok); err != nil {
				errs <- fmt.Errorf("goroutine %d: %w", g, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := wantCount(t, s, 1)
	if !strings.HasPrefix(got[0].AccessToken, "1000.access.g") {
		t.Fatalf("the one token holds none of the saved access tokens")
	}
}

func testErrorsTyped(t *testing.T, s zohoauth.Store) {
	a := save(t, s, full(1, "A"))
	_, err := s.FindTokenByID(ctx(t), "987654")
	wantNotFound(t, "FindTokenByID", err)
	// No secret may appear in any error text.
	bad := full(2, "A")
	bad.ID = "not-a-number"
	err = s.SaveToken(ctx(t), bad)
	if err == nil {
		t.Fatal("SaveToken with a bad id succeeded")
	}
	for _, secret := range []string{bad.ClientSecret, bad.RefreshToken, bad.AccessToken, a.RefreshToken} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("an error text shows a secret: %q", err)
		}
	}
}

// testBatch checks zohoauth.BatchSaver when the store has it.
func testBatch(t *testing.T, s zohoauth.Store) {
	b := s.(zohoauth.BatchSaver) // Run checked the capability
	a := save(t, s, full(1, "A"))
	batch := []*zohoauth.Token{full(2, "A"), full(3, "A"), {UserName: a.UserName, ClientID: a.ClientID, AccessToken: "1000.access.batch"}}
	batch[1].ID = "40"
	if err := b.SaveTokens(ctx(t), batch); err != nil {
		t.Fatalf("SaveTokens: %v", err)
	}
	wantCount(t, s, 3)
	if batch[0].ID == "" || batch[1].ID != "40" || batch[2].ID != a.ID {
		t.Fatalf("SaveTokens gave ids %q, %q, %q; want a new one, 40 and %s", batch[0].ID, batch[1].ID, batch[2].ID, a.ID)
	}
	if got := mustByID(t, s, a.ID); got.AccessToken != "1000.access.batch" || got.RefreshToken != a.RefreshToken {
		t.Fatalf("SaveTokens did not merge the update of %s", a.ID)
	}
	before := all(t, s)
	bad := []*zohoauth.Token{full(4, "A"), full(5, "A"), {ID: "40", UserName: a.UserName}}
	err := b.SaveTokens(ctx(t), bad)
	if !errors.Is(err, zohoauth.ErrConflict) {
		t.Fatalf("SaveTokens with a conflict at the end = %v, want ErrConflict", err)
	}
	after := wantCount(t, s, len(before))
	for i := range before {
		same(t, "after a failed batch", after[i], before[i])
	}
	if bad[0].ID != "" {
		t.Fatalf("a failed batch changed the tokens passed")
	}
}

// testPages checks zohoauth.Pager when the store has it: every token once,
// in numeric id order, a page at a time; and zohoauth.EachPage alike.
func testPages(t *testing.T, s zohoauth.Store) {
	p := s.(zohoauth.Pager) // Run checked the capability
	const n, size = 25, 7
	want := make([]*zohoauth.Token, 0, n)
	for i := 1; i <= n; i++ {
		tok := full(i, "P")
		if i == 13 {
			tok.ID = "1000"
		}
		want = append(want, save(t, s, tok))
	}
	sortByID(want)
	check := func(what string, got []*zohoauth.Token) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s gave %d tokens, want %d", what, len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID {
				t.Fatalf("%s gave id %s at %d, want %s (every token once, in numeric id order)", what, got[i].ID, i, want[i].ID)
			}
			same(t, what, got[i], want[i])
		}
	}
	var walked []*zohoauth.Token
	after := ""
	for pages := 0; ; pages++ {
		if pages > n {
			t.Fatalf("TokensAfter did not end after %d pages", pages)
		}
		page, err := p.TokensAfter(ctx(t), after, size)
		if err != nil {
			t.Fatalf("TokensAfter(%q, %d): %v", after, size, err)
		}
		if len(page) > size {
			t.Fatalf("TokensAfter(%q, %d) gave %d tokens", after, size, len(page))
		}
		walked = append(walked, page...)
		if len(page) < size {
			if want := n % size; len(page) != want {
				t.Fatalf("the last page has %d tokens, want %d", len(page), want)
			}
			break
		}
		after = page[len(page)-1].ID
	}
	check("TokensAfter", walked)
	if page, err := p.TokensAfter(ctx(t), want[n-1].ID, size); err != nil || len(page) != 0 {
		t.Fatalf("TokensAfter(the last id) = %d tokens, %v; want none", len(page), err)
	}
	// 999 is no stored id; the tokens saved after 1000 have greater ids.
	if page, err := p.TokensAfter(ctx(t), "999", size); err != nil || len(page) != size || page[0].ID != "1000" {
		t.Fatalf("TokensAfter(999) = %d tokens, %v; want %d from id 1000", len(page), err, size)
	}
	// The tokens returned are copies.
	page, err := p.TokensAfter(ctx(t), "", 1)
	if err != nil || len(page) != 1 {
		t.Fatalf("TokensAfter(\"\", 1) = %d tokens, %v; want 1", len(page), err)
	}
	page[0].AccessToken = "1000.changed"
	same(t, "after changing a token TokensAfter returned", mustByID(t, s, page[0].ID), want[0])

	walked = walked[:0]
	var sizes []int
	err = zohoauth.EachPage(ctx(t), s, size, func(page []*zohoauth.Token) error {
		sizes = append(sizes, len(page))
		walked = append(walked, page...)
		return nil
	})
	if err != nil {
		t.Fatalf("EachPage: %v", err)
	}
	check("EachPage", walked)
	if len(sizes) != (n+size-1)/size || sizes[len(sizes)-1] != n%size {
		t.Fatalf("EachPage gave pages of %v, want %d of at most %d", sizes, (n+size-1)/size, size)
	}
}

func sortByID(list []*zohoauth.Token) {
	slices.SortFunc(list, func(a, b *zohoauth.Token) int { return storekit.CompareIDs(a.ID, b.ID) })
}
