package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storeurl"
)

// defaultBatch is how many tokens migrate saves per call: one transaction
// or file rewrite on a store that saves in batches (zohoauth.BatchSaver).
const defaultBatch = 1000

func (a *app) cmdMigrate(ctx context.Context, args []string) error {
	fs := a.flags("migrate")
	from := fs.String("from", "", "store URL to copy from (required)")
	to := fs.String("to", "", "store URL to copy to (required)")
	deleteSource := fs.Bool("delete-source", false, "delete the source's tokens after a complete, verified copy")
	batch := fs.Int("batch", defaultBatch, "tokens per save")
	args, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("migrate", args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usageErrorf("migrate needs --from URL and --to URL")
	}
	if *batch < 1 {
		return usageErrorf("--batch must be at least 1")
	}
	fromLoc, err := storeurl.Parse(*from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	toLoc, err := storeurl.Parse(*to)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if sameStore(fromLoc, toLoc) {
		return usageErrorf("--from and --to name the same store")
	}
	src, err := a.openStore(ctx, *from)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	defer src.Close()
	dst, err := a.openStore(ctx, *to)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	defer dst.Close()

	m := migration{src: src, dst: dst, batch: *batch, progress: a.progress("migrating")}
	copied, err := m.copy(ctx)
	if err != nil {
		return fmt.Errorf("copied %d tokens, then: %w (the source is untouched; run migrate again to complete)", copied, err)
	}
	verified, err := m.verify(ctx)
	if err != nil {
		return fmt.Errorf("copied %d tokens, but the copy is not complete: %w (the source is untouched)", copied, err)
	}
	fmt.Fprintf(a.stderr, "copied %d tokens from %s to %s; verified %d of %d\n",
		copied, fromLoc, toLoc, verified, len(m.tokens))
	if !*deleteSource {
		return nil
	}
	if err := m.deleteSource(ctx); err != nil {
		return fmt.Errorf("the copy is complete, but the source was not deleted: %w", err)
	}
	fmt.Fprintf(a.stderr, "deleted %d tokens from %s\n", len(m.tokens), fromLoc)
	return nil
}

// migration copies every token of src into dst, keeping the ids, so that a
// second run after a failure updates what the first copied and completes.
type migration struct {
	src, dst zohoauth.Store
	batch    int
	progress func(done, total int)
	tokens   []*zohoauth.Token // the source's tokens, as read
}

func (m *migration) copy(ctx context.Context) (int, error) {
	var err error
	if m.tokens, err = m.src.Tokens(ctx); err != nil {
		return 0, fmt.Errorf("reading the source: %w", err)
	}
	total := len(m.tokens)
	m.progress(0, total)
	buf := make([]*zohoauth.Token, 0, m.batch)
	for done := 0; done < total; {
		n := min(m.batch, total-done)
		buf = buf[:0]
		for _, t := range m.tokens[done : done+n] {
			buf = append(buf, t.Clone()) // SaveTokens updates what it is given
		}
		if err := zohoauth.SaveAll(ctx, m.dst, buf); err != nil {
			return done, fmt.Errorf("saving tokens %s to %s: %w", m.tokens[done].ID, m.tokens[done+n-1].ID, err)
		}
		done += n
		m.progress(done, total)
	}
	return total, nil
}

// verify checks that dst holds every source token, field by field, and
// returns how many it checked.
func (m *migration) verify(ctx context.Context) (int, error) {
	all, err := m.dst.Tokens(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading the target: %w", err)
	}
	byID := make(map[string]*zohoauth.Token, len(all))
	for _, t := range all {
		byID[t.ID] = t
	}
	var missing, differ []string
	for _, t := range m.tokens {
		got, ok := byID[t.ID]
		switch {
		case !ok:
			missing = append(missing, t.ID)
		case !sameToken(t, got):
			differ = append(differ, t.ID)
		}
	}
	if len(missing) > 0 || len(differ) > 0 {
		return 0, fmt.Errorf("the target holds %d of %d source tokens (missing ids %s; different ids %s)",
			len(m.tokens)-len(missing), len(m.tokens), idList(missing), idList(differ))
	}
	return len(m.tokens), nil
}

// deleteSource deletes the source's tokens if the source still holds exactly
// the tokens that were copied.
func (m *migration) deleteSource(ctx context.Context) error {
	now, err := m.src.Tokens(ctx)
	if err != nil {
		return err
	}
	same := len(now) == len(m.tokens)
	for i := 0; same && i < len(now); i++ {
		same = now[i].ID == m.tokens[i].ID && sameToken(now[i], m.tokens[i])
	}
	if !same {
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

func sameToken(a, b *zohoauth.Token) bool {
	x, y := *a, *b
	if !x.Expiry.Equal(y.Expiry) {
		return false
	}
	x.Expiry, y.Expiry = time.Time{}, time.Time{}
	return x == y
}

func idList(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	if len(ids) > 10 {
		return strings.Join(ids[:10], ", ") + fmt.Sprintf(" and %d more", len(ids)-10)
	}
	return strings.Join(ids, ", ")
}

// progress returns a function that draws a progress bar on stderr when it is
// a terminal, and does nothing otherwise.
func (a *app) progress(label string) func(done, total int) {
	if !a.isTerminal(a.stderr) {
		return func(int, int) {}
	}
	return func(done, total int) { drawBar(a.stderr, label, done, total) }
}

// drawBar draws "\rlabel [#####-----] done/total pct%", and a newline when
// done reaches total.
func drawBar(w io.Writer, label string, done, total int) {
	const width = 30
	pct := 100
	if total > 0 {
		pct = done * 100 / total
	}
	fill := pct * width / 100
	fmt.Fprintf(w, "\r%s [%s%s] %d/%d %3d%%", label, strings.Repeat("#", fill), strings.Repeat("-", width-fill), done, total, pct)
	if done >= total {
		fmt.Fprintln(w)
	}
}
