package storekit_test

import (
	"io"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storekit"
)

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// TestComposeHasExactlyItsParts builds every set of parts over a memory
// store (which has all but Pager, given here by a stand-in) and checks that
// the value has exactly the capabilities of the set, each answered by its
// part. Bit 64 makes the Locker the memory store's, a LockChecker, rather
// than a plain Locker.
func TestComposeHasExactlyItsParts(t *testing.T) {
	m := memory.New()
	all := storekit.PartsOf(m)
	if all.Pager != nil || all.Locker == nil || all.LifecycleKeeper == nil {
		t.Fatalf("PartsOf(memory) = %+v", all)
	}
	if _, ok := all.Locker.(storekit.LockChecker); !ok {
		t.Fatal("the memory store is not a LockChecker")
	}
	var plainLocker zohoauth.Locker = struct{ zohoauth.Locker }{all.Locker}
	var pager zohoauth.Pager = struct{ zohoauth.Pager }{}
	closed := false
	var c io.Closer = closerFunc(func() error { closed = true; return nil })
	for bits := 0; bits < 128; bits++ {
		if bits&64 != 0 && bits&2 == 0 {
			continue // a LockChecker is a Locker
		}
		var p storekit.Parts
		var cl io.Closer
		if bits&1 != 0 {
			cl = c
		}
		if bits&2 != 0 {
			p.Locker = plainLocker
			if bits&64 != 0 {
				p.Locker = all.Locker
			}
		}
		if bits&4 != 0 {
			p.CompareAndSwapper = all.CompareAndSwapper
		}
		if bits&8 != 0 {
			p.BatchSaver = all.BatchSaver
		}
		if bits&16 != 0 {
			p.Pager = pager
		}
		if bits&32 != 0 {
			p.LifecycleKeeper = all.LifecycleKeeper
		}
		s := storekit.Compose(m, cl, p)
		_, isC := s.(io.Closer)
		_, isL := s.(zohoauth.Locker)
		_, isW := s.(zohoauth.CompareAndSwapper)
		_, isB := s.(zohoauth.BatchSaver)
		_, isP := s.(zohoauth.Pager)
		_, isK := s.(zohoauth.LifecycleKeeper)
		_, isLC := s.(storekit.LockChecker)
		got := 0
		for i, ok := range []bool{isC, isL, isW, isB, isP, isK, isLC} {
			if ok {
				got |= 1 << i
			}
		}
		if got != bits {
			t.Errorf("parts %07b: the value has %07b", bits, got)
		}
		if isC {
			closed = false
			_ = s.(io.Closer).Close()
			if !closed {
				t.Errorf("parts %07b: Close is not the closer's", bits)
			}
		}
	}
}
