package filestore

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
)

// FuzzParseLifecycles checks that parseLifecycles never panics, that every
// error is a *ParseError on a line of the input that names the lifecycle
// file, and that what it accepts appendLifecycles writes and it reads back
// the same, byte for byte the second time.
func FuzzParseLifecycles(f *testing.F) {
	h := lifecycleHeader + "\n"
	for _, s := range []string{
		"", h, lifecycleHeader, "\n", "id\n",
		h + "1,,,,,,0,0,\"\"\n",
		h + "1,1795879420612,-1,0,,253402300799999,2000000000,3,\"a,b\\n\\\"c\\\"\"\n2,,,,,,-5,0,\"\\xff\"\n",
		h + "1,,,,,,0,0,\"\"\n1,,,,,,0,0,\"\"\n",
		h + "007,,,,,,0,0,\"\"\n7,,,,,,0,0,\"\"\n",
		h + "1,x,,,,,0,0,\"\"\n",
		h + "1,,,,,,0,0,\"\n",
		h + "1,,,,,,0,0,\"\"",
		h + "1,,,,,,0,0,`raw`\n",
		h + "1,,,,,,+1,0,\"\"\n",
		h + "../x,,,,,,0,0,\"\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ls, err := parseLifecycles(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), "lifecycle file") {
				t.Fatalf("error %v is not a *ParseError of the lifecycle file", err)
			}
			if lines := bytes.Count(data, []byte("\n")) + 1; pe.Line < 1 || pe.Line > lines {
				t.Fatalf("error on line %d of a file of at most %d lines", pe.Line, lines)
			}
			return
		}
		out := appendLifecycles(nil, ls)
		again, err := parseLifecycles(out)
		if err != nil {
			t.Fatalf("parse of appendLifecycles' output: %v", err)
		}
		if len(again) != len(ls) {
			t.Fatalf("%d records read back, %d written", len(again), len(ls))
		}
		for i := range ls {
			if again[i] != ls[i] {
				t.Fatalf("record %d read back as %+v, written %+v", i, again[i], ls[i])
			}
		}
		if out2 := appendLifecycles(nil, again); !bytes.Equal(out, out2) {
			t.Fatal("appendLifecycles is not stable")
		}
	})
}

// TestLifecycleCrashHalfway makes the side file's write stop halfway, as a
// writer killed between its temporary file and the rename leaves it: the
// old side file is read whole, and the next writer removes the leftover.
func TestLifecycleCrashHalfway(t *testing.T) {
	s, err := New(filepath.Join(t.TempDir(), DefaultFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	set := func(n int) error {
		_, err := s.UpdateLifecycle(ctx, "1", func(l *zohoauth.Lifecycle) error { l.Failures = n; return nil })
		return err
	}
	if err := set(1); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(s.LifecyclePath())
	if err != nil {
		t.Fatal(err)
	}
	crash := errors.New("killed halfway")
	s.writeLife = func(path string, data []byte, _ fs.FileMode, _ bool) error {
		f, err := os.CreateTemp(filepath.Dir(path), tempPattern(path))
		if err != nil {
			return err
		}
		_, _ = f.Write(data[:len(data)/2])
		_ = f.Close()
		return crash
	}
	if err := set(2); !errors.Is(err, crash) {
		t.Fatalf("update through a write killed halfway = %v", err)
	}
	if got, _ := os.ReadFile(s.LifecyclePath()); !bytes.Equal(got, old) {
		t.Fatal("the side file changed although its write never finished")
	}
	if l, err := s.Lifecycle(ctx, "1"); err != nil || l.Failures != 1 {
		t.Fatalf("after the crash: %+v, %v; want the old record", l, err)
	}
	// A new process (a new Store) cleans the leftover at its first write.
	s2, err := New(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.UpdateLifecycle(ctx, "1", func(l *zohoauth.Lifecycle) error { l.Failures = 3; return nil }); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(s.Path()), tempPattern(s.LifecyclePath())))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// BenchmarkDropOrphansNone is the work an insert adds when the side file
// (500 records) holds no record of its id: a read of the side file and a
// byte search, the whole of the cost of dropOrphans on that path.
func BenchmarkDropOrphansNone(b *testing.B) {
	s, err := New(filepath.Join(b.TempDir(), DefaultFile))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 1; i <= 500; i++ {
		id := strconv.Itoa(i)
		if _, err := s.UpdateLifecycle(b.Context(), id, func(l *zohoauth.Lifecycle) error { l.Failures, l.LastError = 1, "timeout"; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	ids := []string{"1001"}
	for b.Loop() {
		if err := s.dropOrphans(ids); err != nil {
			b.Fatal(err)
		}
	}
}
