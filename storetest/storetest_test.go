package storetest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storetest"
)

// Deliberately broken stores, each with a bug of Zoho's stores or a common
// mistake, and the check of the kit that must catch it.
var broken = []struct {
	name, check string
	make        func() zohoauth.Store
	opts        []storetest.Option
}{
	{"find returns nothing", "FindByEachKey", func() zohoauth.Store { return findNil{memory.New()} }, nil},
	{"delete of a missing id succeeds", "Empty", func() zohoauth.Store { return deleteNoError{memory.New()} }, nil},
	{"empty field erases", "EmptyFieldKeepsStoredValue", func() zohoauth.Store { return &replaceAll{Store: memory.New()} }, nil},
	{"shared pointers", "Copies", func() zohoauth.Store { return &sharing{Store: memory.New()} }, nil},
	{"string max(id)", "SaveAssignsNumericIDs", func() zohoauth.Store { return &stringMaxID{Store: memory.New()} }, nil},
	{"client id ignored", "UsersAndClientsApart", func() zohoauth.Store { return ignoreClient{memory.New()} }, nil},
	{"swap compares the access token only", "SwapTokenHalfStale", func() zohoauth.Store { return &halfSwap{memory.New(), sameAccess} }, nil},
	{"swap compares the expiry only", "SwapTokenHalfStale", func() zohoauth.Store { return &halfSwap{memory.New(), sameExpiry} }, nil},
	{"swap compares, then saves, in two steps", "SwapTokenOneWinner", func() zohoauth.Store { return &racySwap{memory.New()} }, nil},
	{"a stored token without a client id matches no query client", "EmptyClientIDMatchesAny", func() zohoauth.Store { return oneSidedClient{Store: memory.New(), storedEmpty: true} }, nil},
	{"a query without a client id matches no stored client", "EmptyClientIDMatchesAny", func() zohoauth.Store { return oneSidedClient{Store: memory.New()} }, nil},
	{"claimed Locker hidden by a wrapper", "LockExclusive", func() zohoauth.Store { return hidden{memory.New()} }, []storetest.Option{storetest.Claim(storetest.Locker)}},
	{"claimed CompareAndSwapper hidden by a wrapper", "SwapTokenHalfStale", func() zohoauth.Store { return hidden{memory.New()} }, []storetest.Option{storetest.Claim(storetest.CompareAndSwapper)}},
	{"claimed BatchSaver hidden by a wrapper", "BatchSaveAllOrNothing", func() zohoauth.Store { return hidden{memory.New()} }, []storetest.Option{storetest.Claim(storetest.BatchSaver)}},
	{"claimed Pager missing", "PagesInIDOrder", func() zohoauth.Store { return memory.New() }, []storetest.Option{storetest.Claim(storetest.Pager)}},
	{"error quotes a value", "SecretsNotInErrors", func() zohoauth.Store { return quoteBadValue{memory.New()} }, nil},
}

// TestKitCatchesBrokenStores runs the kit on each broken store in a child
// process and expects the named check to fail there.
func TestKitCatchesBrokenStores(t *testing.T) {
	for i, b := range broken {
		t.Run(b.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenChild$/^"+b.check+"$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "STORETEST_BROKEN="+strconv.Itoa(i))
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the kit passed a store whose %s:\n%s", b.name, out)
			}
			if !strings.Contains(string(out), "--- FAIL: TestBrokenChild/"+b.check) {
				t.Fatalf("the kit did not fail check %s on a store whose %s:\n%s", b.check, b.name, out)
			}
		})
	}
}

func TestBrokenChild(t *testing.T) {
	v := os.Getenv("STORETEST_BROKEN")
	switch v {
	case "":
		t.Skip("run by TestKitCatchesBrokenStores in a child process")
	case "unclaimed":
		storetest.Run(t, func(*testing.T) zohoauth.Store { return hidden{memory.New()} })
		return
	}
	i, _ := strconv.Atoi(v)
	storetest.Run(t, func(*testing.T) zohoauth.Store { return broken[i].make() }, broken[i].opts...)
}

// TestKitSkipsUnclaimedCapability runs the capability checks on a store
// that has none and claims none, as a third-party store may: they skip.
func TestKitSkipsUnclaimedCapability(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenChild$/^(Lock|Swap|Batch|Pages)", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "STORETEST_BROKEN=unclaimed")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the kit failed a store that claims no capability:\n%s", out)
	}
	for _, c := range []string{"LockExclusive", "LockLeaseTakeover", "LockExtend", "LockContention", "SwapToken", "SwapTokenHalfStale", "SwapTokenOneWinner", "BatchSaveAllOrNothing", "PagesInIDOrder"} {
		if !strings.Contains(string(out), "--- SKIP: TestBrokenChild/"+c+" ") {
			t.Errorf("check %s did not skip on a store without the capability", c)
		}
	}
	if t.Failed() {
		t.Logf("%s", out)
	}
}

func TestMissing(t *testing.T) {
	all := []storetest.Capability{storetest.BatchSaver, storetest.CompareAndSwapper, storetest.Locker, storetest.Pager}
	if got := storetest.Missing(memory.New(), all...); !slices.Equal(got, []storetest.Capability{storetest.Pager}) {
		t.Errorf("Missing(memory store) = %v, want [%s]", got, storetest.Pager)
	}
	if got := storetest.Missing(hidden{memory.New()}, all...); !slices.Equal(got, all) {
		t.Errorf("Missing(a wrapper that hides every capability) = %v, want %v", got, all)
	}
	if got := storetest.Missing(memory.New(), "zohoauth.Unknown"); len(got) != 1 {
		t.Errorf("Missing(an unknown capability) = %v, want it missing", got)
	}
}

