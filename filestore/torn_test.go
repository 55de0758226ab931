package filestore_test

import (
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
)

// rewriteInPlace writes data over the file at path as Zoho's SDKs do:
// open with truncation, then write (Python's csv writer flushes its buffer
// in pieces; here the header and the rows are two writes), then close.
func rewriteInPlace(path string, data []byte, split int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	runtime.Gosched() // widen the moment the file is empty
	if _, err := f.Write(data[:split]); err != nil {
		f.Close()
		return err
	}
	runtime.Gosched()
	if _, err := f.Write(data[split:]); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// TestReadWhileRewrittenInPlace checks that reads of a file that another
// program keeps rewriting in place (truncate, then write) never report a
// stored token missing: a read that meets the empty or half-written file
// retries briefly and never takes it for the new content.
func TestReadWhileRewrittenInPlace(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 reads against a writer")
	}
	path := copyTestdata(t, "python.txt")
	data := readTestdata(t, "python.txt")
	s := filestoreAt(t, path, filestore.WithRecheck(0)) // every read checks the file
	ctx := t.Context()
	q := &zohoauth.Token{UserName: "e@f.com:789"}
	if _, err := s.FindToken(ctx, q); err != nil {
		t.Fatal(err)
	}

	var (
		stop     atomic.Bool
		rewrites atomic.Int64
		wg       sync.WaitGroup
		werr     error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			if err := rewriteInPlace(path, data, len(filestore.Header)+i%(len(data)-len(filestore.Header))); err != nil {
				werr = err
				return
			}
			rewrites.Add(1)
			runtime.Gosched()
		}
	}()
	const reads = 10_000
	var notFound, failed int
	var firstErr error
	for range reads {
		_, err := s.FindToken(ctx, q)
		switch {
		case errors.Is(err, zohoauth.ErrNotFound):
			notFound++
		case err != nil:
			failed++
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	if werr != nil {
		t.Fatal(werr)
	}
	t.Logf("%d reads during %d rewrites in place", reads, rewrites.Load())
	if notFound > 0 || failed > 0 {
		t.Fatalf("%d of %d reads reported the token missing, %d failed (first: %v)", notFound, reads, failed, firstErr)
	}
}
