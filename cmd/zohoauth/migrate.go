package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storeurl"
)

// defaultBatch is how many tokens migrate saves per call: one transaction
// or file rewrite on a store that saves in batches (zohoauth.BatchSaver).
const defaultBatch = 1000

// The garbage collector's settings while migrate runs (tuneGC). A
// migration allocates much and keeps little: about two pages of tokens,
// 2 to 3 MB at the default batch. With the default GOGC of 100 the
// collector runs every 4 MB allocated, some 280 times for 100,000 tokens,
// and costs a fifth of the command's CPU. migrate lets the heap grow to
// migrateGCPercent over the live data, within a soft memory limit of
// gcLimitBase plus gcLimitPerToken per token of a batch (24 MiB at the
// default batch): the collector then runs some forty times for 100,000
// tokens. The trade is memory for CPU, measured with
// BenchmarkMigrateVsImport: a limit of 16 MiB gave a peak resident size
// of 46 to 47 MB and a CPU time 1.40 to 1.48 times the sqlite3 shell's
// import; 24 MiB gives 53 to 54 MB (54 MB at 1,000,000 tokens: flat with
// their number) and 1.30 to 1.31 times. The limit grows with --batch so
// that a larger page does not find the live heap above it (the collector
// would then run all the time): about 4 KB a token is live at the peak,
// measured at --batch 10000, half the room given.
const (
	migrateGCPercent = 400
	gcLimitBase      = 16 << 20
	gcLimitPerToken  = 8 << 10
)

// tuneGC sets GOGC and the soft memory limit for a migration of batch
// tokens per page, unless the environment sets GOGC or GOMEMLIMIT, and
// returns the function that restores them.
func (a *app) tuneGC(batch int) (restore func()) {
	if a.getenv("GOGC") != "" || a.getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := int64(gcLimitBase) + int64(gcLimitPerToken)*int64(batch)
	if batch > (math.MaxInt64-gcLimitBase)/gcLimitPerToken {
		limit = math.MaxInt64
	}
	oldLimit := debug.SetMemoryLimit(limit)
	oldPercent := debug.SetGCPercent(migrateGCPercent)
	return func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}
}

func (a *app) migrateCmd() *cobra.Command {
	var from, to string
	var deleteSource, yes bool
	var batch int
	var keysets migrateKeysets
	c := &cobra.Command{
		Use:   "migrate --from URL --to URL [--from-keyset FILE|none] [--to-keyset FILE|none] [--delete-source [--yes]] [--batch N]",
		Short: "copy every token from one store to another",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.migrate(c.Context(), from, to, deleteSource, yes, batch, keysets)
		},
	}
	fs := c.Flags()
	fs.StringVar(&from, "from", "", "store `URL` to copy from (required)")
	fs.StringVar(&to, "to", "", "store `URL` to copy to (required)")
	fs.BoolVar(&deleteSource, "delete-source", false, "delete the source's tokens after a complete, verified copy (asks first on a terminal; stop the source's writers first)")
	fs.BoolVarP(&yes, "yes", "y", false, "--delete-source without asking (required without a terminal)")
	fs.IntVar(&batch, "batch", defaultBatch, "tokens per save, `N`")
	keysets.flags(fs)
	return c
}

