package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/sealed"
	"github.com/zohoauth/zohoauth/storekit"
	"github.com/zohoauth/zohoauth/storeurl"
)

// Environment variables of encryption at rest. envKeyset holds the keyset
// itself (Tink's JSON keyset, or its base64), as sealed.Env reads it;
// envKeysetFile holds the path of a keyset file, as --keyset does.
const (
	envKeyset     = sealed.EnvKeyset // "ZOHOAUTH_KEYSET"
	envKeysetFile = "ZOHOAUTH_KEYSET_FILE"
)

// noKeyset is the value of migrate's --from-keyset / --to-keyset that says
// the store is plain, whatever the global keyset.
const noKeyset = "none"

// keysetFlags registers the global flags of encryption at rest.
func (a *app) keysetFlags(fs *pflag.FlagSet) {
	fs.StringVar(&a.keysetPath, "keyset", a.getenv(envKeysetFile), "keyset `FILE` (mode 0600): encrypt the store's secrets at rest (env "+envKeysetFile+"; or the keyset itself in "+envKeyset+")")
	fs.StringVar(&a.keysetMode, "keyset-mode", "strict", "with a keyset, how plain values are treated, `MODE`: strict (refused), migrate (read; writes encrypt), unseal (read; writes are plain)")
	a.keysetFlag = fs.Lookup("keyset")
}

// keysetChoice is the keyset a store is opened with: none (src nil: the
// store must hold plain values only), or a source and a mode.
type keysetChoice struct {
	src  sealed.Source
	mode sealed.Mode
}

// globalKeyset returns the keyset of --keyset, ZOHOAUTH_KEYSET_FILE or
// ZOHOAUTH_KEYSET, with the mode of --keyset-mode. The flag wins over both
// variables; the two variables together are ambiguous and refused.
func (a *app) globalKeyset() (keysetChoice, error) {
	mode, err := parseKeysetMode(a.keysetMode)
	if err != nil {
		return keysetChoice{}, err
	}
	var src sealed.Source
	flagGiven := a.keysetFlag != nil && a.keysetFlag.Changed
	switch {
	case a.keysetPath != "" && !flagGiven && a.getenv(envKeyset) != "":
		return keysetChoice{}, usageErrorf("both %s and %s are set: keep one (or give --keyset FILE)", envKeysetFile, envKeyset)
	case a.keysetPath != "":
		src = sealed.File(a.keysetPath)
	case a.getenv(envKeyset) != "":
		src = envKeysetSource{name: envKeyset, getenv: a.getenv}
	}
	if src == nil && mode != sealed.Strict {
		return keysetChoice{}, usageErrorf("--keyset-mode %s needs a keyset (--keyset FILE, %s or %s)", a.keysetMode, envKeysetFile, envKeyset)
	}
	return keysetChoice{src: src, mode: mode}, nil
}

// envKeysetSource is sealed.Env over the run's environment (a.getenv): the
// keyset itself in a variable, as Tink's JSON keyset or its standard
// base64.
type envKeysetSource struct {
	name   string
	getenv func(string) string
}

// ReadKeyset returns the keyset the variable holds.
func (e envKeysetSource) ReadKeyset(context.Context) ([]byte, error) {
	v := bytes.TrimSpace([]byte(e.getenv(e.name)))
	if len(v) == 0 {
		return nil, &sealed.KeysetError{Reason: "environment variable " + e.name + " is not set"}
	}
	if v[0] == '{' {
		return v, nil
	}
	out, err := base64.StdEncoding.DecodeString(string(v))
	if err != nil {
		return nil, &sealed.KeysetError{Reason: "environment variable " + e.name + " holds neither a JSON keyset nor its base64 (it holds the keyset itself; a keyset file is named by --keyset or " + envKeysetFile + ")"}
	}
	return out, nil
}

// String names the variable, never its value.
func (e envKeysetSource) String() string { return "environment variable " + e.name }

