package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// A walk of the file (see TokensAfter) reads chunkSize bytes at a time and
// streams records of at most maxRecord bytes; a longer record (no token
// is near that) makes the walk load the file whole instead.
const (
	chunkSize = 256 << 10
	maxRecord = 1 << 20
)

// errNoStream reports a file version that a walk does not stream: TokensAfter
// then pages the tokens of the whole file, loaded as any read loads it,
// which reports what is wrong with the file, if anything.
var errNoStream = errors.New("filestore: the token file cannot be streamed")

// pager is the state of the walks of a Store (TokensAfter): the walk under
// way and the last file version found fit for streaming.
type pager struct {
	mu     sync.Mutex
	walk   *walk
	sorted identity // the last version found whole, valid and in id order
}

// walk is where a walk of one version of the file stands between two
// pages. The file is open only while a page is read: a walk left
// unfinished holds no descriptor, and on Windows, where an open file cannot
// be renamed over, it does not keep writers from replacing the file between
// pages. It holds at most two chunks of text and a chunk's buffer.
type walk struct {
	id identity
	// sc is the scanner where the last page ended, with the text it read
	// past that page's end: the next page goes on with it, reading the
	// file from where it stopped (with src, nil between pages, the file
	// opened again) rather than that text again.
	sc      *rowScanner
	pending *zohoauth.Token // read past the last page, to start the next
	last    string          // the id of the last token returned
}

// closeWalk forgets the walk under way, if any.
func (s *Store) closeWalk() {
	s.pager.mu.Lock()
	defer s.pager.mu.Unlock()
	s.pager.walk = nil
}

// TokensAfter implements zohoauth.Pager: copies of at most limit tokens
// whose numeric id is greater than after ("" for the first page), ordered
// by numeric id (ties, such as "7" and "007", by the id text).
//
// When the store holds the file's tokens already (a read or a save loaded
// them), a page is read from them. Otherwise a walk streams the file: a
// first pass checks, a chunk at a time, that the version is whole, valid
// and in id order (as this package and Zoho's SDKs write it; the check is
// made once per version), and the pages are then read from the file in
// order, the next page where the last ended; the store holds one page of
// tokens at a time, never the file. A file that is not in id order, cannot
// be parsed or may be being written (changed within the last 100 ms) is
// loaded whole instead, as any read loads it, and paged from memory; so is
// a page during which the file was rewritten in place.
//
// Each page checks the file: a walk across a change by another writer sees
// the pages of the versions it met (a walk that meets a new version goes on
// in it, after the last id it returned).
func (s *Store) TokensAfter(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	if limit < 1 {
		return nil, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: storekit.MsgGetTokensFile, Detail: "page size " + strconv.Itoa(limit) + ", want at least 1"}
	}
	if after != "" && !storekit.ValidID(after) {
		return nil, storekit.StoreError("invalid token id", zohoauth.ErrInvalidID)
	}
	if err := ctx.Err(); err != nil {
		return nil, storekit.StoreError(storekit.MsgGetTokensFile, err)
	}
	if page, err := s.streamPage(after, limit); !errors.Is(err, errNoStream) {
		if err != nil {
			return nil, s.fail(storekit.MsgGetTokensFile, err)
		}
		return page, nil
	}
	var page []*zohoauth.Token
	var invalid bool
	if err := s.view(ctx, storekit.MsgGetTokensFile, func(tb *storekit.Table) {
		page, invalid = tb.After(after, limit)
		for i, t := range page {
			page[i] = t.Clone()
		}
	}); err != nil {
		return nil, err
	}
	if invalid && len(page) < limit { // unreachable: a file's ids are all numeric
		return nil, storekit.StoreError(storekit.MsgGetTokensFile, zohoauth.ErrInvalidID)
	}
	return page, nil
}