func (a *app) migrate(ctx context.Context, from, to string, deleteSource, yes bool, batch int, keysets migrateKeysets) error {
	if from == "" || to == "" {
		return usageErrorf("migrate needs --from URL and --to URL")
	}
	if batch < 1 {
		return usageErrorf("--batch must be at least 1")
	}
	fromLoc, err := storeurl.Parse(from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	toLoc, err := storeurl.Parse(to)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if sameStore(fromLoc, toLoc) {
		return usageErrorf("--from and --to name the same store")
	}
	if deleteSource && !yes && !a.interactive() {
		// Refused before the copy, not after it.
		return usageErrorf("migrate --delete-source deletes the source's tokens: confirm with --yes (standard input is not a terminal)")
	}
	defer a.tuneGC(batch)()
	fromKS, toKS, err := a.migrateKeysets(keysets)
	if err != nil {
		return err
	}
	src, err := a.openSealed(ctx, from, false, fromKS)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	dst, err := a.openSealed(ctx, to, true, toKS)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()

	total := -1
	if _, paged := src.(zohoauth.Pager); !paged {
		// Held whole by its store (a file, a map): counted at no cost.
		if all, err := src.Tokens(ctx); err == nil {
			total = len(all)
		}
	}
	m := migration{src: src, dst: dst, batch: batch, total: total,
		progress: a.progress("copying  "), checking: a.progress("verifying")}
	copied, err := m.copy(ctx)
	if err != nil {
		if !errors.Is(err, errSave) {
			// Another run reads the same source: it must be mended first.
			return fmt.Errorf("copied %d tokens, then: %w (the source is untouched; run migrate again once it can be read)", copied, err)
		}
		return fmt.Errorf("copied %d tokens, then: %w (the source is untouched; run migrate again to complete)", copied, err)
	}
	verified, err := m.verify(ctx)
	if err != nil {
		return fmt.Errorf("copied %d tokens, but the copy is not complete: %w (the source is untouched)", copied, err)
	}
	fmt.Fprintf(a.stderr, "copied %d tokens from %s to %s; verified %d of %d%s\n",
		copied, fromLoc, toLoc, verified, m.copied.count, encryptionNote(fromKS, toKS))
	if !deleteSource {
		return nil
	}
	if err := a.confirm(ctx, yes, fmt.Sprintf("delete the %d tokens of %s, now copied and verified", m.copied.count, fromLoc)); err != nil {
		return err
	}
	if err := m.deleteSource(ctx); err != nil {
		return fmt.Errorf("the copy is complete, but the source was not deleted: %w", err)
	}
	fmt.Fprintf(a.stderr, "deleted %d tokens from %s\n", m.copied.count, fromLoc)
	return nil
}

// migration copies every token of src into dst, keeping the ids, so that a
// second run after a failure updates what the first copied and completes.
// It streams: it holds one page of batch tokens of the source at a time
// (zohoauth.EachPage), and of the target while it verifies, never a whole
// store (unless the store has no zohoauth.Pager: then it reads it whole).
type migration struct {
	src, dst zohoauth.Store
	batch    int
	// total is the source's count when known beforehand, else -1 (a
	// streamed source is counted as it is read).
	total int
	// progress draws the copy's progress; total is -1 while unknown.
	progress func(done, total int)
	// checking draws the verification's progress (nil: none).
	checking func(done, total int)
	seed     digestSeed // of the digests, drawn by copy
	copied   *digest    // the source's tokens, as copied
}

// digest sums up a sequence of tokens: their count and a hash of every
// field, to tell whether a store still holds what was copied without
// keeping it in memory. The hash is hash/maphash under two seeds drawn for
// the migration (128 bits): it needs to tell apart what one source held
// at two moments of one run, not to be known outside it, and it costs a
// fraction of SHA-256's time on the two passes over every token.
type digest struct {
	count int
	h     [2]maphash.Hash
	buf   []byte // the encoding of one token, reused
}

// digestSeed is the seed of the digests that are compared.
type digestSeed [2]maphash.Seed

func newDigestSeed() digestSeed { return digestSeed{maphash.MakeSeed(), maphash.MakeSeed()} }

// newDigest returns an empty digest under seed.
func newDigest(seed digestSeed) *digest {
	d := &digest{}
	d.h[0].SetSeed(seed[0])
	d.h[1].SetSeed(seed[1])
	return d
}

// add adds t to the sum: every field, each after its length, in one write.
func (d *digest) add(t *zohoauth.Token) {
	d.count++
	b := d.buf[:0]
	field := func(f string) {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	field(t.ID)
	field(t.UserName)
	field(t.ClientID)
	field(t.ClientSecret)
	field(t.RefreshToken)
	field(t.AccessToken)
	field(t.GrantToken)
	// The expiry as storekit.FormatExpiry writes it, without the string.
	n := len(b)
	b = append(b, 0) // its length, one byte: at most 20 digits
	if !t.Expiry.IsZero() {
		b = strconv.AppendInt(b, t.Expiry.UnixMilli(), 10)
	}
	b[n] = byte(len(b) - n - 1)
	field(t.RedirectURL)
	field(t.APIDomain)
	d.h[0].Write(b)
	d.h[1].Write(b)
	d.buf = b
}

// equal reports whether d and o, made under one seed, sum up the same
// tokens.
func (d *digest) equal(o *digest) bool {
	return d.count == o.count && d.h[0].Sum64() == o.h[0].Sum64() && d.h[1].Sum64() == o.h[1].Sum64()
}

// copy saves the source's tokens into the target a page of batch tokens at
// a time (zohoauth.SaveAll: one transaction per page on a BatchSaver), and
// returns how many it saved.
func (m *migration) copy(ctx context.Context) (int, error) {
	m.seed = newDigestSeed()
	m.copied = newDigest(m.seed)
	done := 0
	m.progress(0, m.total)
	err := zohoauth.EachPage(ctx, m.src, m.batch, func(page []*zohoauth.Token) error {
		first, last := page[0].ID, page[len(page)-1].ID
		for _, t := range page {
			m.copied.add(t) // before SaveAll, which updates the tokens in place
		}
		if err := zohoauth.SaveAll(ctx, m.dst, page); err != nil {
			return &stepError{step: errSave, err: fmt.Errorf("saving tokens %s to %s: %w", first, last, err)}
		}
		done += len(page)
		m.progress(done, m.total)
		return nil
	})
	if err != nil && !errors.Is(err, errSave) {
		err = fmt.Errorf("reading the source: %w", err)
	}
	if err != nil {
		return done, err
	}
	if done != m.total {
		m.progress(done, done) // the end: the bar completes
	}
	return done, nil
}

// check draws the verification's progress: done of the tokens copied, or
// the end of the bar when done is -1.
func (m *migration) check(done int) {
	if m.checking == nil {
		return
	}
	if done < 0 {
		m.checking(done, done)
		return
	}
	m.checking(done, m.copied.count)
}

// verify reads the source again and the target alongside, a page at a time
// in numeric id order, checks that the target holds every source token,
// field by field, and that the source is still what was copied; it returns
// how many tokens it checked.
func (m *migration) verify(ctx context.Context) (int, error) {
	seen := newDigest(m.seed)
	target := &cursor{s: m.dst, size: m.batch}
	held := map[string]*zohoauth.Token{} // target tokens up to the page's last id
	var missing, differ []string
	nMissing, nDiffer := 0, 0
	err := zohoauth.EachPage(ctx, m.src, m.batch, func(page []*zohoauth.Token) error {
		last := page[len(page)-1].ID
		for {
			t, err := target.peek(ctx)
			if err != nil {
				return &stepError{step: errReadTarget, err: fmt.Errorf("reading the target: %w", err)}
			}
			if t == nil || storekit.CompareIDs(t.ID, last) > 0 {
				break
			}
			held[t.ID] = t
			target.next()
		}
		for _, t := range page {
			seen.add(t)
			got, ok := held[t.ID]
			switch {
			case !ok:
				nMissing++
				missing = appendFew(missing, t.ID)
			default:
				if fields := differingFields(t, got); len(fields) > 0 {
					nDiffer++
					differ = appendFew(differ, t.ID+" ("+strings.Join(fields, ", ")+")")
				}
			}
		}
		for id := range held {
			if storekit.CompareIDs(id, last) < 0 { // ids of last's value may come on the next page
				delete(held, id)
			}
		}
		m.check(seen.count)
		return nil
	})
	if err == nil && seen.count != m.copied.count {
		m.check(-1) // the source changed: end the bar where it is
	}
	if err != nil && !errors.Is(err, errReadTarget) {
		err = fmt.Errorf("reading the source: %w", err)
	}
	if err != nil {
		return 0, err
	}
	if nMissing > 0 || nDiffer > 0 {
		return 0, fmt.Errorf("the target holds %d of %d source tokens as they are (missing ids %s; different ids %s)",
			seen.count-nMissing-nDiffer, seen.count, idList(missing, nMissing), idList(differ, nDiffer))
	}
	if !seen.equal(m.copied) {
		return 0, fmt.Errorf("the source changed during the migration (%d tokens copied, %d now); run migrate again", m.copied.count, seen.count)
	}
	return seen.count, nil
}

// A stepError is an error of the target inside a walk of the source, told
// apart from the source's own errors by its step.
type stepError struct {
	step error // errSave or errReadTarget
	err  error
}

func (e *stepError) Error() string   { return e.err.Error() }
func (e *stepError) Unwrap() []error { return []error{e.err, e.step} }

// The steps of a stepError.
var (
	errSave       = errors.New("saving to the target")
	errReadTarget = errors.New("reading the target")
)

// appendFew appends id to ids while they are fewer than shown: an error
// names the first few ids and counts the others.
func appendFew(ids []string, id string) []string {
	if len(ids) < shownIDs {
		ids = append(ids, id)
	}
	return ids
}

// shownIDs is how many ids an error names.
const shownIDs = 10

// cursor reads a store in numeric id order a page at a time
// (zohoauth.Pager), or whole when the store is not a Pager.
type cursor struct {
	s    zohoauth.Store
	size int
	buf  []*zohoauth.Token
	pos  int
	read bool // the last page (or the whole store) is in buf
}

// peek returns the next token, or nil at the end.
func (c *cursor) peek(ctx context.Context) (*zohoauth.Token, error) {
	for c.pos == len(c.buf) {
		if c.read {
			return nil, nil
		}
		p, ok := c.s.(zohoauth.Pager)
		if !ok {
			all, err := c.s.Tokens(ctx)
			if err != nil {
				return nil, err
			}
			c.buf, c.pos, c.read = all, 0, true
			continue
		}
		after := ""
		if len(c.buf) > 0 {
			after = c.buf[len(c.buf)-1].ID
		}
		page, err := p.TokensAfter(ctx, after, c.size)
		if err != nil {
			return nil, err
		}
		c.buf, c.pos, c.read = page, 0, len(page) < c.size
	}
	return c.buf[c.pos], nil
}

// next moves past the token peek returned.
func (c *cursor) next() { c.pos++ }

// deleteSource deletes the source's tokens if the source still holds exactly
// the tokens that were copied.
//
// Its limit: the check and the delete are two steps, not one transaction,
// and no store offers a delete of all its tokens on a condition. A token
// that another writer (a Zoho SDK, another process) saves into the source
// after the check and before the delete is deleted without having been
// copied. Writers of the source must be stopped before --delete-source; the
// check only catches those that wrote during the copy.
func (m *migration) deleteSource(ctx context.Context) error {
	now := newDigest(m.seed)
	err := zohoauth.EachPage(ctx, m.src, m.batch, func(page []*zohoauth.Token) error {
		for _, t := range page {
			now.add(t)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !now.equal(m.copied) {
		return fmt.Errorf("the source changed during the migration; run migrate again")
	}
	return m.src.DeleteTokens(ctx)
}

// sameStore reports whether two locations name one store.
func sameStore(a, b *storeurl.Location) bool {
	if a.Scheme != b.Scheme || a.Table != b.Table || a.DSN != b.DSN {
		return false
	}
	if a.Path == storeurl.MemoryPath || a.Scheme == storeurl.SchemeMemory {
		return false // every open is a new store
	}
	pa, erra := filepath.Abs(a.Path)
	pb, errb := filepath.Abs(b.Path)
	return erra == nil && errb == nil && pa == pb
}

// differingFields returns the names of the fields in which the target's
// token b differs from the source's token a, as Zoho's file and table name
// them (never their values, which may be secrets); none when they are equal.
// Expiries are compared as the stores keep them (storekit.FormatExpiry: to
// the millisecond, none when zero).
func differingFields(a, b *zohoauth.Token) []string {
	sameExpiry := a.Expiry.IsZero() == b.Expiry.IsZero() && (a.Expiry.IsZero() || a.Expiry.UnixMilli() == b.Expiry.UnixMilli())
	var out []string
	for _, f := range [...]struct {
		name string
		same bool
	}{
		{"id", a.ID == b.ID}, {"user_name", a.UserName == b.UserName}, {"client_id", a.ClientID == b.ClientID},
		{"client_secret", a.ClientSecret == b.ClientSecret}, {"refresh_token", a.RefreshToken == b.RefreshToken},
		{"access_token", a.AccessToken == b.AccessToken}, {"grant_token", a.GrantToken == b.GrantToken},
		{"expiry_time", sameExpiry},
		{"redirect_url", a.RedirectURL == b.RedirectURL}, {"api_domain", a.APIDomain == b.APIDomain},
	} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

// idList names the first ids of a list of n.
func idList(ids []string, n int) string {
	if n == 0 {
		return "none"
	}
	if n > len(ids) {
		return strings.Join(ids, ", ") + fmt.Sprintf(" and %d more", n-len(ids))
	}
	return strings.Join(ids, ", ")
}
