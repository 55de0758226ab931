package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/storetest"
	"github.com/zohoauth/zohoauth/storeurl"
)

// failingSwaps is a store whose guarded saves fail after a number of
// successes, as a crash or a lost connection halfway through a rekey.
type failingSwaps struct {
	storeurl.Store
	left *atomic.Int64
}

var errCrash = errors.New("connection lost")

func (s failingSwaps) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	if s.left.Add(-1) < 0 {
		return errCrash
	}
	return s.Store.(zohoauth.CompareAndSwapper).SwapToken(ctx, old, t)
}

func (s failingSwaps) TokensAfter(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	return s.Store.(zohoauth.Pager).TokensAfter(ctx, after, limit)
}

// runWith runs the command line with an app changed by edit.
func (h *harness) runWith(edit func(*app), args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	a := h.app(strings.NewReader(""), &out, &errb)
	edit(a)
	code := a.main(context.Background(), args)
	r := result{code, out.String(), errb.String()}
	h.t.Logf("zohoauth %s → %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, r.stdout, r.stderr)
	return r
}

// seedTokens saves n plain tokens into the harness's store.
func (h *harness) seedTokens(n int) []*zohoauth.Token {
	h.t.Helper()
	s, err := stores().Open(context.Background(), h.storeURL)
	if err != nil {
		h.t.Fatal(err)
	}
	defer s.Close()
	var out []*zohoauth.Token
	for i := range n {
		tok := storetest.Token(i, "R")
		if err := s.SaveToken(context.Background(), tok); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, tok.Clone())
	}
	return out
}

// TestRekeyInterruptedAndResumed: a rekey that fails halfway (the store's
// connection lost after 12 rewrites) exits 1 naming the last id done and
// how to resume, leaves every value readable (some under the new key, the
// others under the old one), and a run with --after completes it; a run
// from the start then rewrites nothing. On a terminal the progress shows
// done/total.
func TestRekeyInterruptedAndResumed(t *testing.T) {
	h := newHarness(t)
	const n = 30
	want := h.seedTokens(n)
	ks := h.newKeyset("keyset.json")
	h.env[envKeysetFile] = ks
	h.must("rekey", "--keyset-mode", "migrate") // encrypt in place
	h.must("keys", "rotate")
	h.must("keys", "promote")
	ids, _ := h.keyList(ks, false)
	newKey := ids["primary"]

	var left atomic.Int64
	left.Store(12)
	h.isTerm = true
	r := h.runWith(func(a *app) {
		a.openStore = func(ctx context.Context, raw string) (storeurl.Store, error) {
			s, err := stores().Open(ctx, raw)
			if err != nil {
				return nil, err
			}
			return failingSwaps{Store: s, left: &left}, nil
		}
	}, "rekey", "--page", "5")
	h.isTerm = false
	if r.code != exitFailure || !strings.Contains(r.stderr, errCrash.Error()) {
		t.Fatalf("interrupted rekey: %+v", r)
	}
	m := regexp.MustCompile(`resume with --after (\d+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no resume point in %q", r.stderr)
	}
	if !strings.Contains(r.stderr, "/30") {
		t.Errorf("no done/total progress on a terminal: %q", r.stderr)
	}
	// Halfway: every token still reads, under one key or the other.
	_, values := h.keyList(ks, true)
	if values[newKey] == 0 || values[newKey] == n*3 {
		t.Fatalf("after the interruption: %v values under the new key, want some", values)
	}
	for _, tok := range want {
		if r := h.must("show", "--id", tok.ID, "--json"); !strings.Contains(r.stdout, tok.UserName) {
			t.Fatalf("token %s unreadable halfway", tok.ID)
		}
	}

	r = h.must("rekey", "--after", m[1], "--page", "5")
	if !strings.Contains(r.stderr, "0 values left under other keys") {
		t.Errorf("resumed rekey: %s", r.stderr)
	}
	_, values = h.keyList(ks, true)
	if values[newKey] != n*3 { // client secret, refresh and access token
		t.Fatalf("after the resumed rekey: %v", values)
	}
	if r := h.must("rekey"); !strings.Contains(r.stderr, fmt.Sprintf("rekeyed %d tokens", n)) || !strings.Contains(r.stderr, "0 tokens rewritten") {
		t.Errorf("a third run: %s", r.stderr)
	}
	// The values are those saved.
	s, err := stores().Open(context.Background(), h.storeURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keys, err := sealed.NewKeyring(context.Background(), sealed.File(ks))
	if err != nil {
		t.Fatal(err)
	}
	got, err := sealed.New(s, keys).Tokens(context.Background())
	if err != nil || len(got) != n {
		t.Fatalf("%d tokens, %v", len(got), err)
	}
	for i := range got {
		if d := storetest.Diff(got[i], want[i]); d != nil {
			t.Errorf("token %s differs: %v", got[i].ID, d)
		}
	}
}

// TestRekeyNeedsKeyset: rekey without a keyset is a usage error.
func TestRekeyNeedsKeyset(t *testing.T) {
	h := newHarness(t)
	if r := h.run("rekey"); r.code != exitUsage || !strings.Contains(r.stderr, "rekey needs the keyset") {
		t.Errorf("rekey without a keyset: %+v", r)
	}
}
