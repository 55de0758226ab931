package fswake

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Watch watches the directory dir for writes to its files whose names
// match (nil: every file), until stop is called. The channel receives
// (it holds one pending wake-up at most) after each such write (a
// truncation included; merely opening and closing a file is none), a
// rename onto or creation of such a file, or a lost event (a full queue),
// and is closed when the
// watch ends: stop, or dir removed or moved.
func Watch(dir string, match func(name string) bool) (wake <-chan struct{}, stop func(), err error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, nil, fmt.Errorf("fswake: inotify: %w", err)
	}
	// Not IN_CLOSE_WRITE: a waiter that opens a lease file read-write to
	// read it, and closes it, would wake the others, and they it, in turn.
	const mask = unix.IN_MODIFY | unix.IN_MOVED_TO | unix.IN_CREATE |
		unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR
	if _, err := unix.InotifyAddWatch(fd, dir, mask); err != nil {
		_ = unix.Close(fd)
		return nil, nil, fmt.Errorf("fswake: watch %s: %w", dir, err)
	}
	f := os.NewFile(uintptr(fd), "inotify") // non-blocking: read through the runtime's poller
	ch := make(chan struct{}, 1)
	go read(f, match, ch)
	var once sync.Once
	return ch, func() { once.Do(func() { _ = f.Close() }) }, nil
}

// read reads f's events until f is closed or the watch ends, and wakes ch.
func read(f *os.File, match func(string) bool, ch chan struct{}) {
	defer close(ch)
	buf := make([]byte, eventsBuf)
	for {
		n, err := f.Read(buf)
		if err != nil {
			return
		}
		woken := false
		for ev := buf[:n]; len(ev) >= unix.SizeofInotifyEvent; {
			mask := binary.NativeEndian.Uint32(ev[4:8])
			size := unix.SizeofInotifyEvent + int(binary.NativeEndian.Uint32(ev[12:16]))
			if size > len(ev) {
				break
			}
			name := string(bytes.TrimRight(ev[unix.SizeofInotifyEvent:size], "\x00"))
			ev = ev[size:]
			switch {
			case mask&(unix.IN_IGNORED|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_UNMOUNT) != 0:
				return // the watch is gone: no more wake-ups
			case mask&unix.IN_Q_OVERFLOW != 0, match == nil, match(name):
				woken = true
			}
		}
		if woken {
			select {
			case ch <- struct{}{}:
			default: // one pending wake-up is enough
			}
		}
	}
}
