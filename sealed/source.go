package sealed

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
)

// EnvKeyset is the environment variable that holds a keyset (Tink's JSON
// keyset, as is or base64-encoded) when no keyset file is given.
const EnvKeyset = "ZOHOAUTH_KEYSET"

// A Source is where a Keyring reads its keyset: a file, an environment
// variable, or a fixed keyset. It is read at start, before each write (so a
// writer uses the primary key of the current keyset), and again when a
// stored value names a key the keyring does not hold.
type Source interface {
	// ReadKeyset returns the keyset in Tink's JSON format.
	ReadKeyset(ctx context.Context) ([]byte, error)
	// String names the source for messages (a path or a variable name,
	// never key material).
	String() string
}

// File returns the source of a keyset file, which must not be readable or
// writable by other users than its owner (mode 0600 or stricter).
func File(path string) Source { return fileSource(path) }

type fileSource string

func (f fileSource) ReadKeyset(context.Context) ([]byte, error) { return readKeysetFile(string(f)) }
func (f fileSource) String() string                             { return "keyset file " + string(f) }

// Env returns the source of a keyset held in the environment variable name
// (such as EnvKeyset): Tink's JSON keyset, or its standard base64 encoding.
func Env(name string) Source { return envSource(name) }

type envSource string

func (e envSource) ReadKeyset(context.Context) ([]byte, error) {
	v := bytes.TrimSpace([]byte(os.Getenv(string(e))))
	if len(v) == 0 {
		return nil, &KeysetError{Reason: "environment variable " + string(e) + " is not set"}
	}
	if v[0] == '{' {
		return v, nil
	}
	out, err := base64.StdEncoding.DecodeString(string(v))
	if err != nil {
		return nil, &KeysetError{Reason: "environment variable " + string(e) + " holds neither a JSON keyset nor its base64"}
	}
	return out, nil
}

func (e envSource) String() string { return "environment variable " + string(e) }

// Static returns a source that always gives the keyset as it is now.
func Static(ks *Keyset) (Source, error) {
	data, err := ks.Marshal()
	if err != nil {
		return nil, err
	}
	return staticSource(data), nil
}

type staticSource []byte

func (s staticSource) ReadKeyset(context.Context) ([]byte, error) { return s, nil }
func (s staticSource) String() string                             { return "fixed keyset" }
