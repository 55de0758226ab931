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

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storetest"
)

// Deliberately broken stores, each with a bug of Zoho's stores or a common
// mistake, and the check of the kit that must catch it.
var broken = []struct {
	name, check string
	make        func() zohoauth.Store
}{
	{"find returns nothing", "FindByEachKey", func() zohoauth.Store { return findNil{memory.New()} }},
	{"delete of a missing id succeeds", "Empty", func() zohoauth.Store { return deleteNoError{memory.New()} }},
	{"empty field erases", "EmptyFieldKeepsStoredValue", func() zohoauth.Store { return &replaceAll{Store: memory.New()} }},
	{"shared pointers", "Copies", func() zohoauth.Store { return &sharing{Store: memory.New()} }},
	{"string max(id)", "SaveAssignsNumericIDs", func() zohoauth.Store { return &stringMaxID{Store: memory.New()} }},
	{"client id ignored", "UsersAndClientsApart", func() zohoauth.Store { return ignoreClient{memory.New()} }},
	{"error quotes a value", "SecretsNotInErrors", func() zohoauth.Store { return quoteBadValue{memory.New()} }},
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
	if v == "" {
		t.Skip("run by TestKitCatchesBrokenStores in a child process")
	}
	i, _ := strconv.Atoi(v)
	storetest.Run(t, func(*testing.T) zohoauth.Store { return broken[i].make() })
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
