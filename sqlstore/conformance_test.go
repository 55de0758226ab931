package sqlstore_test

import (
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storetest"
)

// TestConformance runs the Store conformance kit on every engine.
func TestConformance(t *testing.T) {
	for _, e := range engines() {
		t.Run(e.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) zohoauth.Store { return e.open(t) })
		})
	}
}
