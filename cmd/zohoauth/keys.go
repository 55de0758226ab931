package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth/sealed"
)

// keysCmd is "zohoauth keys": the keyset of encryption at rest.
func (a *app) keysCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "keys create|rotate|promote|list|retire",
		Short: "manage the keyset that encrypts the store's secrets",
		Long: `A keyset file holds the keys that encrypt the store's secrets (mode 0600; never in the store).
A rotation is two steps: "keys rotate" stages a new key, which every process reads at its
next write or unknown key but nobody writes with yet; once every process has the new keyset,
"keys promote" makes it primary. Then "zohoauth rekey" moves the stored values to it, and
"keys retire ID" removes the old key, which it refuses while stored values still use it.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.commandHelp(c)
			return usageErrorf("keys needs a command: create, rotate, promote, list or retire")
		},
	}
	c.AddCommand(a.keysCreateCmd(), a.keysRotateCmd(), a.keysPromoteCmd(), a.keysListCmd(), a.keysRetireCmd())
	return c
}

func (a *app) keysCreateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "create [FILE]",
		Short: "create a keyset file (mode 0600) of one new key; never overwrites",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			path := a.keysetPath
			if len(args) == 1 {
				path = args[0]
			}
			if path == "" {
				return usageErrorf("keys create needs the FILE to create (or --keyset FILE)")
			}
			return a.keysCreate(path)
		},
	}
}

// keysCreate writes a new keyset to path, which must not exist: it is
// created with O_EXCL, so that two runs, or a typo naming a live keyset,
// never replace keys that values are encrypted under.
func (a *app) keysCreate(path string) error {
	ks, err := sealed.NewKeyset()
	if err != nil {
		return err
	}
	data, err := ks.Marshal()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return usageErrorf("%s exists: keys create never overwrites a keyset (values encrypted under its keys could no longer be read); use zohoauth keys rotate --keyset %s to add a key", path, path)
	}
	if err != nil {
		return fmt.Errorf("creating the keyset file: %w", err)
	}
	err = f.Chmod(0o600) // the umask may only have narrowed it; be explicit
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing the keyset file: %w", err)
	}
	id := ks.Primary()
	a.recordKey(path, id, func(m *keyMeta) { m.Created, m.Promoted = a.now(), a.now() })
	fmt.Fprintf(a.stderr, "created keyset %s with key %s (primary)\n", path, id)
	fmt.Fprintf(a.stderr, "use it with --keyset %s or %s=%s; keep a copy apart from the store's backups: without it the store cannot be read\n", path, envKeysetFile, path)
	return nil
}

func (a *app) keysRotateCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "rotate",
		Aliases: []string{"stage"},
		Short:   "stage a new key: every process can read with it, nobody writes with it yet",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.keysRotate()
		},
	}
}

func (a *app) keysRotate() error {
	path, err := a.keysetFilePath("keys rotate")
	if err != nil {
		return err
	}
	ks, err := sealed.ReadKeysetFile(path)
	if err != nil {
		return err
	}
	if staged := stagedKeys(ks); len(staged) > 0 {
		return usageErrorf("key %s is staged already: promote it first (zohoauth keys promote %s)", staged[0], staged[0])
	}
	id, err := ks.Stage()
	if err != nil {
		return err
	}
	if err := ks.WriteFile(path); err != nil {
		return err
	}
	a.recordKey(path, id, func(m *keyMeta) { m.Created = a.now() })
	fmt.Fprintf(a.stderr, "staged key %s in %s: it reads values but does not write them yet\n", id, path)
	fmt.Fprintf(a.stderr, "next, once every process has this keyset (a shared file: at once; %s: after a restart with the new value): zohoauth keys promote %s\n", envKeyset, id)
	return nil
}

func (a *app) keysPromoteCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "promote [ID]",
		Short: "make the staged key (or key ID) primary: new writes use it",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return a.keysPromote(args)
		},
	}
}

func (a *app) keysPromote(args []string) error {
	path, err := a.keysetFilePath("keys promote")
	if err != nil {
		return err
	}
	ks, err := sealed.ReadKeysetFile(path)
	if err != nil {
		return err
	}
	old := ks.Primary()
	var id sealed.KeyID
	if len(args) == 1 {
		if id, err = sealed.ParseKeyID(args[0]); err != nil {
			return usageErrorf("keys promote: %q is not a key id; zohoauth keys list shows them", args[0])
		}
	} else {
		staged := stagedKeys(ks)
		if len(staged) != 1 {
			return usageErrorf("keys promote: %d staged keys; name the key: zohoauth keys promote ID (zohoauth keys list shows them)", len(staged))
		}
		id = staged[0]
	}
	if id == old {
		fmt.Fprintf(a.stderr, "key %s is primary already\n", id)
		return nil
	}
	if err := ks.Promote(id); err != nil {
		return err
	}
	if err := ks.WriteFile(path); err != nil {
		return err
	}
	a.recordKey(path, id, func(m *keyMeta) { m.Promoted = a.now() })
	fmt.Fprintf(a.stderr, "key %s is primary in %s: new values are encrypted under it\n", id, path)
	fmt.Fprintf(a.stderr, "next: zohoauth rekey --keyset %s, then zohoauth keys retire %s --keyset %s\n", path, old, path)
	return nil
}

func (a *app) keysListCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: "list the keys: id, state, dates, and the store's values under each when --store is given",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			a.jsonErrors = asJSON
			withStore := c.Flags().Changed("store") || a.getenv(envStore) != ""
			return a.keysList(c.Context(), withStore, asJSON)
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// keyView is one key of keys list.
type keyView struct {
	ID       string     `json:"id"`
	State    string     `json:"state"` // primary, staged or old
	Created  *time.Time `json:"created,omitempty"`
	Promoted *time.Time `json:"promoted,omitempty"`
	Values   *int       `json:"values,omitempty"` // with a store
}

func (a *app) keysList(ctx context.Context, withStore, asJSON bool) error {
	ks, err := a.globalKeyset()
	if err != nil {
		return err
	}
	if ks.src == nil {
		return usageErrorf("keys list needs a keyset: --keyset FILE, %s or %s", envKeysetFile, envKeyset)
	}
	raw, err := ks.src.ReadKeyset(ctx)
	if err != nil {
		return err
	}
	set, err := sealed.ParseKeyset(raw)
	if err != nil {
		return err
	}
	var usage *sealed.Usage
	if withStore {
		st, closer, err := a.openSealedStore(ctx, a.storeURL, false, ks)
		if err != nil {
			return err
		}
		defer closer.Close()
		u, err := st.Usage(ctx, sealed.DefaultPageSize)
		if err != nil {
			return err
		}
		usage = &u
	}
	meta := map[string]keyMeta{}
	if a.keysetPath != "" {
		meta = readKeyMeta(a.keysetPath).Keys
	}
	staged := map[sealed.KeyID]bool{}
	for _, id := range stagedKeys(set) {
		staged[id] = true
	}
	var views []keyView
	for _, k := range set.Keys() {
		v := keyView{ID: k.ID.String(), State: "old"}
		switch {
		case k.Primary:
			v.State = "primary"
		case staged[k.ID]:
			v.State = "staged"
		}
		if m, ok := meta[v.ID]; ok {
			if !m.Created.IsZero() {
				v.Created = &m.Created
			}
			if !m.Promoted.IsZero() {
				v.Promoted = &m.Promoted
			}
		}
		if usage != nil {
			n := usage.Keys[k.ID]
			v.Values = &n
		}
		views = append(views, v)
	}
	if asJSON {
		out := struct {
			Source string    `json:"source"`
			Keys   []keyView `json:"keys"`
			Tokens *int      `json:"tokens,omitempty"`
			Plain  *int      `json:"plain_values,omitempty"`
			Other  *int      `json:"values_under_unknown_keys,omitempty"`
		}{Source: ks.src.String(), Keys: views}
		if usage != nil {
			other := unknownKeyValues(*usage, set)
			out.Tokens, out.Plain, out.Other = &usage.Tokens, &usage.Plain, &other
		}
		return writeJSON(a.stdout, out)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	head := "ID\tSTATE\tCREATED\tPROMOTED"
	if usage != nil {
		head += "\tVALUES"
	}
	fmt.Fprintln(tw, head)
	for _, v := range views {
		line := v.ID + "\t" + v.State + "\t" + shortTime(v.Created) + "\t" + shortTime(v.Promoted)
		if v.Values != nil {
			line += fmt.Sprintf("\t%d", *v.Values)
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if usage != nil {
		fmt.Fprintf(a.stderr, "%s in %s: %s plain", plural(usage.Tokens, "token"), storeName(a.storeURL), plural(usage.Plain, "value"))
		if n := unknownKeyValues(*usage, set); n > 0 {
			fmt.Fprintf(a.stderr, ", %s under keys this keyset does not hold", plural(n, "value"))
		}
		fmt.Fprintln(a.stderr)
	}
	return nil
}

// unknownKeyValues counts the values of u under keys that set lacks.
func unknownKeyValues(u sealed.Usage, set *sealed.Keyset) int {
	n := 0
	for id, c := range u.Keys {
		if !set.Has(id) {
			n += c
		}
	}
	return n
}

func shortTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func (a *app) keysRetireCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "retire ID",
		Short: "remove key ID from the keyset; refused while the store's values use it",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return a.keysRetire(c.Context(), args[0])
		},
	}
}

func (a *app) keysRetire(ctx context.Context, arg string) error {
	path, err := a.keysetFilePath("keys retire")
	if err != nil {
		return err
	}
	id, err := sealed.ParseKeyID(arg)
	if err != nil {
		return usageErrorf("keys retire: %q is not a key id; zohoauth keys list shows them", arg)
	}
	ks, err := sealed.ReadKeysetFile(path)
	if err != nil {
		return err
	}
	choice, err := a.globalKeyset()
	if err != nil {
		return err
	}
	st, closer, err := a.openSealedStore(ctx, a.storeURL, false, choice)
	if err != nil {
		return err
	}
	defer closer.Close()
	if err := sealed.Retire(ctx, st, ks, id); err != nil {
		return err
	}
	if err := ks.WriteFile(path); err != nil {
		return err
	}
	a.recordKey(path, id, nil)
	fmt.Fprintf(a.stderr, "retired key %s from %s: no value of %s uses it (check every other store that shares this keyset before you retire a key: values under it can no longer be read)\n", id, path, storeName(a.storeURL))
	return nil
}

// stagedKeys returns the keys added after the primary key and not promoted:
// a keyset lists its keys oldest first, and keys rotate appends.
func stagedKeys(ks *sealed.Keyset) []sealed.KeyID {
	var out []sealed.KeyID
	after := false
	for _, k := range ks.Keys() {
		switch {
		case k.Primary:
			after = true
		case after:
			out = append(out, k.ID)
		}
	}
	return out
}

// storeName returns the store URL with its password redacted.
func storeName(raw string) string { return redactDefault(raw) }

func (a *app) now() time.Time { return a.clock.Now().UTC() }

// Key dates. A Tink keyset holds no dates, so the keys commands keep them
// beside the keyset, in FILE.meta (JSON, no key material): when each key
// was created and promoted. It is informative only: a missing or damaged
// file shows no dates and changes nothing else.

type keyMetaFile struct {
	Version int                `json:"version"`
	Keys    map[string]keyMeta `json:"keys"`
}

type keyMeta struct {
	Created  time.Time `json:"created,omitzero"`
	Promoted time.Time `json:"promoted,omitzero"`
}

func keyMetaPath(keyset string) string { return keyset + ".meta" }

func readKeyMeta(keyset string) keyMetaFile {
	m := keyMetaFile{Version: 1, Keys: map[string]keyMeta{}}
	data, err := os.ReadFile(keyMetaPath(keyset))
	if err != nil {
		return m
	}
	var got keyMetaFile
	if json.Unmarshal(data, &got) == nil && got.Keys != nil {
		m.Keys = got.Keys
	}
	return m
}

// recordKey updates the dates of key id beside the keyset file (nil edit:
// forgets the key). A failure is reported as a note: the keyset is what
// counts, and it is written already.
func (a *app) recordKey(keyset string, id sealed.KeyID, edit func(*keyMeta)) {
	m := readKeyMeta(keyset)
	if edit == nil {
		delete(m.Keys, id.String())
	} else {
		k := m.Keys[id.String()]
		edit(&k)
		m.Keys[id.String()] = k
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err == nil {
		err = writeFileAtomic(keyMetaPath(keyset), append(data, '\n'))
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "zohoauth: note: the dates of the keys were not recorded in %s: %v\n", keyMetaPath(keyset), err)
	}
}

// writeFileAtomic writes data to path with mode 0600 through a temporary
// file renamed over it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
