package filestore

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// Header is the first line of a token file as Zoho's Python SDK writes it,
// and as this package writes it.
const Header = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\r\n"

// The columns of a token file, in Zoho's order.
const (
	colID = iota
	colUserName
	colClientID
	colClientSecret
	colRefreshToken
	colAccessToken
	colGrantToken
	colExpiry
	colRedirectURL
	colAPIDomain
	columns
)

// names lists, per column, the header names Zoho's SDKs have written:
// Python writes redirect_uri, Java and Node redirect_url, TypeScript and the
// 9-column format of older SDKs user_mail.
var names = [columns][]string{
	colID:           {"id"},
	colUserName:     {"user_name", "user_mail"},
	colClientID:     {"client_id"},
	colClientSecret: {"client_secret"},
	colRefreshToken: {"refresh_token"},
	colAccessToken:  {"access_token"},
	colGrantToken:   {"grant_token"},
	colExpiry:       {"expiry_time"},
	colRedirectURL:  {"redirect_uri", "redirect_url"},
	colAPIDomain:    {"api_domain"},
}

// ParseError reports a token file that cannot be read: the line (1-based, as
// an editor counts lines) and what is wrong with it. It never holds any
// content of the file, which may be a secret.
type ParseError struct {
	Line   int    // the line the problem is on, 1-based
	Column string // the column concerned, if one is ("id", "expiry_time"); else ""
	Reason string // what is wrong, without any value from the file

	file string // the file concerned, "token file" when empty
}

