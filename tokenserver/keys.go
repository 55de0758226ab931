package tokenserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/zohoauth/zohoauth"
)

// Errors of API keys. Each is matched with errors.Is.
var (
	// ErrBadKey reports a missing, malformed, unknown or wrong API key.
	ErrBadKey = errors.New("tokenserver: invalid API key")
	// ErrKeyRevoked reports an API key that was revoked.
	ErrKeyRevoked = errors.New("tokenserver: API key revoked")
	// ErrKeyExpired reports an API key past its expiry.
	ErrKeyExpired = errors.New("tokenserver: API key expired")
	// ErrUnknownKey reports a key id that the key file does not hold.
	ErrUnknownKey = errors.New("tokenserver: no API key with this id")
	// ErrKeyFileMode reports a key file that group or others may read or
	// write: whoever may write it may give themselves an admin key.
	ErrKeyFileMode = errors.New("tokenserver: key file must be mode 0600")
)

// keyPrefix starts every API key, so that a leaked key is recognisable by
// secret scanners.
const keyPrefix = "zak_"

// Key is the stored record of an API key. It holds the SHA-256 of the key,
// never the key. The key itself is a random 256-bit secret: for such a
// secret a fast hash is as safe as a slow one (there is nothing to guess),
// and a slow hash (bcrypt) would cost tens of milliseconds of CPU on every
// request, which would make every call slow and the service easy to overload.
type Key struct {
	// ID names the key; it is the public part of the key string.
	ID string `json:"id"`
	// Name says which calling service holds the key.
	Name string `json:"name"`
	// Hash is "sha256:" and the hex SHA-256 of the whole key string.
	Hash string `json:"hash"`
	Scope
	// Created is when the key was made.
	Created time.Time `json:"created"`
	// Expires, when not zero, is when the key stops working.
	Expires time.Time `json:"expires,omitzero"`
	// Revoked, when not zero, is when the key was revoked.
	Revoked time.Time `json:"revoked,omitzero"`
}

// Scope is what a key may do.
type Scope struct {
	// Users are the users the key may get and manage tokens of: an e-mail
	// (any of that user's tokens), Zoho's full "email:zgid", or "*" for
	// every user. Empty means none.
	Users []string `json:"users"`
	// Clients are the client ids the key may get and manage tokens of, or
	// "*" for every client. Empty means none.
	Clients []string `json:"clients"`
	// Secrets lets the key read refresh tokens, grant tokens and client
	// secrets. Without it, answers carry the access token and its expiry,
	// never those three.
	Secrets bool `json:"secrets,omitempty"`
	// Admin lets the key log in to the console, list and revoke API keys
	// and act on every token.
	Admin bool `json:"admin,omitempty"`
	// Metrics lets the key read /metrics (an admin key may too). A key
	// may have this right alone, with no user nor client: it then reads
	// the metrics and gets no token.
	Metrics bool `json:"metrics,omitempty"`
	// Rate is the key's limit in requests per second; 0 means the
	// service's default (Config.Rate).
	Rate float64 `json:"rate,omitempty"`
	// Burst is how many requests the key may make at once above Rate; 0
	// means the service's default (Config.Burst).
	Burst int `json:"burst,omitempty"`
}

// AllowsToken reports whether the scope covers the stored token t: its user
// and its client are both in scope. An admin scope covers every token.
func (s *Scope) AllowsToken(t *zohoauth.Token) bool {
	return s.Admin || (s.allowsUser(t.UserName) && s.allowsClient(t.ClientID))
}

// allowsUser reports whether userName ("email:zgid", or "" for a token
// without a user) is in scope. A token without a user is only in the scope
// of "*".
func (s *Scope) allowsUser(userName string) bool {
	if s.Admin || slices.Contains(s.Users, "*") {
		return true
	}
	if userName == "" {
		return false
	}
	email, _, _ := strings.Cut(userName, ":")
	for _, u := range s.Users {
		if u == userName || (!strings.Contains(u, ":") && strings.EqualFold(u, email)) {
			return true
		}
	}
	return false
}

// allowsClient reports whether the client id is in scope; a token without
// a client id is only in the scope of "*".
func (s *Scope) allowsClient(clientID string) bool {
	if s.Admin || slices.Contains(s.Clients, "*") {
		return true
	}
	return clientID != "" && slices.Contains(s.Clients, clientID)
}

// usable reports why the key may not be used at now, or nil.
func (k *Key) usable(now time.Time) error {
	switch {
	case !k.Revoked.IsZero():
		return ErrKeyRevoked
	case !k.Expires.IsZero() && !now.Before(k.Expires):
		return ErrKeyExpired
	}
	return nil
}

// keyFileData is the JSON form of a key file.
type keyFileData struct {
	Version int    `json:"version"`
	Keys    []*Key `json:"keys"`
}

// KeyFile is a JSON file of API key records (hashes, scopes), mode 0600,
// replaced atomically (write a temporary file, sync, rename) under an OS
// lock, so that the command and any number of running services may share
// it: a service re-reads the file when it changes, so a key revoked by the
// command stops working at the next request.
type KeyFile struct {
	path string

	mu      sync.Mutex
	stamp   fileStamp
	byID    map[string]*Key
	ordered []*Key
}

// fileStamp tells whether a file changed: a rename makes a new inode.
type fileStamp struct {
	info os.FileInfo
}

func (a fileStamp) same(b os.FileInfo) bool {
	return a.info != nil && b != nil && os.SameFile(a.info, b) && a.info.ModTime().Equal(b.ModTime()) && a.info.Size() == b.Size()
}

