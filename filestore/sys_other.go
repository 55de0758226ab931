//go:build !unix

package filestore

import (
	"errors"
	"io/fs"
	"os"
	"sync/atomic"
)

// fileIdentity returns what tells one version of a file from another where
// there is no inode: its size and modification time.
func fileIdentity(fi fs.FileInfo) identity {
	return identity{exists: true, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

// mapCounter is not available on this system: every read checks the file.
func mapCounter(*os.File) (*atomic.Uint64, func() error, error) {
	return nil, nil, errors.ErrUnsupported
}

// keepOwner does nothing where files have no numeric owner.
func keepOwner(*os.File, fs.FileInfo) {}

// syncDir does nothing where a directory cannot be opened for syncing.
func syncDir(string) error { return nil }

// refused reports whether err is the system refusing a write for want of
// permission.
func refused(err error) bool { return errors.Is(err, fs.ErrPermission) }

// writeRefused reports false: the mode bits tell what there is to tell.
func writeRefused(string) bool { return false }
