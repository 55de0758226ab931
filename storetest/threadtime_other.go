//go:build !unix

package storetest

import "time"

// ThreadTime returns the CPU time the calling OS thread has used, and
// whether the system tells it: this system does not (see the Unix version).
func ThreadTime() (time.Duration, bool) { return 0, false }