// streamPage reads a page of a walk (see TokensAfter): the next page of the
// walk under way when after is where it ended and the file is the version
// it reads, else the first page after after of a new walk. It returns
// errNoStream when the page is to be read from the whole file.
func (s *Store) streamPage(after string, limit int) ([]*zohoauth.Token, error) {
	s.mu.RLock()
	loaded := s.snap != nil
	s.mu.RUnlock()
	if loaded {
		return nil, errNoStream // the tokens are in memory: page them
	}
	p := &s.pager
	p.mu.Lock()
	defer p.mu.Unlock()
	w := p.walk
	p.walk = nil // kept only when this page ends well and is not the last
	f, err := os.Open(s.path)
	if err != nil {
		return nil, errNoStream // reported, or an empty store, by the whole read
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, errNoStream
	}
	id := fileIdentity(fi)
	var sc *rowScanner
	if w != nil && w.id == id && w.last == after {
		sc = w.sc
		if _, err := f.Seek(sc.base+int64(len(sc.r.data)), io.SeekStart); err != nil {
			return nil, errNoStream
		}
		sc.src = f
	} else if w, sc, err = s.startWalk(p, f, id, after); err != nil {
		return nil, err
	}
	page := make([]*zohoauth.Token, 0, min(limit, 1024))
	if w.pending != nil {
		page, w.pending = append(page, w.pending), nil
	}
	for len(page) < limit {
		t, err := sc.token()
		if err != nil {
			// The version checked cannot change; a file rewritten in
			// place can, and the whole read reports what it finds.
			return nil, errNoStream
		}
		if t == nil {
			break
		}
		page = append(page, t)
	}
	if fi, err := f.Stat(); err != nil || fileIdentity(fi) != w.id {
		return nil, errNoStream // rewritten in place while read: this page may be torn
	}
	if len(page) == limit {
		w.last = page[len(page)-1].ID
		sc.src, w.sc = nil, sc // f is closed on return
		p.walk = w
	}
	return page, nil
}

// startWalk returns a new walk of the file f, of version id, and its
// scanner, positioned after after, checking first, unless it did for this
// version already, that the version may be streamed. p.mu is held.
func (s *Store) startWalk(p *pager, f *os.File, id identity, after string) (*walk, *rowScanner, error) {
	if !id.exists || isRacy(id) {
		return nil, nil, errNoStream // perhaps still being written: read it as any read does
	}
	if p.sorted != id {
		if _, err := checkStream(f, id); err != nil {
			return nil, nil, err
		}
		p.sorted = id
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, nil, errNoStream
		}
	}
	w := &walk{id: id, last: after}
	sc := newRowScanner(f, chunkSize)
	if after != "" {
		for {
			t, err := sc.token()
			if err != nil {
				return nil, nil, errNoStream
			}
			if t == nil {
				break
			}
			if compareOrder(t.ID, after) > 0 {
				w.pending = t
				break
			}
		}
	}
	return w, sc, nil
}

// checkStream reads the file f, of version id, through and returns the
// line break to write it back with (as parse does) when a walk may stream
// it: it holds the header and valid records only, in strictly increasing id
// order (so no id is used twice), ends with a line break, and did not
// change while it was read. Otherwise it returns errNoStream, or an I/O
// error.
func checkStream(f *os.File, id identity) (eol string, err error) {
	cr := &countingReader{r: f}
	sc := newRowScanner(cr, chunkSize)
	prev := ""
	for {
		fields, line, err := sc.next()
		if err != nil {
			return "", errNoStream
		}
		if fields == nil {
			break
		}
		if sc.width == 0 {
			if sc.width, err = header(fields, line); err != nil {
				return "", errNoStream
			}
			eol = crlf
			if d, p := sc.r.data, sc.r.pos; p > 0 && d[p-1] == '\n' && (p < 2 || d[p-2] != '\r') {
				eol = lf
			}
			continue
		}
		if len(fields) != sc.width || !storekit.ValidID(fields[colID]) {
			return "", errNoStream
		}
		if _, err := storekit.ParseExpiry(fields[colExpiry]); err != nil {
			return "", errNoStream
		}
		if prev != "" && compareOrder(prev, fields[colID]) >= 0 {
			return "", errNoStream
		}
		prev = strings.Clone(fields[colID])
	}
	if sc.width == 0 || !sc.endsWithBreak() {
		return "", errNoStream // an empty or unfinished file: the whole read decides
	}
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if fileIdentity(fi) != id || cr.n != id.size {
		return "", errNoStream
	}
	return eol, nil
}

