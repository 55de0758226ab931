// Package fswake tells a process that waits for a lock held by another
// process that the files of that lock changed (inotify on Linux), so that
// it tries again at once instead of at its next poll. A wake-up is a hint:
// the waiter checks the lock after each one, and keeps a fallback poll,
// since a change can be missed (an overflowed queue reports one, a watch
// lost closes the channel) or never come (a holder killed before it
// released).
package fswake

import "errors"

// ErrUnsupported reports a system without a file watch: waiters poll.
var ErrUnsupported = errors.New("fswake: file watches are not supported on this system")

// eventsBuf is the size of a read of events: many at once.
const eventsBuf = 4096
