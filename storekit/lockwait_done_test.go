package storekit

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLockWaitDone checks Done: never before the first try, once after
// each wait, before the next try; true ends the wait with ErrLockUnneeded,
// an error ends it with that error, and false tries again.
func TestLockWaitDone(t *testing.T) {
	boom := errors.New("re-read failed")
	for _, tc := range []struct {
		name      string
		answers   []bool // Done's answers, in order; then boom
		wantErr   error
		wantTries int
	}{
		{"done at once", []bool{true}, ErrLockUnneeded, 1},
		{"done at the third check", []bool{false, false, true}, ErrLockUnneeded, 3},
		{"check fails", []bool{false}, boom, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log []string
			checks := 0
			w := LockWait{MinPoll: time.Millisecond, MaxPoll: time.Millisecond, Done: func(context.Context) (bool, error) {
				log = append(log, "check")
				checks++
				if checks > len(tc.answers) {
					return false, boom
				}
				return tc.answers[checks-1], nil
			}}
			tries := 0
			err := w.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
				log = append(log, "try")
				tries++
				return false, 0, nil
			})
			if !errors.Is(err, tc.wantErr) || tries != tc.wantTries {
				t.Fatalf("Wait = %v after %d tries, want %v after %d", err, tries, tc.wantErr, tc.wantTries)
			}
			for i, e := range log {
				if want := [...]string{"try", "check"}[i%2]; e != want {
					t.Fatalf("calls %v: tries and checks do not alternate from a try", log)
				}
			}
		})
	}
}

// TestLockWaitDoneNotAfterContext checks that a wait ended by ctx calls no
// check.
func TestLockWaitDoneNotAfterContext(t *testing.T) {
	ctx, cancel := context.WithCancel(guard(t))
	w := LockWait{MinPoll: time.Hour, MaxPoll: time.Hour, Done: func(context.Context) (bool, error) {
		t.Error("Done called after ctx ended the wait")
		return true, nil
	}}
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	err := w.Wait(ctx, func(context.Context) (bool, time.Duration, error) { return false, 0, nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}

// TestLockWaitDoneThenTaken checks that a check reporting false lets the
// next try take the lock.
func TestLockWaitDoneThenTaken(t *testing.T) {
	tries := 0
	w := LockWait{MinPoll: time.Millisecond, MaxPoll: time.Millisecond, Done: func(context.Context) (bool, error) { return false, nil }}
	err := w.Wait(guard(t), func(context.Context) (bool, time.Duration, error) {
		tries++
		return tries == 2, 0, nil
	})
	if err != nil || tries != 2 {
		t.Fatalf("Wait = %v after %d tries, want nil after 2", err, tries)
	}
}
