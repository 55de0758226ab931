package storekit

// Tests written for mutants of scripts/mutation.sh that lived: each names
// the line it guards. The storekit package's own tests are what gremlins
// runs for it; the conformance kit (storetest) covers the same rules
// through the stores, but not here.

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// TestConflicts kills the mutants of key.go:110 (a.UserName != "",
// a.UserName == b.UserName).
func TestConflicts(t *testing.T) {
	tests := []struct {
		name string
		a, b zohoauth.Token
		want bool
	}{
		{"same user, same client", zohoauth.Token{ID: "1", UserName: "u", ClientID: "c"}, zohoauth.Token{ID: "2", UserName: "u", ClientID: "c"}, true},
		{"same user, one without client", zohoauth.Token{ID: "1", UserName: "u", ClientID: "c"}, zohoauth.Token{ID: "2", UserName: "u"}, true},
		{"same user, other client", zohoauth.Token{ID: "1", UserName: "u", ClientID: "c"}, zohoauth.Token{ID: "2", UserName: "u", ClientID: "d"}, false},
		{"same id", zohoauth.Token{ID: "1", UserName: "u"}, zohoauth.Token{ID: "1", UserName: "u"}, false},
		{"other users", zohoauth.Token{ID: "1", UserName: "u"}, zohoauth.Token{ID: "2", UserName: "v"}, false},
		{"neither has a user name", zohoauth.Token{ID: "1", ClientID: "c"}, zohoauth.Token{ID: "2", ClientID: "c"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Conflicts(&tt.a, &tt.b); got != tt.want {
				t.Errorf("Conflicts = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCheckSaveOneTokenEnough kills the mutants of key.go:123: any one of
// the grant, refresh and access tokens makes a token worth storing.
func TestCheckSaveOneTokenEnough(t *testing.T) {
	tests := []struct {
		name string
		tok  zohoauth.Token
		want error
	}{
		{"grant token alone", zohoauth.Token{GrantToken: "g"}, nil},
		{"refresh token alone", zohoauth.Token{RefreshToken: "r"}, nil},
		{"access token alone", zohoauth.Token{AccessToken: "a"}, nil},
		{"none", zohoauth.Token{UserName: "u"}, zohoauth.ErrNothingToSave},
		{"invalid id", zohoauth.Token{ID: "x", RefreshToken: "r"}, zohoauth.ErrInvalidID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckSave(&tt.tok, MsgDetailsNotFoundFile)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("CheckSave = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestLockWaitZeroRetryInKeepsPoll kills the mutant retryIn >= 0 of
// lockwait.go:65: a try that gives no lease time (0) leaves the poll's
// pause as it is instead of waiting for a wake-up that never comes.
func TestLockWaitZeroRetryInKeepsPoll(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := 0
	err := LockWait{MinPoll: time.Millisecond, MaxPoll: time.Millisecond}.Wait(ctx, func(context.Context) (bool, time.Duration, error) {
		n++
		return n == 2, 0, nil
	})
	if err != nil || n != 2 {
		t.Fatalf("Wait = %v after %d tries, want nil after 2", err, n)
	}
}

// TestLockWaitShortLeaseBeatsLongPoll kills the mutant retryIn >= d of
// lockwait.go:65: a lease that ends before the next poll ends the pause.
func TestLockWaitShortLeaseBeatsLongPoll(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := 0
	err := LockWait{MinPoll: time.Hour, MaxPoll: time.Hour}.Wait(ctx, func(context.Context) (bool, time.Duration, error) {
		n++
		return n == 2, time.Millisecond, nil
	})
	if err != nil || n != 2 {
		t.Fatalf("Wait = %v after %d tries, want nil after 2", err, n)
	}
}

// TestLockWaitNoPollTriesOnce kills the mutant d >= 0 of lockwait.go:70:
// without polling, lease time or wake-up, the wait tries once and then
// waits for its context, instead of trying in a busy loop.
func TestLockWaitNoPollTriesOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n := 0
	err := LockWait{}.Wait(ctx, func(context.Context) (bool, time.Duration, error) {
		n++
		return false, 0, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) || n != 1 {
		t.Fatalf("Wait = %v after %d tries, want the deadline after 1", err, n)
	}
}

// TestLockWaitWokenWithoutPoll kills the mutant timer == nil of
// lockwait.go:79: a wake-up ends a wait that had no timer.
func TestLockWaitWokenWithoutPoll(t *testing.T) {
	var w Waker
	n := 0
	err := LockWait{Waker: &w}.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		n++
		if n == 1 {
			go w.Wake()
			return false, 0, nil
		}
		return true, 0, nil
	})
	if err != nil || n != 2 {
		t.Fatalf("Wait = %v after %d tries, want nil after 2", err, n)
	}
}

// TestBackoffPauseReachesBothEnds kills the mutant +1 → -1 of
// lockwait.go:92: a backoff pause is drawn from [poll/2, poll], both ends
// included.
func TestBackoffPauseReachesBothEnds(t *testing.T) {
	w := LockWait{MinPoll: 4, MaxPoll: 4, Backoff: true}
	seen := map[time.Duration]bool{}
	for range 1000 {
		poll := w.MinPoll
		seen[w.pause(&poll)] = true
	}
	for d := time.Duration(2); d <= 4; d++ {
		if !seen[d] {
			t.Errorf("1000 backoff pauses at poll 4ns never gave %v; saw %v", d, seen)
		}
	}
	if len(seen) != 3 {
		t.Errorf("backoff pauses at poll 4ns = %v, want 2ns..4ns", seen)
	}
}

// TestPlanSaveRefusesOtherIDOfSameUser kills the mutant of rows.go:131: a
// save that names a new id for a user name that another id of the same
// client holds is a conflict.
func TestPlanSaveRefusesOtherIDOfSameUser(t *testing.T) {
	tb := NewTable()
	if err := tb.Insert(&zohoauth.Token{ID: "1", UserName: "u@x", ClientID: "c", RefreshToken: "r1"}); err != nil {
		t.Fatal(err)
	}
	_, err := PlanSave(context.Background(), tb, &zohoauth.Token{ID: "2", UserName: "u@x", ClientID: "c", RefreshToken: "r2"}, MsgDetailsNotFoundFile)
	if !errors.Is(err, zohoauth.ErrConflict) {
		t.Fatalf("PlanSave = %v, want ErrConflict", err)
	}
	plan, err := PlanSave(context.Background(), tb, &zohoauth.Token{ID: "2", UserName: "u@x", ClientID: "d", RefreshToken: "r2"}, MsgDetailsNotFoundFile)
	if err != nil || plan.Old != nil || plan.Token.ID != "2" {
		t.Fatalf("PlanSave of another client's token = %+v, %v; want an insert under id 2", plan, err)
	}
}

// TestTableSharedValues kills the mutants of table.go:92, 100, 154, 323
// and 375: a value several tokens share (a user of two clients, an e-mail
// of two zgids) finds each of them.
func TestTableSharedValues(t *testing.T) {
	tb := NewTable()
	for _, tok := range []*zohoauth.Token{
		{ID: "1", UserName: "a@x:1", ClientID: "c", AccessToken: "at1", GrantToken: "g1", RefreshToken: "r1"},
		{ID: "2", UserName: "a@x:1", ClientID: "d", AccessToken: "at2", RefreshToken: "r2"},
		{ID: "3", UserName: "a@x:2", ClientID: "c", AccessToken: "at3", RefreshToken: "r3"},
	} {
		if err := tb.Insert(tok); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	lookups := []struct {
		key  Key
		want string // the id found, "" for none
	}{
		{Key{Field: FieldUserName, Value: "a@x:1", ClientID: "c"}, "1"},
		{Key{Field: FieldUserName, Value: "a@x:1", ClientID: "d"}, "2"},
		{Key{Field: FieldUserName, Value: "a@x:1"}, "1"},
		{Key{Field: FieldUserName, Value: "a@x:1", ClientID: "e"}, ""},
		{Key{Field: FieldUserName, Value: "a@x:2"}, "3"},
		{Key{Field: FieldAccessToken, Value: "at2"}, "2"},
		{Key{Field: FieldGrantToken, Value: "g1"}, "1"},
		{Key{Field: FieldRefreshToken, Value: "r3", ClientID: "c"}, "3"},
		{Key{Field: FieldRefreshToken, Value: "r3", ClientID: "d"}, ""},
		{Key{Field: FieldGrantToken, Value: ""}, ""},
	}
	for _, l := range lookups {
		s, err := tb.Lookup(ctx, l.key)
		got := ""
		if s != nil {
			got = s.ID
		}
		if err != nil || got != l.want {
			t.Errorf("Lookup(%+v) = id %q, %v; want id %q", l.key, got, err, l.want)
		}
	}
	named, _ := tb.WithUserName(ctx, "a@x:1")
	if got := sortedIDs(named); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("WithUserName(a@x:1) = ids %v, want [1 2]", got)
	}
	mailed, _ := tb.WithEmail(ctx, "a@x")
	if got := sortedIDs(mailed); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("WithEmail(a@x) = ids %v, want [1 2 3]", got)
	}
	if _, err := tb.Find(&zohoauth.Token{UserName: "a@x", ClientID: "c"}); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("Find(a@x of client c) = %v, want ErrAmbiguous", err)
	}
	if got, err := tb.Find(&zohoauth.Token{UserName: "a@x", ClientID: "d"}); err != nil || got.ID != "2" {
		t.Errorf("Find(a@x of client d) = %v, %v; want id 2", got, err)
	}
}

func sortedIDs(tokens []*zohoauth.Token) []string {
	ids := make([]string, len(tokens))
	for i, s := range tokens {
		ids[i] = s.ID
	}
	slices.Sort(ids)
	return ids
}

// TestInsertAllSortsTwo kills the mutant <= 0 of table.go:264: two tokens
// loaded out of order come out in id order.
func TestInsertAllSortsTwo(t *testing.T) {
	tb := NewTable()
	if err := tb.InsertAll([]*zohoauth.Token{{ID: "2", RefreshToken: "r2"}, {ID: "1", RefreshToken: "r1"}}); err != nil {
		t.Fatal(err)
	}
	all := tb.All()
	if len(all) != 2 || all[0].ID != "1" || all[1].ID != "2" {
		t.Fatalf("All after InsertAll(2, 1) = %v, want ids 1, 2", all)
	}
}

// TestAfterInvalid kills the mutants of table.go:318: an empty table has
// no page and no invalid id; a table with an id that is not numeric says
// so.
func TestAfterInvalid(t *testing.T) {
	tb := NewTable()
	if page, invalid := tb.After("", 10); len(page) != 0 || invalid {
		t.Fatalf("After on an empty table = %v, %v; want nothing, false", page, invalid)
	}
	if err := tb.InsertAll([]*zohoauth.Token{{ID: "1", RefreshToken: "r1"}}); err != nil {
		t.Fatal(err)
	}
	if page, invalid := tb.After("", 10); len(page) != 1 || invalid {
		t.Fatalf("After on a valid table = %v, %v; want 1 token, false", page, invalid)
	}
	// No exported method stores an id that is not numeric (Insert and Save
	// refuse it): add stands for a future way in, which After must report.
	tb.add(newRow(&zohoauth.Token{ID: "x", RefreshToken: "rx"}))
	if page, invalid := tb.After("", 10); len(page) != 1 || !invalid {
		t.Fatalf("After with id x = %v, %v; want 1 token, true", page, invalid)
	}
}
