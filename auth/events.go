package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/bits"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zohoauth/zohoauth"
)

// EventKind names what happened to a token.
type EventKind uint8

// The kinds of Event. A failed renewal gives exactly one of
// EventReauthorize, EventThrottled and EventRefreshFailed.
const (
	// EventRefreshed: Zoho issued a new access token for a refresh token
	// and it was saved.
	EventRefreshed EventKind = iota + 1
	// EventRefreshFailed: a renewal failed for a reason other than the two
	// below (Zoho out of reach or answering 5xx, a store error, a lock
	// timeout, invalid_client). Err holds the error.
	EventRefreshFailed
	// EventReauthorize: the token cannot be renewed without a new login
	// (ErrReauthorize: Zoho answered invalid_code, or the access token
	// expired and there is no refresh token).
	EventReauthorize
	// EventRevoked: a refresh token (Refresh) was revoked at Zoho, by
	// Handle.Revoke, Authenticator.RevokeUser or RevokeClient, or because a
	// login replaced it.
	EventRevoked
	// EventSaved: a token was saved to the store.
	EventSaved
	// EventLockTakenOver: the store lock held around a renewal was taken
	// over by another owner (its lease ran out): the renewal does not save
	// over what the new holder may write.
	EventLockTakenOver
	// EventThrottled: Zoho answered "Access Denied" (too many access
	// tokens asked for one refresh token, or too many grant codes).
	EventThrottled
	// EventLogin: a login (Authenticator.Login, LoginToken, or the
	// exchange of a grant code) saved a new refresh token. Logins is how
	// many logins of this user and client this Authenticator has made.
	EventLogin
	// EventLoginReplaced: a login replaced the stored refresh token
	// OldRefresh of the same user and client. The old one is revoked at
	// Zoho once the new one is saved; Err is the revoke's error when that
	// failed (the login itself succeeded, and the old refresh token stays
	// live at Zoho, counting against its limit per user and client).
	EventLoginReplaced
	// EventLoginLimit warns that a login pushed the user's refresh tokens
	// for the client past Zoho's limit (MaxRefreshTokens): Zoho deleted the
	// oldest one, OldRefresh, which is still stored under OldTokenID, so
	// that token no longer refreshes.
	EventLoginLimit
	// EventPolicyApplied: a lifecycle policy (Options.Policies) acted on a
	// token. Policy names it (PolicySessionLifetime, PolicyIdleTimeout,
	// PolicyFailureDays, PolicyOrphan) and Action says what was done
	// (ActionExhausted, ActionRevoked, …); Err is the policy's error for
	// ActionRefused.
	EventPolicyApplied
	// EventRecordFailed: a lifecycle record was not written (the store
	// failed); what it recorded still happened. Err says why.
	EventRecordFailed
)

var eventNames = [...]string{
	EventRefreshed:     "refreshed",
	EventRefreshFailed: "refresh_failed",
	EventReauthorize:   "reauthorize",
	EventRevoked:       "revoked",
	EventSaved:         "saved",
	EventLockTakenOver: "lock_taken_over",
	EventThrottled:     "throttled",
	EventLogin:         "login",
	EventLoginReplaced: "login_replaced",
	EventLoginLimit:    "login_limit",
	EventPolicyApplied: "policy_applied",
	EventRecordFailed:  "record_failed",
}

