package auth

import "time"

// WaitIdle waits until no renewal or resolution of any token runs. A
// resolution counts from the moment its work starts (runResolve holds
// a.mu), so a caller that left before its shared resolution even started
// is not waited for.
func (a *Authenticator) WaitIdle() {
	for {
		a.mu.Lock()
		var f *flight
		for _, e := range a.entries {
			e.mu.Lock()
			if e.flight != nil {
				f = e.flight
			}
			e.mu.Unlock()
			if f != nil {
				break
			}
		}
		resolving := a.running > 0
		a.mu.Unlock()
		switch {
		case f != nil:
			<-f.done
		case resolving:
			time.Sleep(time.Millisecond) // a resolution has no channel to wait on
		default:
			return
		}
	}
}

// FlushEvents waits until the events emitted so far were given to the hook.
func (a *Authenticator) FlushEvents() {
	if a.events != nil {
		a.events.flush()
	}
}
