//go:build unix

package filestore

import (
	"errors"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fileIdentity returns what tells one version of a file from another: its
// device and inode (a rename gives a new inode), size and modification time.
func fileIdentity(fi fs.FileInfo) identity {
	id := identity{exists: true, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev = uint64(st.Dev)
		id.ino = uint64(st.Ino)
	}
	return id
}

// mapCounter maps the first 8 bytes of the lock file f, growing it to 8
// bytes if needed, as a counter shared by every process that maps it. It
// returns the counter and a function that unmaps it.
func mapCounter(f *os.File) (*atomic.Uint64, func() error, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.Size() < counterSize {
		// Growing is safe without the lock: a file that is already 8 bytes
		// long is not changed by truncating it to 8 bytes.
		if err := f.Truncate(counterSize); err != nil {
			return nil, nil, err
		}
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, counterSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	// The mapping is page-aligned, so the counter is 8-byte aligned.
	return (*atomic.Uint64)(unsafe.Pointer(&mem[0])), func() error { return syscall.Munmap(mem) }, nil
}

// keepOwner gives the new file f the owner and group of the file it
// replaces, when they differ: a token file that root rewrote for a user
// stays the user's. It is best effort: only root may give a file away, and a
// failure leaves the new file owned by the writing process.
func keepOwner(f *os.File, old fs.FileInfo) {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok || (int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid()) {
		return
	}
	_ = f.Chown(int(st.Uid), int(st.Gid))
}

// syncDir flushes the directory entry of a rename to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// refused reports whether err is the system refusing a write: no
// permission, or a read-only file system.
func refused(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// writeRefused reports whether the system refuses this process writes to
// the existing file at path (access(2) with W_OK).
func writeRefused(path string) bool { return refused(unix.Access(path, unix.W_OK)) }
