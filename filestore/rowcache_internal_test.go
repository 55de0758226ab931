package filestore

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// TestRowCacheMatchesEncoder changes a table at random — updates of a
// token in place, new tokens at the end and in the middle of the id order,
// deletions, ids of equal value ("7", "007"), fields that need quotes, a
// reset, a change of line break — and checks after every change that the
// file the cache builds is, byte for byte, the file the encoder writes.
func TestRowCacheMatchesEncoder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tb := storekit.NewTable()
	exp := time.UnixMilli(1_800_000_000_000)
	tok := func(id string, v int) *zohoauth.Token {
		tk := &zohoauth.Token{ID: id, UserName: fmt.Sprintf("u%s@example.com:%d", id, v), ClientID: "1000.C", ClientSecret: "s",
			RefreshToken: "r" + id, AccessToken: fmt.Sprintf("a%d", v), Expiry: exp.Add(time.Duration(v) * time.Second),
			RedirectURL: "http://127.0.0.1/cb", APIDomain: "https://www.zohoapis.eu"}
		switch v % 7 {
		case 3:
			tk.AccessToken = "with,comma"
		case 5:
			tk.GrantToken = "say \"hi\"\r\nthere"
		case 6:
			tk.Expiry = time.Time{}
		}
		return tk
	}
	for i := 1; i <= 200; i++ {
		if err := tb.Insert(tok(strconv.Itoa(i*2), i)); err != nil {
			t.Fatal(err)
		}
	}
	var c rowCache
	eol := crlf
	for step := range 600 {
		ids := tb.All()
		switch op := rng.IntN(10); {
		case op < 4: // update one token: a new token in its place
			old := ids[rng.IntN(len(ids))]
			n := tok(old.ID, step)
			n.UserName = old.UserName
			if err := tb.Save(n, "not found"); err != nil {
				t.Fatal(err)
			}
		case op < 6: // a new id, in the middle (odd) or at the end
			id := strconv.Itoa(2*rng.IntN(300) + 1)
			if rng.IntN(3) == 0 {
				id = "00" + id // same value as id, another text
			}
			if tb.ByID(id) == nil {
				if err := tb.Insert(tok(id, step)); err != nil {
					t.Fatal(err)
				}
			}
		case op < 8:
			tb.Delete(ids[rng.IntN(len(ids))].ID)
		case op == 8 && step%97 == 0:
			tb.Reset()
			for i := 1; i <= 50; i++ {
				if err := tb.Insert(tok(strconv.Itoa(i), step+i)); err != nil {
					t.Fatal(err)
				}
			}
		case op == 9 && step%50 == 0:
			if eol == crlf {
				eol = lf
			} else {
				eol = crlf
			}
		}
		all := tb.All()
		want := appendRows(nil, all, eol)
		got := c.file(all, eol)
		if !bytes.Equal(got, want) {
			t.Fatalf("step %d: the cached file differs from the encoder's (%d bytes, want %d)", step, len(got), len(want))
		}
		// A second call with nothing changed copies every line.
		if got := c.file(all, eol); !bytes.Equal(got, want) {
			t.Fatalf("step %d, unchanged: the cached file differs from the encoder's", step)
		}
	}
}