// keysetFor returns the keyset of migrate's --from-keyset or --to-keyset:
// "" for the global one, "none" for a plain store, else a keyset file,
// read in the given mode.
func (a *app) keysetFor(value string, mode sealed.Mode) (keysetChoice, error) {
	switch value {
	case "":
		ks, err := a.globalKeyset()
		if err != nil {
			return ks, err
		}
		if ks.src != nil {
			ks.mode = mode
		}
		return ks, nil
	case noKeyset:
		return keysetChoice{}, nil
	}
	return keysetChoice{src: sealed.File(value), mode: mode}, nil
}

func parseKeysetMode(s string) (sealed.Mode, error) {
	switch strings.ToLower(s) {
	case "", "strict":
		return sealed.Strict, nil
	case "migrate":
		return sealed.Migrate, nil
	case "unseal":
		return sealed.Unseal, nil
	}
	return 0, usageErrorf("--keyset-mode %q: give strict, migrate or unseal", s)
}

// keysetFilePath returns the keyset file the keys commands edit: --keyset
// or ZOHOAUTH_KEYSET_FILE. A keyset held in ZOHOAUTH_KEYSET cannot be
// edited in place.
func (a *app) keysetFilePath(cmd string) (string, error) {
	if a.keysetPath != "" {
		return a.keysetPath, nil
	}
	if a.getenv(envKeyset) != "" {
		return "", usageErrorf("%s edits a keyset file: give --keyset FILE (%s holds a keyset, not a file: write it to a file with mode 0600, edit that, then set %s from the file)", cmd, envKeyset, envKeyset)
	}
	return "", usageErrorf("%s needs the keyset file: give --keyset FILE or %s", cmd, envKeysetFile)
}

// openSealed opens the store at raw (creating a missing store file only
// when create is set) through the keyset ks: encrypted with sealed.New
// when ks has a source, otherwise through sealed.RequirePlain, which
// refuses an encrypted value rather than hand a ciphertext to Zoho as a
// token. The keyset is read before the store is opened, so that a bad
// keyset creates no store.
func (a *app) openSealed(ctx context.Context, raw string, create bool, ks keysetChoice) (storeurl.Store, error) {
	var keys *sealed.Keyring
	if ks.src != nil {
		var err error
		if keys, err = sealed.NewKeyring(ctx, ks.src); err != nil {
			return nil, err
		}
	}
	s, err := a.openURL(ctx, raw, create)
	if err != nil {
		return nil, err
	}
	if keys == nil {
		return withClose(sealed.RequirePlain(s), s), nil
	}
	return withClose(sealed.New(s, keys, sealed.WithMode(ks.mode)), s), nil
}

// openSealedStore opens the store at raw through the keyset ks (which must
// have a source) and returns the encrypting store itself, for the
// commands that work on its stored values (rekey, keys retire, keys list),
// and the store to close.
func (a *app) openSealedStore(ctx context.Context, raw string, create bool, ks keysetChoice) (*sealed.Store, io.Closer, error) {
	if ks.src == nil {
		return nil, nil, usageErrorf("no keyset: give --keyset FILE, %s or %s", envKeysetFile, envKeyset)
	}
	keys, err := sealed.NewKeyring(ctx, ks.src)
	if err != nil {
		return nil, nil, err
	}
	s, err := a.openURL(ctx, raw, create)
	if err != nil {
		return nil, nil, err
	}
	st, _ := sealed.Of(sealed.New(s, keys, sealed.WithMode(ks.mode)))
	return st, s, nil
}

// withClose returns s, closed by c, with exactly the optional capabilities
// of s (zohoauth.Locker, CompareAndSwapper, BatchSaver, Pager,
// LifecycleKeeper): the authenticator and migrate discover them by type
// assertion.
func withClose(s zohoauth.Store, c io.Closer) storeurl.Store {
	return storekit.Compose(s, c, storekit.PartsOf(s)).(storeurl.Store) // c is not nil: a storeurl.Store
}

