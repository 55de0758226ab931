package auth

// WaitIdle waits until no renewal or resolution of any token runs.
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
		var r *resolver
		for _, v := range a.resolving {
			r = v
			break
		}
		a.mu.Unlock()
		switch {
		case f != nil:
			<-f.done
		case r != nil:
			<-r.done
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