// Error returns "token file line N: reason" or "token file line N, column
// C: reason" ("lifecycle file" for the side file of Store.LifecyclePath).
func (e *ParseError) Error() string {
	file := e.file
	if file == "" {
		file = "token file"
	}
	if e.Column != "" {
		return fmt.Sprintf("%s line %d, column %s: %s", file, e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("%s line %d: %s", file, e.Line, e.Reason)
}

// errInvalidFile is the cause Marshal reports for tokens it cannot write.
var errInvalidFile = errors.New("filestore: cannot write token")

// Parse reads a token file in any of the formats of Zoho's SDKs: the
// 10-column format with the Python, Java/Node or TypeScript header, and the
// 9-column format without api_domain (whose tokens get an empty APIDomain).
// Lines may end with CRLF, LF or CR; empty lines are skipped; fields follow
// the CSV rules of Python's csv module (a field in double quotes may hold
// commas, quotes written twice and line breaks). An empty file, and a file
// with only the header, hold no token.
//
// Every token must have a numeric id (storekit.ValidID) not used by another,
// and an expiry_time that is empty or epoch milliseconds. Anything else is a
// *ParseError naming the line.
func Parse(data []byte) ([]*zohoauth.Token, error) {
	tokens, _, err := parse(data)
	return tokens, err
}

// The line breaks a token file is written with: CRLF as Python's csv
// module writes, or LF as the Java (opencsv), Node and TypeScript SDKs do.
const (
	crlf = "\r\n"
	lf   = "\n"
)

// parse is Parse that also returns the line break to write the file back
// with: lf when the header line ends with a bare LF, crlf otherwise (CRLF,
// Python's CR CR LF on Windows, a lone CR, or no line break at all).
func parse(data []byte) ([]*zohoauth.Token, string, error) {
	r := reader{data: string(data), line: 1}
	r.data = strings.TrimPrefix(r.data, "\ufeff") // a BOM an editor may add
	var (
		width  int
		tokens []*zohoauth.Token
		seen   map[string]int
		fields []string
		eol    = crlf
	)
	for {
		line := r.skipBreaks()
		if r.pos >= len(r.data) {
			break
		}
		var err error
		fields, err = r.record(fields[:0])
		if err != nil {
			return nil, "", err
		}
		if width == 0 {
			if width, err = header(fields, line); err != nil {
				return nil, "", err
			}
			if p := r.pos; p > 0 && r.data[p-1] == '\n' && (p < 2 || r.data[p-2] != '\r') {
				eol = lf
			}
			continue
		}
		if len(fields) != width {
			return nil, "", &ParseError{Line: line, Reason: fmt.Sprintf("%d fields, want %d", len(fields), width)}
		}
		t, err := rowToken(fields, line)
		if err != nil {
			return nil, "", err
		}
		if first, dup := seen[t.ID]; dup {
			return nil, "", &ParseError{Line: line, Column: "id", Reason: "id already used on line " + strconv.Itoa(first)}
		}
		if seen == nil {
			seen = make(map[string]int)
		}
		seen[t.ID] = line
		tokens = append(tokens, t)
	}
	return tokens, eol, nil
}

// header checks the header record and returns its number of columns.
func header(fields []string, line int) (int, error) {
	if len(fields) != columns && len(fields) != columns-1 {
		return 0, &ParseError{Line: line, Reason: fmt.Sprintf("header has %d fields, want %d (or %d in the older format)", len(fields), columns, columns-1)}
	}
	for i, f := range fields {
		known := false
		for _, n := range names[i] {
			known = known || f == n
		}
		if !known {
			return 0, &ParseError{Line: line, Reason: fmt.Sprintf("header field %d is not %s", i+1, strings.Join(names[i], " or "))}
		}
	}
	return len(fields), nil
}

func rowToken(f []string, line int) (*zohoauth.Token, error) {
	if !storekit.ValidID(f[colID]) {
		return nil, &ParseError{Line: line, Column: "id", Reason: "not a number of 1 to 10 digits"}
	}
	expiry, err := storekit.ParseExpiry(f[colExpiry])
	if err != nil {
		return nil, &ParseError{Line: line, Column: "expiry_time", Reason: "not epoch milliseconds"}
	}
	t := &zohoauth.Token{
		ID:           f[colID],
		UserName:     f[colUserName],
		ClientID:     f[colClientID],
		ClientSecret: f[colClientSecret],
		RefreshToken: f[colRefreshToken],
		AccessToken:  f[colAccessToken],
		GrantToken:   f[colGrantToken],
		Expiry:       expiry,
		RedirectURL:  f[colRedirectURL],
	}
	if len(f) > colAPIDomain {
		t.APIDomain = f[colAPIDomain]
	}
	return t, nil
}

// reader splits a token file into records the way Python's csv module does
// with the excel dialect (strict about what follows a closing quote).
type reader struct {
	data string
	pos  int
	line int // the line of data[pos]
}

// skipBreaks skips line breaks (empty lines) and returns the line the next
// record starts on.
func (r *reader) skipBreaks() int {
	for r.pos < len(r.data) && (r.data[r.pos] == '\r' || r.data[r.pos] == '\n') {
		r.newline()
	}
	return r.line
}

// newline consumes one line break at r.pos: CRLF, LF or a lone CR.
func (r *reader) newline() {
	if r.data[r.pos] == '\r' && r.pos+1 < len(r.data) && r.data[r.pos+1] == '\n' {
		r.pos++
	}
	r.pos++
	r.line++
}

// record reads the fields of one record into dst and consumes its line break.
func (r *reader) record(dst []string) ([]string, error) {
	for {
		var field string
		var err error
		if r.pos < len(r.data) && r.data[r.pos] == '"' {
			field, err = r.quoted()
		} else {
			field = r.unquoted()
		}
		if err != nil {
			return nil, err
		}
		dst = append(dst, field)
		if r.pos >= len(r.data) {
			return dst, nil
		}
		switch r.data[r.pos] {
		case ',':
			r.pos++
		case '\r', '\n':
			r.newline()
			return dst, nil
		default:
			return nil, &ParseError{Line: r.line, Reason: "text after the closing quote of a field"}
		}
	}
}

// unquoted reads a field up to the next comma or line break. A double quote
// inside it is kept, as Python's csv module keeps it.
func (r *reader) unquoted() string {
	start := r.pos
	r.pos = fieldEnd(r.data, r.pos)
	return r.data[start:r.pos]
}

// fieldEnd returns the index of the first comma, CR or LF in s at or after
// i, or len(s). It reads eight bytes at a time: the file store reads every
// field of a file of a hundred thousand tokens this way, three times per
// migration (check, copy, verify), and a byte at a time was a twentieth
// of the migration's CPU time.
func fieldEnd(s string, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// has marks the bytes of x equal to c: their high bit. A byte above a
	// marked one may be marked wrongly (a borrow); the lowest mark is exact.
	has := func(x, c uint64) uint64 {
		v := x ^ (ones * c)
		return (v - ones) &^ v & highs
	}
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if m := has(x, ',') | has(x, '\r') | has(x, '\n'); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case ',', '\r', '\n':
			return i
		}
	}
	return i
}

// quoted reads a field that starts with a double quote at r.pos, leaving
// r.pos after its closing quote.
func (r *reader) quoted() (string, error) {
	open := r.line
	r.pos++ // opening quote
	var b strings.Builder
	for {
		i := strings.IndexAny(r.data[r.pos:], "\"\r\n")
		if i < 0 {
			r.pos = len(r.data) // the field runs to the end of what was read
			return "", &ParseError{Line: open, Reason: "quoted field not closed before the end of the file"}
		}
		b.WriteString(r.data[r.pos : r.pos+i])
		r.pos += i
		switch c := r.data[r.pos]; {
		case c == '"' && r.pos+1 < len(r.data) && r.data[r.pos+1] == '"':
			b.WriteByte('"')
			r.pos += 2
		case c == '"':
			r.pos++
			return b.String(), nil
		default: // a line break inside the field is kept byte for byte
			b.WriteByte(c)
			if c == '\r' && r.pos+1 < len(r.data) && r.data[r.pos+1] == '\n' {
				b.WriteByte('\n')
				r.pos++
			}
			r.pos++
			r.line++
		}
	}
}

