package main

import (
	"github.com/spf13/pflag"

	"github.com/zohoauth/zohoauth/sealed"
)

// migrateKeysets are the keysets of migrate's two stores.
type migrateKeysets struct {
	from, to string // "" (the global keyset), "none" (plain), or a keyset file
}

func (k *migrateKeysets) flags(fs *pflag.FlagSet) {
	fs.StringVar(&k.from, "from-keyset", "", "keyset `FILE` of the --from store, or none for a plain store (default: --keyset)")
	fs.StringVar(&k.to, "to-keyset", "", "keyset `FILE` of the --to store, or none for a plain store (default: --keyset)")
}

// migrateKeysets returns the keysets of the source and the target. The
// source is read in Migrate mode (plain and encrypted values alike, so
// that a store half encrypted in place moves whole); the target is
// written and verified in Strict mode: every value it holds is
// encrypted, or, without a keyset, every value is plain.
func (a *app) migrateKeysets(k migrateKeysets) (from, to keysetChoice, err error) {
	if from, err = a.keysetFor(k.from, sealed.Migrate); err != nil {
		return from, to, err
	}
	to, err = a.keysetFor(k.to, sealed.Strict)
	return from, to, err
}

// encryptionNote says how migrate changed the encryption of the tokens.
func encryptionNote(from, to keysetChoice) string {
	switch {
	case from.src == nil && to.src != nil:
		return "; the copy is encrypted with the " + to.src.String()
	case from.src != nil && to.src == nil:
		return "; the copy is plain (decrypted with the " + from.src.String() + ")"
	case from.src != nil:
		return "; the copy is encrypted with the " + to.src.String()
	}
	return ""
}