// keysetExitCode returns the exit code of an error of encryption at rest,
// or 0 when err is none: a keyset that cannot be used, a value under a key
// the keyset lacks, or a value in the wrong form for the mode is a store
// that cannot work as configured (2); an unknown key id on the command
// line is not found (3); a value that does not decrypt, a key still in
// use, or a rekey to run again is a failure (1).
func keysetExitCode(err error) int {
	var ke *sealed.KeyError
	switch {
	case errors.As(err, &ke) && errors.Is(ke.Err, sealed.ErrUnknownKey):
		return exitNotFound
	case errors.Is(err, sealed.ErrKeyset), errors.Is(err, sealed.ErrUnknownKey), errors.Is(err, sealed.ErrPlainValue),
		errors.Is(err, sealed.ErrSealedValue), errors.Is(err, sealed.ErrPrimaryKey):
		return exitUsage
	case errors.Is(err, sealed.ErrDecrypt), errors.Is(err, sealed.ErrFormat), errors.Is(err, sealed.ErrKeyInUse),
		errors.Is(err, sealed.ErrRekeyIncomplete):
		return exitFailure
	}
	return 0
}

// keysetMessage says in plain words what is wrong with a keyset or a
// stored value, and what to do; "" when err is not about encryption.
func keysetMessage(err error) string {
	var (
		kse *sealed.KeysetError
		ke  *sealed.KeyError
		ve  *sealed.ValueError
	)
	switch {
	case errors.As(err, &kse):
		msg := "cannot use the keyset: " + kse.Reason
		if kse.Err != nil {
			msg += ": " + kse.Err.Error()
		}
		return msg
	case errors.As(err, &ke):
		switch {
		case errors.Is(ke.Err, sealed.ErrKeyInUse):
			return fmt.Sprintf("key %s is still used by %d stored values: run zohoauth rekey first (the keyset is unchanged)", ke.KeyID, ke.Count)
		case errors.Is(ke.Err, sealed.ErrPrimaryKey):
			return fmt.Sprintf("key %s is the primary key: promote another key first (the keyset is unchanged)", ke.KeyID)
		case errors.Is(ke.Err, sealed.ErrUnknownKey):
			return fmt.Sprintf("no key %s in the keyset; zohoauth keys list shows the ids", ke.KeyID)
		}
	case errors.As(err, &ve):
		what := "the " + ve.Field
		if ve.TokenID != "" {
			what += " of token " + ve.TokenID
		}
		key := ""
		if ve.HasKey {
			key = " " + ve.KeyID.String()
		}
		switch {
		case errors.Is(ve.Err, sealed.ErrUnknownKey):
			return what + " is encrypted under key" + key + ", which the keyset does not hold: a wrong keyset, or a key retired too early; give the keyset this store was encrypted with (nothing was changed)"
		case errors.Is(ve.Err, sealed.ErrDecrypt):
			return what + " (key" + key + ") does not decrypt: it was changed, or moved from another column; restore it from a backup or log the user in again (nothing was changed)"
		case errors.Is(ve.Err, sealed.ErrFormat):
			return what + " looks encrypted but is malformed (truncated, or of an unknown format version); restore it from a backup (nothing was changed)"
		case errors.Is(ve.Err, sealed.ErrPlainValue):
			return what + " is stored plain, which --keyset-mode strict refuses: encrypt the store in place with zohoauth rekey --keyset-mode migrate, or copy it with zohoauth migrate --to-keyset FILE (nothing was changed)"
		case errors.Is(ve.Err, sealed.ErrSealedValue):
			return what + " is stored encrypted: give the store's keyset with --keyset FILE (or " + envKeysetFile + ", or " + envKeyset + ") (nothing was changed)"
		}
	case errors.Is(err, sealed.ErrRekeyIncomplete):
		return "some values are still under other keys (a process with an older keyset wrote meanwhile): run zohoauth rekey again"
	}
	return ""
}

// plural returns "1 token" or "n tokens".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
