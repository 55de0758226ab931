package filestore

import (
	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// rowCache keeps the lines of the file a store wrote last, each with the
// token it encodes, so that the next save copies the lines of the tokens
// that did not change and encodes only the others.
//
// A line is reused only for the very token it was encoded from (the same
// pointer): a storekit.Table never changes a token it holds (a save puts a
// new token in its place), so a token still in the table still has the
// line it had. The cache holds the token, so its address cannot be reused
// by another while the line is kept.
//
// The cache keeps two buffers: the file written last, which the next save
// copies from, and the one before, which the next save writes into. A
// buffer it returned is not changed before the next call of file, by which
// time the store has written it.
type rowCache struct {
	eol        string // the line break of the lines kept
	data       []byte // the file written last: the header, then lines
	lines      []line // the lines of data, in the order written
	spare      []byte // the buffer of the write before, reused by the next
	spareLines []line
}

// line is a line of rowCache.data and the token it encodes.
type line struct {
	tok        *zohoauth.Token
	start, end int
}

// file returns the token file that holds tokens, in their order, each line
// ending in eol: what appendRows(nil, tokens, eol) returns, byte for byte.
// tokens must be the tokens of a storekit.Table (valid, distinct ids, never
// changed in place). The lines of tokens file met in the last call are
// copied, in runs as long as they were adjacent then; the others are
// encoded. The result stays valid until the next call.
func (c *rowCache) file(tokens []*zohoauth.Token, eol string) []byte {
	if c.eol != eol {
		c.eol, c.data, c.lines = eol, nil, nil
	}
	size := len(c.data)
	if size == 0 {
		size = len(Header)
		for _, t := range tokens {
			size += rowBytes(t)
		}
	}
	b := c.spare[:0]
	if cap(b) < size {
		b = make([]byte, 0, size+size/8)
	}
	b = append(b, Header[:len(Header)-len(crlf)]...)
	b = append(b, eol...)
	lines := c.spareLines[:0]
	if cap(lines) < len(tokens) {
		lines = make([]line, 0, len(tokens)+len(tokens)/8)
	}
	old, prev := c.lines, c.data
	j := 0
	// runStart:runEnd is a run of old lines, adjacent in prev, not yet
	// copied into b.
	runStart, runEnd := 0, 0
	for _, t := range tokens {
		// Both lists are in id order: skip the old lines of tokens that
		// are gone or were replaced. A token out of that order is only
		// encoded again, never given a line of another.
		for j < len(old) && old[j].tok != t && storekit.CompareIDs(old[j].tok.ID, t.ID) < 0 {
			j++
		}
		if j < len(old) && old[j].tok == t {
			l := old[j]
			j++
			if l.start != runEnd {
				b = append(b, prev[runStart:runEnd]...)
				runStart, runEnd = l.start, l.start
			}
			start := len(b) + runEnd - runStart
			runEnd = l.end
			lines = append(lines, line{tok: t, start: start, end: start + l.end - l.start})
			continue
		}
		b = append(b, prev[runStart:runEnd]...)
		runStart, runEnd = 0, 0
		start := len(b)
		b = appendRow(b, t, eol)
		lines = append(lines, line{tok: t, start: start, end: len(b)})
	}
	b = append(b, prev[runStart:runEnd]...)
	clear(lines[len(lines):cap(lines)]) // drop the tokens of lines no longer used
	c.spare, c.spareLines = c.data, c.lines
	c.data, c.lines = b, lines
	return b
}
