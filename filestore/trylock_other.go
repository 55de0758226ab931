//go:build !unix && !windows

package filestore

import (
	"errors"
	"os"
)

// tryLockFile is not available on this system: Lock fails.
func tryLockFile(*os.File) (bool, error) { return false, errors.ErrUnsupported }
