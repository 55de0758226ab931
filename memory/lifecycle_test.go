package memory_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storetest"
)

// TestLifecycleBesideTokens checks the memory store's records: a round trip
// at millisecond precision, no lost update under concurrent increments, and
// the record deleted with its token.
func TestLifecycleBesideTokens(t *testing.T) {
	ctx := t.Context()
	s := memory.New()
	tok := storetest.Token(1, "A")
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	login := time.Date(2026, 11, 30, 5, 0, 0, 123_456_789, time.UTC)
	got, err := s.UpdateLifecycle(ctx, tok.ID, func(l *zohoauth.Lifecycle) error {
		l.LoginAt, l.LastError, l.ID = login, "timeout", "99"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != tok.ID || !got.LoginAt.Equal(login.Truncate(time.Millisecond)) || got.LastError != "timeout" {
		t.Fatalf("stored %+v", got)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.UpdateLifecycle(ctx, tok.ID, func(l *zohoauth.Lifecycle) error { l.Failures++; return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if l, _ := s.Lifecycle(ctx, tok.ID); l.Failures != 50 {
		t.Fatalf("Failures = %d after 50 increments", l.Failures)
	}
	if _, err := s.Lifecycle(ctx, "../x"); !errors.Is(err, zohoauth.ErrInvalidID) {
		t.Fatalf("Lifecycle(../x) = %v, want ErrInvalidID", err)
	}
	if err := s.DeleteToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Lifecycle(ctx, tok.ID); !l.IsZero() {
		t.Fatalf("record %+v outlived its token", l)
	}
}
