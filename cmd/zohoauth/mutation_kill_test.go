package main

// Tests written for mutants of scripts/mutation.sh that lived: each names
// the line it guards. Their names start with TestMigrate, the tests the
// mutation run selects for migrate.go.

import (
	"strings"
	"testing"
)

// TestMigrateBatchOfOne kills the mutant batch <= 1 of migrate.go:51: a
// batch of one token is the smallest allowed, and a copy and verification
// a token at a time complete.
func TestMigrateBatchOfOne(t *testing.T) {
	h := newHarness(t)
	from, _ := writeTokenFile(t, 3)
	r := h.must("migrate", "--from", from, "--to", "memory:", "--batch", "1")
	if !strings.Contains(r.stderr, "copied 3 tokens") || !strings.Contains(r.stderr, "verified 3 of 3") {
		t.Errorf("migrate --batch 1: %q", r.stderr)
	}
}