func TestNamesAreUnique(t *testing.T) {
	names := storetest.Names()
	if len(names) < 20 {
		t.Fatalf("the kit has %d checks", len(names))
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(names) {
		t.Fatalf("duplicate check names: %v", names)
	}
}

type findNil struct{ *memory.Store }

func (findNil) FindToken(context.Context, *zohoauth.Token) (*zohoauth.Token, error) {
	return nil, nil
}

type deleteNoError struct{ *memory.Store }

func (s deleteNoError) DeleteToken(ctx context.Context, id string) error {
	_ = s.Store.DeleteToken(ctx, id)
	return nil
}

// replaceAll saves a token over the stored one without merging, as Zoho's
// SQL samples would if they wrote every column.
type replaceAll struct{ *memory.Store }

func (s *replaceAll) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	if old, err := s.Store.FindToken(ctx, t); err == nil {
		_ = s.Store.DeleteToken(ctx, old.ID)
		t.ID = old.ID
	}
	return s.Store.SaveToken(ctx, t)
}

// sharing hands out the same token objects on every call.
type sharing struct {
	*memory.Store
	mu    sync.Mutex
	cache map[string]*zohoauth.Token
}

func (s *sharing) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.cache[id]; ok {
		return t, nil
	}
	t, err := s.Store.FindTokenByID(ctx, id)
	if err == nil {
		if s.cache == nil {
			s.cache = map[string]*zohoauth.Token{}
		}
		s.cache[id] = t
	}
	return t, err
}

// stringMaxID allocates ids as Zoho's SQL stores do: max(id) over strings.
type stringMaxID struct{ *memory.Store }

func (s *stringMaxID) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	if t.ID == "" {
		if _, err := s.Store.FindToken(ctx, t); err != nil {
			all, _ := s.Store.Tokens(ctx)
			max := ""
			for _, o := range all {
				if o.ID > max {
					max = o.ID
				}
			}
			n, _ := strconv.Atoi(max)
			t.ID = strconv.Itoa(n + 1)
		}
	}
	return s.Store.SaveToken(ctx, t)
}

// ignoreClient finds by user name without looking at the client id.
type ignoreClient struct{ *memory.Store }

func (s ignoreClient) FindToken(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	q := t.Clone()
	if q.UserName != "" {
		q.ClientID = ""
	}
	return s.Store.FindToken(ctx, q)
}

// quoteBadValue refuses a refresh token that is not UTF-8 as MySQL does,
// quoting the bytes from the first bad one.
type quoteBadValue struct{ *memory.Store }

func (s quoteBadValue) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	for i := 0; i < len(t.RefreshToken); i++ {
		if t.RefreshToken[i] >= 0x80 {
			return fmt.Errorf("Incorrect string value: '%.6s...' for column 'refresh_token'", t.RefreshToken[i:])
		}
	}
	return s.Store.SaveToken(ctx, t)
}

// halfSwap is a SwapToken that compares only one of the two fields the
// contract names.
type halfSwap struct {
	*memory.Store
	same func(cur, old *zohoauth.Token) bool
}

func sameAccess(cur, old *zohoauth.Token) bool { return cur.AccessToken == old.AccessToken }
func sameExpiry(cur, old *zohoauth.Token) bool { return cur.Expiry.Equal(old.Expiry) }

func (s *halfSwap) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	cur, err := s.Store.FindTokenByID(ctx, old.ID)
	if err != nil {
		return err
	}
	if !s.same(cur, old) {
		return storekit.StoreError("stale", zohoauth.ErrStale)
	}
	t.ID = old.ID
	return s.Store.SaveToken(ctx, t)
}

// racySwap is a SwapToken that reads and compares, then saves, with no
// lock between the two: racers from one read may all win.
type racySwap struct{ *memory.Store }

func (s *racySwap) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	cur, err := s.Store.FindTokenByID(ctx, old.ID)
	if err != nil {
		return err
	}
	if cur.AccessToken != old.AccessToken || !cur.Expiry.Equal(old.Expiry) {
		return storekit.StoreError("stale", zohoauth.ErrStale)
	}
	time.Sleep(time.Millisecond) // another racer compares meanwhile
	t.ID = old.ID
	return s.Store.SaveToken(ctx, t)
}

// oneSidedClient is a store whose SameClient lets only one side's client id
// be empty: with storedEmpty, a stored token without a client id matches no
// query that has one; without it, a query without a client id matches no
// stored token that has one.
type oneSidedClient struct {
	*memory.Store
	storedEmpty bool
}

func (s oneSidedClient) FindToken(ctx context.Context, q *zohoauth.Token) (*zohoauth.Token, error) {
	got, err := s.Store.FindToken(ctx, q)
	if err != nil {
		return nil, err
	}
	if s.storedEmpty && q.ClientID != "" && got.ClientID == "" || !s.storedEmpty && q.ClientID == "" && got.ClientID != "" {
		return nil, storekit.StoreError("no such token", zohoauth.ErrNotFound)
	}
	return got, nil
}

// hidden wraps a store behind the Store interface alone, as a careless
// wrapper does: every optional capability of the store is hidden.
type hidden struct{ zohoauth.Store }

// TestKitPassesMemoryStore runs the whole kit, in this process, on a correct
// store that claims what it has: every check passes, none skips but the
// Pager's.
func TestKitPassesMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) zohoauth.Store { return memory.New() },
		storetest.Claim(storetest.BatchSaver, storetest.CompareAndSwapper, storetest.Locker))
}
