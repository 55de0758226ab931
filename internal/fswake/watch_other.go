//go:build !linux

package fswake

// Watch reports ErrUnsupported: waiters poll.
func Watch(dir string, match func(name string) bool) (wake <-chan struct{}, stop func(), err error) {
	return nil, nil, ErrUnsupported
}