// String returns the kind's name, such as "refreshed".
func (k EventKind) String() string {
	if int(k) < len(eventNames) && eventNames[k] != "" {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// MarshalText returns the kind's name.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Event is what happened to one token, given to Options.OnEvent. It holds
// no secret: tokens appear as fingerprints (zohoauth.Fingerprint), and
// errors are this package's, which hold none either.
type Event struct {
	Kind EventKind
	// Time is when it happened, on the Authenticator's clock.
	Time time.Time
	// TokenID is the store id of the token ("" before its first save).
	TokenID string
	// User is the user signature (email:zgid), when known.
	User     string
	ClientID string
	// Access and Refresh are fingerprints of the token's access and
	// refresh tokens.
	Access, Refresh string
	// OldRefresh is the fingerprint of the refresh token a login replaced
	// (EventLoginReplaced) or pushed out at Zoho (EventLoginLimit), and
	// OldTokenID the store id that holds it.
	OldRefresh, OldTokenID string
	// Logins is how many logins of User for ClientID this Authenticator
	// has made (EventLogin, EventLoginReplaced, EventLoginLimit).
	Logins int
	// Duration is how long the Zoho call took (EventRefreshed, the failure
	// kinds).
	Duration time.Duration
	// Policy and Action say which policy did what (EventPolicyApplied).
	Policy, Action string
	// Err is the failure, for the failure kinds and a failed revoke.
	Err error
}

// tokenEvent returns an event of kind about t.
func (a *Authenticator) tokenEvent(kind EventKind, t *zohoauth.Token) Event {
	ev := Event{Kind: kind, Time: a.clock.Now()}
	if t != nil {
		ev.TokenID, ev.User, ev.ClientID = t.ID, t.UserName, t.ClientID
		ev.Access, ev.Refresh = zohoauth.Fingerprint(t.AccessToken), zohoauth.Fingerprint(t.RefreshToken)
	}
	return ev
}

// attrs returns the event's fields as slog attributes, the zero ones left
// out.
func (ev Event) attrs() []slog.Attr {
	as := make([]slog.Attr, 0, 14)
	as = append(as, slog.String("kind", ev.Kind.String()), slog.Time("time", ev.Time))
	add := func(k, v string) {
		if v != "" {
			as = append(as, slog.String(k, v))
		}
	}
	add("id", ev.TokenID)
	add("user", ev.User)
	add("client_id", ev.ClientID)
	add("access", ev.Access)
	add("refresh", ev.Refresh)
	add("old_refresh", ev.OldRefresh)
	add("old_id", ev.OldTokenID)
	add("policy", ev.Policy)
	add("action", ev.Action)
	if ev.Logins != 0 {
		as = append(as, slog.Int("logins", ev.Logins))
	}
	if ev.Duration != 0 {
		as = append(as, slog.Duration("duration", ev.Duration))
	}
	if ev.Err != nil {
		as = append(as, slog.String("error", ev.Err.Error()))
	}
	return as
}

// LogValue makes slog print the event as a group of its non-zero fields.
func (ev Event) LogValue() slog.Value { return slog.GroupValue(ev.attrs()...) }

// String describes the event in one line, as key=value pairs.
func (ev Event) String() string {
	b := []byte("auth.Event{")
	for i, at := range ev.attrs() {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, at.Key...)
		b = append(b, '=')
		b = append(b, at.Value.String()...)
	}
	return string(append(b, '}'))
}

// Format makes %v, %+v and %#v print String, so that no verb prints the
// error's inner fields.
func (ev Event) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(ev.String())) }

// MarshalJSON encodes the event with its error as text.
func (ev Event) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, 12)
	for _, at := range ev.attrs() {
		m[at.Key] = at.Value.Any()
	}
	if ev.Duration != 0 {
		m["duration"] = ev.Duration.String()
	}
	return json.Marshal(m)
}

// DefaultEventQueue is the default of Options.EventQueue.
const DefaultEventQueue = 1024

// events delivers events to the hook on a goroutine of its own, in order,
// through a bounded queue: a renewal never waits for the hook. When the
// queue is full the event is dropped and counted (the hook is too slow for
// the rate of events); a hook that panics is logged and goes on receiving.
type events struct {
	hook    func(context.Context, Event)
	log     *slog.Logger
	onDrop  func(context.Context) // counts a dropped event in the metrics
	dropped atomic.Int64

	mu     sync.RWMutex // guards closed against sends on a closed q
	closed bool
	q      chan queued
	done   chan struct{}
}

type queued struct {
	ctx     context.Context
	ev      Event
	flushed chan struct{} // when set, no event: closed once the ones before it were delivered
}

func newEvents(hook func(context.Context, Event), size int, log *slog.Logger, onDrop func(context.Context)) *events {
	if size <= 0 {
		size = DefaultEventQueue
	}
	d := &events{hook: hook, log: log, onDrop: onDrop, q: make(chan queued, size), done: make(chan struct{})}
	go d.run()
	return d
}

// emit queues ev for the hook, with ctx's values (not its cancellation).
// It never blocks.
func (a *Authenticator) emit(ctx context.Context, ev Event) {
	d := a.events
	if d == nil {
		return
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return
	}
	select {
	case d.q <- queued{ctx: context.WithoutCancel(ctx), ev: ev}:
		return
	default:
	}
	n := d.dropped.Add(1)
	d.onDrop(ctx)
	if bits.OnesCount64(uint64(n)) == 1 { // the 1st, 2nd, 4th, 8th… drop
		d.log.Warn("zohoauth: event hook too slow: events dropped", "dropped", n, "kind", ev.Kind.String(), "id", ev.TokenID)
	}
}

func (d *events) run() {
	defer close(d.done)
	for q := range d.q {
		if q.flushed != nil {
			close(q.flushed)
			continue
		}
		d.deliver(q)
	}
}

// deliver calls the hook, recovering a panic.
func (d *events) deliver(q queued) {
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("zohoauth: event hook panicked", "kind", q.ev.Kind.String(), "id", q.ev.TokenID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	d.hook(q.ctx, q.ev)
}

// flush waits until the events queued so far have been delivered.
func (d *events) flush() {
	ch := make(chan struct{})
	d.mu.RLock()
	if d.closed {
		d.mu.RUnlock()
		<-d.done
		return
	}
	d.q <- queued{flushed: ch}
	d.mu.RUnlock()
	<-ch
}

// close stops taking events and waits until the hook has been given the
// queued ones.
func (d *events) close() {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.q)
	}
	d.mu.Unlock()
	<-d.done
}
