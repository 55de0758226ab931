package storetest

import (
	"slices"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// Capability names an optional capability of a zohoauth.Store that the kit
// checks when the store has it.
type Capability string

// The optional capabilities the kit checks.
const (
	BatchSaver        Capability = "zohoauth.BatchSaver"
	CompareAndSwapper Capability = "zohoauth.CompareAndSwapper"
	Locker            Capability = "zohoauth.Locker"
	LockChecker       Capability = "storekit.LockChecker"
	Deriver           Capability = "storekit.Deriver"
	Pager             Capability = "zohoauth.Pager"
	LifecycleKeeper   Capability = "zohoauth.LifecycleKeeper"
)

// of reports whether s has the capability c.
func (c Capability) of(s zohoauth.Store) bool {
	var ok bool
	switch c {
	case BatchSaver:
		_, ok = s.(zohoauth.BatchSaver)
	case CompareAndSwapper:
		_, ok = s.(zohoauth.CompareAndSwapper)
	case Locker:
		_, ok = s.(zohoauth.Locker)
	case LockChecker:
		_, ok = s.(storekit.LockChecker)
	case Deriver:
		_, ok = s.(storekit.Deriver)
	case Pager:
		_, ok = s.(zohoauth.Pager)
	case LifecycleKeeper:
		_, ok = s.(zohoauth.LifecycleKeeper)
	}
	return ok
}

// Missing returns the capabilities of claims that s lacks, in the order
// given; nil when s has them all. An unknown Capability is always missing.
func Missing(s zohoauth.Store, claims ...Capability) []Capability {
	var out []Capability
	for _, c := range claims {
		if !c.of(s) {
			out = append(out, c)
		}
	}
	return out
}

// An Option changes what Run checks.
type Option func(*options)

type options struct {
	claims []Capability
}

// Claim tells Run that the store promises the capabilities caps. The checks
// of a claimed capability that the store lacks fail instead of skipping: a
// store that stopped exposing a capability (a wrapper that hides a method,
// a method whose signature drifted) is a failure of its own tests, not a
// silent skip. A store that claims nothing has only the capabilities it
// happens to have checked.
func Claim(caps ...Capability) Option {
	return func(o *options) { o.claims = append(o.claims, caps...) }
}

// requireCapability skips t when s lacks c and c is not among claims, and
// fails t when s lacks c although it is claimed.
func requireCapability(t testing.TB, s zohoauth.Store, c Capability, claims []Capability) {
	t.Helper()
	if c == "" || c.of(s) {
		return
	}
	if slices.Contains(claims, c) {
		t.Fatalf("the store claims %s but is not one (a wrapper hides it, or a method's signature changed)", c)
	}
	t.Skipf("the store is not a %s", c)
}
