package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"github.com/zohoauth/zohoauth/sqlstore"
)

// sqliteSuffixes are the suffixes of the files SQLite keeps beside a
// database.
var sqliteSuffixes = [...]string{"-wal", "-shm", "-journal"}

// prepareFile makes the database file at path ready for SQLite to open: it
// creates a missing one with mode 0600 whatever the umask, and takes the
// group's and others' permission bits away from an existing one and from its
// -wal, -shm and -journal files. SQLite gives the files it creates beside a
// database the database file's mode, so they are 0600 too. It creates no
// directory.
func prepareFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			break // another process created it meanwhile
		}
		if err != nil {
			return fmt.Errorf("create database file: %w", err)
		}
		// The umask may have taken away the owner's bits.
		err = f.Chmod(0o600)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("create database file: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("database file: %w", err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%w: %s is a %s", sqlstore.ErrNotAFile, path, kind(fi.Mode()))
	}
	if runtime.GOOS == "windows" {
		return nil // no group or other bits to take away
	}
	for _, p := range append([]string{path}, path+sqliteSuffixes[0], path+sqliteSuffixes[1], path+sqliteSuffixes[2]) {
		fi, err := os.Stat(p)
		if err != nil {
			continue // SQLite reports what it cannot open
		}
		if perm := fi.Mode().Perm(); fi.Mode().IsRegular() && perm&0o077 != 0 {
			if err := os.Chmod(p, perm&^0o077); err != nil {
				return fmt.Errorf("restrict the mode of %s: %w", p, err)
			}
		}
	}
	return nil
}

// kind names the type of a file that is not a regular file.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
