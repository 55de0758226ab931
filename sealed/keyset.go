package sealed

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/tink-crypto/tink-go/v2/daead"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	tinkpb "github.com/tink-crypto/tink-go/v2/proto/tink_go_proto"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// aesSIVTypeURL is the type of the only keys a keyset of this package holds.
const aesSIVTypeURL = "type.googleapis.com/google.crypto.tink.AesSivKey"

// KeyID is the id of one key of a keyset: Tink's 32-bit key id, which every
// value encrypted under the key carries in its prefix.
type KeyID uint32

// String returns the id in decimal, as Tink's keyset JSON writes it.
func (id KeyID) String() string { return strconv.FormatUint(uint64(id), 10) }

// ParseKeyID parses a decimal key id, as KeyID.String writes it.
func ParseKeyID(s string) (KeyID, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("sealed: key id %q is not a 32-bit decimal number", s)
	}
	return KeyID(n), nil
}

// KeyInfo describes one key of a keyset, without its material.
type KeyInfo struct {
	ID      KeyID
	Primary bool // new values are encrypted under the primary key
}

// Keyset is an editable set of AES-SIV keys (a Tink keyset) with one primary
// key. It is what a keyset file or variable holds, in Tink's JSON keyset
// format. A Keyset is not safe for concurrent edits; the live view a store
// uses is a Keyring.
type Keyset struct {
	h *keyset.Handle
}

// NewKeyset returns a keyset of one new random AES-256-SIV key, primary.
func NewKeyset() (*Keyset, error) {
	h, err := keyset.NewHandle(daead.AESSIVKeyTemplate())
	if err != nil {
		return nil, fmt.Errorf("sealed: create keyset: %w", err)
	}
	return &Keyset{h: h}, nil
}

// ParseKeyset reads a keyset in Tink's JSON format. It fails with an error
// matching ErrKeyset unless every key is an enabled AES-SIV key with Tink's
// key-id prefix and one of them is primary: a keyset this package did not
// make is refused rather than half used.
func ParseKeyset(data []byte) (*Keyset, error) {
	h, err := insecurecleartextkeyset.Read(keyset.NewJSONReader(bytes.NewReader(data)))
	if err != nil {
		return nil, &KeysetError{Reason: "not a Tink JSON keyset", Err: err}
	}
	ks := &Keyset{h: h}
	if err := ks.check(); err != nil {
		return nil, err
	}
	return ks, nil
}

func (ks *Keyset) check() error {
	info := ks.h.KeysetInfo()
	primary := false
	for _, k := range info.GetKeyInfo() {
		id := KeyID(k.GetKeyId())
		switch {
		case k.GetTypeUrl() != aesSIVTypeURL:
			return &KeysetError{Reason: "key " + id.String() + " is not an AES-SIV key (" + k.GetTypeUrl() + ")"}
		case k.GetOutputPrefixType() != tinkpb.OutputPrefixType_TINK:
			return &KeysetError{Reason: "key " + id.String() + " does not prefix its ciphertexts with its key id"}
		case k.GetStatus() != tinkpb.KeyStatusType_ENABLED:
			return &KeysetError{Reason: "key " + id.String() + " is not enabled"}
		}
		if k.GetKeyId() == info.GetPrimaryKeyId() {
			primary = true
		}
	}
	if !primary {
		return &KeysetError{Reason: "no primary key"}
	}
	return nil
}

// Marshal returns the keyset in Tink's JSON format, key material included:
// what a keyset file or variable holds.
func (ks *Keyset) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	if err := insecurecleartextkeyset.Write(ks.h, keyset.NewJSONWriter(&buf)); err != nil {
		return nil, fmt.Errorf("sealed: write keyset: %w", err)
	}
	return buf.Bytes(), nil
}

// Primary returns the id of the primary key.
func (ks *Keyset) Primary() KeyID { return KeyID(ks.h.KeysetInfo().GetPrimaryKeyId()) }

// Keys returns the keys in the keyset's order (oldest first).
func (ks *Keyset) Keys() []KeyInfo {
	info := ks.h.KeysetInfo()
	out := make([]KeyInfo, 0, len(info.GetKeyInfo()))
	for _, k := range info.GetKeyInfo() {
		out = append(out, KeyInfo{ID: KeyID(k.GetKeyId()), Primary: k.GetKeyId() == info.GetPrimaryKeyId()})
	}
	return out
}