// Marshal returns the token file that holds tokens, in their order, exactly
// as Zoho's Python SDK writes it: the Header, then one CRLF-terminated line
// per token, each field quoted only when it holds a comma, a double quote, a
// CR or an LF (Python's csv.QUOTE_MINIMAL), quotes doubled, the expiry in
// epoch milliseconds. Parse(Marshal(tokens)) gives tokens back, byte for
// byte. Every token must have a valid id, used once; otherwise Marshal fails.
func Marshal(tokens []*zohoauth.Token) ([]byte, error) {
	return appendFile(nil, tokens, crlf)
}

// appendFile appends the token file holding tokens to b, as Marshal writes
// it but with every line, the header's included, ending in eol (crlf or lf).
// It checks the ids first (valid, each used once).
func appendFile(b []byte, tokens []*zohoauth.Token, eol string) ([]byte, error) {
	seen := make(map[string]struct{}, len(tokens))
	for _, t := range tokens {
		if !storekit.ValidID(t.ID) {
			return nil, fmt.Errorf("%w: id is not a number of 1 to 10 digits: %w", errInvalidFile, zohoauth.ErrInvalidID)
		}
		if _, dup := seen[t.ID]; dup {
			return nil, fmt.Errorf("%w: id %s used twice: %w", errInvalidFile, t.ID, zohoauth.ErrConflict)
		}
		seen[t.ID] = struct{}{}
	}
	return appendRows(b, tokens, eol), nil
}

// appendRows is appendFile without the checks of the ids, for tokens known
// to have valid, distinct ids (those of a storekit.Table).
func appendRows(b []byte, tokens []*zohoauth.Token, eol string) []byte {
	b = append(b, Header[:len(Header)-len(crlf)]...)
	b = append(b, eol...)
	for _, t := range tokens {
		b = appendRow(b, t, eol)
	}
	return b
}

// appendRow appends the line of t. Most lines need no quotes: the fast path
// writes the fields as they are and checks the whole line at once (its
// commas are the nine separators, and it holds no quote or line break),
// falling back to field by field quoting when the check fails.
func appendRow(b []byte, t *zohoauth.Token, eol string) []byte {
	start := len(b)
	b = appendFields(b, t, false)
	row := b[start:]
	if bytes.Count(row, []byte{','}) == columns-1 && bytes.IndexByte(row, '"') < 0 &&
		bytes.IndexByte(row, '\r') < 0 && bytes.IndexByte(row, '\n') < 0 {
		return append(b, eol...)
	}
	return append(appendFields(b[:start], t, true), eol...)
}

// appendFields appends the fields of t separated by commas, each quoted as
// Python's csv.QUOTE_MINIMAL does when quote is true, as they are otherwise.
func appendFields(b []byte, t *zohoauth.Token, quote bool) []byte {
	field := func(b []byte, v string) []byte {
		b = append(b, ',')
		if quote {
			return appendField(b, v)
		}
		return append(b, v...)
	}
	b = append(b, t.ID...)
	b = field(b, t.UserName)
	b = field(b, t.ClientID)
	b = field(b, t.ClientSecret)
	b = field(b, t.RefreshToken)
	b = field(b, t.AccessToken)
	b = field(b, t.GrantToken)
	b = append(b, ',')
	if !t.Expiry.IsZero() { // as storekit.FormatExpiry writes it, without the string
		b = strconv.AppendInt(b, t.Expiry.UnixMilli(), 10)
	}
	b = field(b, t.RedirectURL)
	return field(b, t.APIDomain)
}

// quoted lists the bytes for which Python's csv.QUOTE_MINIMAL quotes a
// field: the delimiter, the quote character and the line breaks.
const quoted = ",\"\r\n"

func appendField(b []byte, v string) []byte {
	if !strings.ContainsAny(v, quoted) {
		return append(b, v...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(v, '"')
		if i < 0 {
			break
		}
		b = append(b, v[:i+1]...)
		b = append(b, '"')
		v = v[i+1:]
	}
	b = append(b, v...)
	return append(b, '"')
}

// rowBytes is a rough size of a token's line, to size the write buffer.
func rowBytes(t *zohoauth.Token) int {
	return 32 + len(t.ID) + len(t.UserName) + len(t.ClientID) + len(t.ClientSecret) + len(t.RefreshToken) +
		len(t.AccessToken) + len(t.GrantToken) + len(t.RedirectURL) + len(t.APIDomain)
}