// unread returns, for a change that replaces every token (DeleteTokens),
// an empty snapshot to stand for the file when the store has not loaded it
// and the file passes the check of a walk (checkStream; not racy): the
// change needs nothing of the file but its line break, and the check holds
// a chunk of it at a time. Otherwise it returns nil, and the file is
// loaded and checked as for any change. s.mu is held.
func (s *Store) unread() *snapshot {
	if s.snap != nil {
		return nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	id := fileIdentity(fi)
	if isRacy(id) {
		return nil
	}
	eol, err := checkStream(f, id)
	if err != nil {
		return nil
	}
	return &snapshot{id: id, table: storekit.NewTable(), eol: eol}
}

// compareOrder orders ids as the store does: by numeric value, ties (such
// as "7" and "007") by the id text.
func compareOrder(a, b string) int {
	if c := storekit.CompareIDs(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// rowScanner reads the records of a token file from src in order, a chunk
// at a time, with the rules of Parse (reader): it holds the records of one
// chunk, not the file.
type rowScanner struct {
	src     io.Reader
	r       reader // over the text read and not yet consumed
	buf     []byte
	eof     bool // src is read through: r.data holds the rest of the file
	started bool // the start of the file was read (and a BOM dropped)
	last    byte // the last byte of the file read so far
	fields  []string
	width   int   // the header's number of columns, 0 before the header
	base    int64 // the file offset of r.data[0]
}

// newRowScanner returns a scanner of src that reads chunk bytes at a time.
func newRowScanner(src io.Reader, chunk int) *rowScanner {
	return &rowScanner{src: src, r: reader{line: 1}, buf: make([]byte, chunk)}
}

// fill appends the next chunk of the file to the text not yet consumed.
func (sc *rowScanner) fill() error {
	sc.base += int64(sc.r.pos)
	rest := sc.r.data[sc.r.pos:]
	if len(rest) > maxRecord {
		return errNoStream
	}
	n, err := io.ReadFull(sc.src, sc.buf)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		sc.eof = true
	case err != nil:
		return err
	}
	if n > 0 {
		sc.last = sc.buf[n-1]
	}
	// One copy into a string the tokens may keep: rest and the chunk.
	var b strings.Builder
	b.Grow(len(rest) + n)
	b.WriteString(rest)
	b.Write(sc.buf[:n])
	sc.r.data, sc.r.pos = b.String(), 0
	if !sc.started && (len(sc.r.data) >= len("\ufeff") || sc.eof) {
		sc.started = true
		if strings.HasPrefix(sc.r.data, "\ufeff") { // a BOM an editor may add
			sc.r.data = sc.r.data[len("\ufeff"):]
			sc.base += int64(len("\ufeff"))
		}
	}
	return nil
}

// next returns the fields of the next record and the line it starts on, or
// nil fields at the end of the file. The fields are valid until the next
// call. A record is taken only once the text read goes past its end, so
// that a record, a quoted field or a CRLF cut by the end of a chunk is read
// whole with the next chunk.
func (sc *rowScanner) next() ([]string, int, error) {
	for {
		pos, line := sc.r.pos, sc.r.line
		start := sc.r.skipBreaks()
		if sc.r.pos < len(sc.r.data) {
			fields, err := sc.r.record(sc.fields[:0])
			if sc.eof || sc.r.pos < len(sc.r.data) {
				if err != nil {
					return nil, 0, err
				}
				sc.fields = fields
				return fields, start, nil
			}
		} else if sc.eof {
			return nil, start, nil
		}
		sc.r.pos, sc.r.line = pos, line
		if err := sc.fill(); err != nil {
			return nil, 0, err
		}
	}
}

// token returns the next token of the file, nil at the end, checking the
// header first as Parse does (but not that ids are distinct).
func (sc *rowScanner) token() (*zohoauth.Token, error) {
	for {
		fields, line, err := sc.next()
		if err != nil || fields == nil {
			return nil, err
		}
		if sc.width == 0 {
			if sc.width, err = header(fields, line); err != nil {
				return nil, err
			}
			continue
		}
		if len(fields) != sc.width {
			return nil, &ParseError{Line: line, Reason: fmt.Sprintf("%d fields, want %d", len(fields), sc.width)}
		}
		return rowToken(fields, line)
	}
}

// endsWithBreak reports whether the file read through ends with a line
// break.
func (sc *rowScanner) endsWithBreak() bool { return sc.last == '\n' || sc.last == '\r' }