// Has reports whether the keyset holds the key id.
func (ks *Keyset) Has(id KeyID) bool {
	return slices.ContainsFunc(ks.Keys(), func(k KeyInfo) bool { return k.ID == id })
}

// Stage adds a new random key that every reader knows but nobody writes with
// yet (not primary), and returns its id. Once every process has the staged
// key, Promote makes it primary: no process then meets a value under a key
// it cannot have.
func (ks *Keyset) Stage() (KeyID, error) {
	m := keyset.NewManagerFromHandle(ks.h)
	id, err := m.Add(daead.AESSIVKeyTemplate())
	if err != nil {
		return 0, fmt.Errorf("sealed: add key: %w", err)
	}
	return KeyID(id), ks.replace(m)
}

// Promote makes the key id primary: new values are encrypted under it.
func (ks *Keyset) Promote(id KeyID) error {
	if !ks.Has(id) {
		return &KeyError{KeyID: id, Err: ErrUnknownKey}
	}
	m := keyset.NewManagerFromHandle(ks.h)
	if err := m.SetPrimary(uint32(id)); err != nil {
		return fmt.Errorf("sealed: promote key %s: %w", id, err)
	}
	return ks.replace(m)
}

// Remove deletes the key id from the keyset; values under it can no longer
// be read. It refuses the primary key. Retire checks that no stored value
// uses the key before it removes it.
func (ks *Keyset) Remove(id KeyID) error {
	if !ks.Has(id) {
		return &KeyError{KeyID: id, Err: ErrUnknownKey}
	}
	if id == ks.Primary() {
		return &KeyError{KeyID: id, Err: ErrPrimaryKey}
	}
	m := keyset.NewManagerFromHandle(ks.h)
	if err := m.Delete(uint32(id)); err != nil {
		return fmt.Errorf("sealed: remove key %s: %w", id, err)
	}
	return ks.replace(m)
}

func (ks *Keyset) replace(m *keyset.Manager) error {
	h, err := m.Handle()
	if err != nil {
		return fmt.Errorf("sealed: keyset: %w", err)
	}
	ks.h = h
	return nil
}

// primitives returns one deterministic AEAD per key, each encrypting under
// its own key only.
func (ks *Keyset) primitives() (map[KeyID]tink.DeterministicAEAD, error) {
	out := map[KeyID]tink.DeterministicAEAD{}
	for _, k := range ks.Keys() {
		m := keyset.NewManagerFromHandle(ks.h)
		if err := m.SetPrimary(uint32(k.ID)); err != nil {
			return nil, fmt.Errorf("sealed: key %s: %w", k.ID, err)
		}
		for _, other := range ks.Keys() {
			if other.ID != k.ID {
				if err := m.Delete(uint32(other.ID)); err != nil {
					return nil, fmt.Errorf("sealed: key %s: %w", k.ID, err)
				}
			}
		}
		h, err := m.Handle()
		if err != nil {
			return nil, fmt.Errorf("sealed: key %s: %w", k.ID, err)
		}
		p, err := daead.New(h)
		if err != nil {
			return nil, fmt.Errorf("sealed: key %s: %w", k.ID, err)
		}
		out[k.ID] = p
	}
	return out, nil
}

// ReadKeysetFile reads a keyset file. It refuses a file that users other
// than its owner may read or write (mode bits 077), with an error matching
// ErrKeyset.
func ReadKeysetFile(path string) (*Keyset, error) {
	data, err := readKeysetFile(path)
	if err != nil {
		return nil, err
	}
	return ParseKeyset(data)
}

func readKeysetFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &KeysetError{Reason: "cannot open the keyset file", Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &KeysetError{Reason: "cannot stat the keyset file", Err: err}
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, &KeysetError{Reason: fmt.Sprintf("keyset file %s has mode %04o: other users may read it; chmod 600 it", path, fi.Mode().Perm())}
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, &KeysetError{Reason: "cannot read the keyset file", Err: err}
	}
	return buf.Bytes(), nil
}

// WriteFile writes the keyset to path with mode 0600, atomically: a new
// file in the same directory, synced, then renamed over path. A reader
// sees the old keyset or the new one, never a part.
func (ks *Keyset) WriteFile(path string) error {
	data, err := ks.Marshal()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*") // mode 0600
	if err != nil {
		return fmt.Errorf("sealed: write keyset file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("sealed: write keyset file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("sealed: write keyset file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sealed: write keyset file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sealed: write keyset file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("sealed: write keyset file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