// TestRowCacheReusesLines checks that a save of one token encodes one line:
// the other lines are copied from the last file.
func TestRowCacheReusesLines(t *testing.T) {
	tb := storekit.NewTable()
	for i := 1; i <= 100; i++ {
		if err := tb.Insert(&zohoauth.Token{ID: strconv.Itoa(i), UserName: fmt.Sprintf("u%d@example.com:1", i), RefreshToken: "r" + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var c rowCache
	c.file(tb.All(), crlf)
	// Mark the cached lines: a line that is copied keeps the mark, one
	// encoded again loses it.
	for _, l := range c.lines {
		c.data[l.start] = 'X'
	}
	if err := tb.Save(&zohoauth.Token{ID: "50", AccessToken: "new"}, "not found"); err != nil {
		t.Fatal(err)
	}
	got := c.file(tb.All(), crlf)
	for i, l := range c.lines {
		copied := got[l.start] == 'X'
		if copied == (i == 49) {
			t.Errorf("line of id %s: copied %v", l.tok.ID, copied)
		}
	}
}

func BenchmarkRowCache(b *testing.B) {
	tb := storekit.NewTable()
	for i := 1; i <= 10_000; i++ {
		if err := tb.Insert(&zohoauth.Token{ID: strconv.Itoa(i), UserName: fmt.Sprintf("user%d@example.com:%d", i, 700000+i),
			ClientID: "1000.CLIENT", ClientSecret: "secret", RefreshToken: fmt.Sprintf("1000.%032x.refresh", i),
			AccessToken: fmt.Sprintf("1000.%032x.access", i), Expiry: time.UnixMilli(1_800_000_000_000),
			APIDomain: "https://www.zohoapis.com"}); err != nil {
			b.Fatal(err)
		}
	}
	all := tb.All()
	b.Run("encode", func(b *testing.B) {
		buf := make([]byte, 0, 4<<20)
		for b.Loop() {
			buf = appendRows(buf[:0], all, crlf)
		}
	})
	b.Run("cache", func(b *testing.B) {
		var c rowCache
		i := 0
		for b.Loop() {
			id := strconv.Itoa(1 + (i*7919)%10_000)
			if err := tb.Save(&zohoauth.Token{ID: id, AccessToken: strconv.Itoa(i)}, "not found"); err != nil {
				b.Fatal(err)
			}
			c.file(tb.All(), crlf)
			i++
		}
	})
}

// TestSavesWriteWhatTheyHold runs every kind of change through a Store —
// saves that update, insert and merge, guarded swaps (kept and refused),
// batches (kept and refused whole), deletes, a delete of everything — and
// checks after each that the file holds exactly the encoding of the
// store's tokens: a line copied from the last write (rowCache) for a token
// changed in place would show here.
func TestSavesWriteWhatTheyHold(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), DefaultFile)
	s, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	user := func(i int) string { return fmt.Sprintf("u%d@example.com:%d", i, i) }
	check := func(step int, what string) {
		t.Helper()
		all, err := s.Tokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := appendRows(nil, all, crlf)
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("step %d (%s): the file is not the encoding of the store's %d tokens", step, what, len(all))
		}
	}
	for i := range 40 {
		if err := s.SaveToken(ctx, &zohoauth.Token{UserName: user(i), ClientID: "1000.C", RefreshToken: fmt.Sprintf("r%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	check(0, "fill")
	for step := 1; step <= 300; step++ {
		i := rng.IntN(60)
		var what string
		switch rng.IntN(7) {
		case 0, 1:
			what = "save"
			_ = s.SaveToken(ctx, &zohoauth.Token{UserName: user(i), ClientID: "1000.C", RefreshToken: fmt.Sprintf("r%d", i),
				AccessToken: fmt.Sprintf("a%d,%d", i, step), Expiry: time.UnixMilli(int64(1_800_000_000_000 + step))})
		case 2:
			what = "swap"
			if old, err := s.FindToken(ctx, &zohoauth.Token{UserName: user(i)}); err == nil {
				if rng.IntN(2) == 0 {
					old.AccessToken = "stale" // refused: ErrStale
				}
				_ = s.SwapToken(ctx, old, &zohoauth.Token{AccessToken: fmt.Sprintf("swapped\"%d", step)})
			}
		case 3:
			what = "batch"
			batch := []*zohoauth.Token{
				{UserName: user(i), ClientID: "1000.C", AccessToken: fmt.Sprintf("b%d", step)},
				{UserName: user((i + 1) % 60), ClientID: "1000.C", GrantToken: fmt.Sprintf("g\r\n%d", step)},
			}
			if rng.IntN(3) == 0 {
				batch = append(batch, &zohoauth.Token{ID: "x"}) // refused whole
			}
			_ = s.SaveTokens(ctx, batch)
		case 4, 5:
			what = "delete"
			if tok, err := s.FindToken(ctx, &zohoauth.Token{UserName: user(i)}); err == nil {
				if err := s.DeleteToken(ctx, tok.ID); err != nil {
					t.Fatal(err)
				}
			}
		case 6:
			if step%50 == 0 {
				what = "delete all"
				if err := s.DeleteTokens(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		check(step, what)
	}
}
