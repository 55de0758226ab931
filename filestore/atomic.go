package filestore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tempPattern names the temporary files of writeAtomic: hidden, beside the
// token file, and recognisable so that those of a killed writer can be
// removed (cleanTemps).
func tempPattern(path string) string { return "." + filepath.Base(path) + ".tmp-*" }

// writeAtomic replaces the file at path with data so that a reader, or a
// crash at any moment, sees either the old file whole or the new one whole:
// it writes a temporary file in the same directory, syncs it, renames it over
// path and syncs the directory. The new file gets mode perm, less the bits
// the file it replaces lacks (a write never widens the mode a user set),
// and, when it replaces a file of another owner, that owner (best effort,
// see keepOwner). It returns the identity of the file it wrote.
//
// The new file's modification time is set racyWindow in the past (see
// isRacy): no one can change the file before it is renamed into place, and
// a change after that, made now or later, stamps a time that differs from
// it. The version written can so be trusted by its identity at once; a
// program that rewrites it in place right after is still noticed.
func writeAtomic(path string, data []byte, perm fs.FileMode) (id identity, err error) {
	return writeFile(path, data, perm, true)
}

// writeFile is writeAtomic, which syncs the directory after the rename only
// when durable is set: without it, a crash may bring back the old file
// whole instead of the new one, never a mix.
func writeFile(path string, data []byte, perm fs.FileMode, durable bool) (id identity, err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return identity{}, err
	}
	renamed := false
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if !renamed {
			_ = os.Remove(f.Name())
		}
	}()
	old, serr := os.Stat(path)
	if serr == nil {
		perm &= old.Mode().Perm()
	}
	if perm != 0o600 { // CreateTemp makes the file 0600
		if err := f.Chmod(perm); err != nil {
			return identity{}, err
		}
	}
	if serr == nil {
		keepOwner(f, old)
	}
	if _, err := f.Write(data); err != nil {
		return identity{}, err
	}
	if err := os.Chtimes(f.Name(), time.Time{}, time.Now().Add(-racyWindow)); err != nil {
		return identity{}, err
	}
	if err := f.Sync(); err != nil {
		return identity{}, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return identity{}, err
	}
	renamed = true
	fi, err := f.Stat() // the renamed file, through its descriptor
	if err != nil {
		return identity{}, err
	}
	id = fileIdentity(fi)
	if !durable {
		return id, nil
	}
	return id, syncDir(dir)
}

// cleanTemps removes the temporary files that writers killed between
// CreateTemp and Rename left beside path. The caller holds the file's lock,
// so no live writer owns one of them.
func cleanTemps(path string) error {
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	prefix := strings.TrimSuffix(tempPattern(path), "*")
	var errs []error
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