// OpenKeyFile returns the key file at path. A missing file is an empty key
// set (CreateKey creates it); an existing file must be mode 0600 and parse.
func OpenKeyFile(path string) (*KeyFile, error) {
	f := &KeyFile{path: path}
	if _, err := f.current(); err != nil {
		return nil, err
	}
	return f, nil
}

// Path returns the file's path.
func (f *KeyFile) Path() string { return f.path }

// current returns the keys by id, re-reading the file when it changed.
func (f *KeyFile) current() (map[string]*Key, error) {
	info, err := os.Stat(f.path)
	f.mu.Lock()
	defer f.mu.Unlock()
	if errors.Is(err, os.ErrNotExist) {
		f.stamp, f.byID, f.ordered = fileStamp{}, map[string]*Key{}, nil
		return f.byID, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tokenserver: key file: %w", err)
	}
	if f.byID != nil && f.stamp.same(info) {
		return f.byID, nil
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is %04o", ErrKeyFileMode, f.path, info.Mode().Perm())
	}
	data, err := readKeyFile(f.path)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*Key, len(data.Keys))
	for _, k := range data.Keys {
		byID[k.ID] = k
	}
	f.stamp, f.byID, f.ordered = fileStamp{info}, byID, data.Keys
	return byID, nil
}

func readKeyFile(path string) (*keyFileData, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &keyFileData{Version: 1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tokenserver: key file: %w", err)
	}
	var data keyFileData
	if err := json.Unmarshal(b, &data); err != nil {
		return nil, fmt.Errorf("tokenserver: key file %s: %w", path, err)
	}
	if data.Version != 1 {
		return nil, fmt.Errorf("tokenserver: key file %s: unknown version %d", path, data.Version)
	}
	return &data, nil
}

// update runs fn on the file's records under the OS lock and writes the
// result atomically.
func (f *KeyFile) update(fn func(*keyFileData) error) error {
	lock := flock.New(f.path + ".lock")
	if err := lock.Lock(); err != nil {
		return fmt.Errorf("tokenserver: key file lock: %w", err)
	}
	defer lock.Unlock()
	if info, err := os.Stat(f.path); err == nil && info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%w: %s is %04o", ErrKeyFileMode, f.path, info.Mode().Perm())
	}
	data, err := readKeyFile(f.path)
	if err != nil {
		return err
	}
	if err := fn(data); err != nil {
		return err
	}
	b, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".keys-*.tmp")
	if err != nil {
		return fmt.Errorf("tokenserver: key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("tokenserver: key file: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("tokenserver: key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("tokenserver: key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tokenserver: key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("tokenserver: key file: %w", err)
	}
	return nil
}

// KeySpec describes a key to create.
type KeySpec struct {
	// Name says which calling service will hold the key.
	Name string
	Scope
	// TTL, when positive, makes the key expire that long after now.
	TTL time.Duration
}

// CreateKey makes a new API key, stores its hash and returns the key string
// (shown once: only its hash is kept) and its record.
func (f *KeyFile) CreateKey(ctx context.Context, spec KeySpec, now time.Time) (string, *Key, error) {
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	var idb [6]byte
	var secret [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", nil, err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return "", nil, err
	}
	id := hex.EncodeToString(idb[:])
	key := keyPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	rec := &Key{ID: id, Name: spec.Name, Hash: hashKey(key), Scope: spec.Scope, Created: now.UTC()}
	if spec.TTL > 0 {
		rec.Expires = now.Add(spec.TTL).UTC()
	}
	err := f.update(func(d *keyFileData) error {
		d.Keys = append(d.Keys, rec)
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return key, rec, nil
}

// ListKeys returns the records of every key, revoked ones included, in the
// order they were made.
func (f *KeyFile) ListKeys(ctx context.Context) ([]*Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := f.current(); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*Key, len(f.ordered))
	for i, k := range f.ordered {
		c := *k
		out[i] = &c
	}
	return out, nil
}

// RevokeKey marks the key with the given id revoked at now. Revoking a
// revoked key keeps its first revocation time. An unknown id is
// ErrUnknownKey.
func (f *KeyFile) RevokeKey(ctx context.Context, id string, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return f.update(func(d *keyFileData) error {
		for _, k := range d.Keys {
			if k.ID == id {
				if k.Revoked.IsZero() {
					k.Revoked = now.UTC()
				}
				return nil
			}
		}
		return ErrUnknownKey
	})
}

// Authenticate returns a copy of the record of the key string, checked in
// constant time against its stored hash, or an error matching ErrBadKey,
// ErrKeyRevoked or ErrKeyExpired.
func (f *KeyFile) Authenticate(key string, now time.Time) (*Key, error) {
	id, ok := keyID(key)
	if !ok {
		return nil, ErrBadKey
	}
	byID, err := f.current()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	rec := byID[id]
	var c Key
	if rec != nil {
		c = *rec
	}
	f.mu.Unlock()
	want := c.Hash
	if rec == nil {
		want = hashKey("") // compare anyway: the same work for unknown ids
	}
	if subtle.ConstantTimeCompare([]byte(hashKey(key)), []byte(want)) != 1 || rec == nil {
		return nil, ErrBadKey
	}
	if err := c.usable(now); err != nil {
		return &c, err
	}
	return &c, nil
}

// keyID returns the id part of a key string.
func keyID(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, keyPrefix)
	if !ok {
		return "", false
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 12 || len(secret) != 43 {
		return "", false
	}
	return id, true
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// record returns a copy of the record of the key id, or ErrUnknownKey.
func (f *KeyFile) record(id string) (*Key, error) {
	byID, err := f.current()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k := byID[id]
	if k == nil {
		return nil, ErrUnknownKey
	}
	c := *k
	return &c, nil
}
