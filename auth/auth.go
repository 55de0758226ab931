// Package auth keeps Zoho OAuth access tokens valid: given a partial token
// (a grant code, a refresh token, an access token, a store id or a user
// name) and a zohoauth.Store, an Authenticator returns a valid access token,
// following the decision rules of Zoho's SDKs (find the token in the store,
// exchange the grant, refresh when it expires, save) with their faults
// fixed:
//
//   - the token is refreshed ahead of expiry (Options.Margin, 5 minutes by
//     default), in the background while callers go on using the still
//     valid one;
//   - one refresh per token at a time in the process: callers wait for it,
//     and a caller that gives up does not cancel it for the others;
//   - the refreshed token is saved before it is handed out; a failed save is
//     an error; a stored refresh token is never replaced by an empty value;
//   - a rejected refresh token (invalid_code) gives ErrReauthorize and is not
//     retried in a loop (Zoho throttles): the failure is remembered;
//   - many users at once, each through its own Handle (no thread-local
//     switch_user);
//   - the valid-token path, run before every API call, takes no lock, reads
//     no clock and allocates nothing: timers mark a token stale and expired.
//
// Transport adds the token to HTTP requests to the token's own API domain
// (a redirect elsewhere is followed without it) and retries once after
// Zoho's 401 INVALID_TOKEN; TokenSource adapts a Handle to
// golang.org/x/oauth2.
//
// Because the valid-token path reads no clock, a token's phase changes when
// its timer fires. Timers run on the monotonic clock: on a machine that was
// suspended, they fire late by the time spent asleep, and a token may be
// handed out after its expiry until they do. Zoho then answers 401
// INVALID_TOKEN, which Transport turns into one renewal and a retry; code
// that sends requests itself can call Handle.Invalidate.
//
// # One refresh across processes and machines
//
// When the store is a zohoauth.Locker, a renewal of a stored token is a
// transaction against the store: take the token's lock
// (storekit.LockName), re-read the token, refresh only if that is still
// needed (another process may have done it: then its token is adopted
// without calling Zoho), save, release. Inside a process one goroutine per
// token goes to the lock; the others wait for its result. So a fleet of
// processes sharing a store makes one refresh per expiry, which Zoho's
// limit of 10 refreshes per refresh token per 10 minutes requires.
//
// The lock has a lease (Options.Lease): a holder that crashes blocks the
// others for at most that long. While its refresh is in flight the holder
// renews the lease every third of it, so a slow Zoho answer (the accounts
// client waits up to accounts.DefaultTimeout, 30 s, twice the default
// lease) keeps the lock. A holder can still lose the lock (a pause longer
// than the lease, a store out of reach): when the store is a
// zohoauth.CompareAndSwapper every save of a re-read token goes through
// SwapToken, guarded by the token that was read, and a save that finds a
// newer token (zohoauth.ErrStale) adopts it instead of overwriting it;
// without that capability a holder whose lease renewal reported
// zohoauth.ErrLockLost does not save. The lock is released on a context
// detached from the renewal's, so an ended caller cannot leave it held.
//
// A renewal waits at most Options.LockWait for the lock. Before failing
// with ErrLockTimeout it re-reads the store: the holder may have saved a
// valid token meanwhile, which is then returned.
//
// # Lifecycle records and policies
//
// When the store is a zohoauth.LifecycleKeeper, the Authenticator keeps
// each token's zohoauth.Lifecycle beside Zoho's columns: the login (a grant
// exchange, Login, LoginToken), each successful refresh (which clears the
// failures), each failed refresh (Failures, FailureDays counted at most
// once a UTC day, LastError a short class such as "http_503" or
// "invalid_code"), and the last use, written by a timer at most once per
// Options.UseInterval per token: the valid-token path only sets a flag. A
// record that cannot be written is logged and reported (EventRecordFailed);
// it never fails what it records.
//
// Options.Policies act on these records: a session lifetime refuses a token
// whose login is too old (no call to Zoho), a failure limit gives up a token
// after days of failed refreshes, and an idle timeout lets Sweep revoke at
// Zoho and delete tokens nobody uses. Sweep runs once per interval across a
// fleet, under the store's lock, a page at a time; Options.SweepInterval
// runs it in the background. Each action is an EventPolicyApplied.
package auth

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/storekit"
	"golang.org/x/sync/singleflight"
)

// Defaults of Options.
const (
	DefaultMargin           = 5 * time.Minute
	DefaultRefreshTimeout   = time.Minute
	DefaultCooldown         = 10 * time.Minute
	DefaultThrottleCooldown = time.Minute
	DefaultRetryBackoff     = time.Second
	// DefaultLease is the lease of the store lock taken around a renewal.
	// It need not cover a whole Zoho call (the holder renews it every
	// third of it while the call is in flight, and the accounts client
	// waits up to 30 s): it is how long a crashed holder blocks the others.
	DefaultLease = 15 * time.Second
	// DefaultLockWait is how long a renewal waits for the store lock. It
	// exceeds the accounts client's 30 s timeout, so that a waiter outlasts
	// a holder's slowest Zoho call, and stays below DefaultRefreshTimeout,
	// which bounds the whole renewal.
	DefaultLockWait = 40 * time.Second
)

// Options configure an Authenticator. The zero value gives the defaults.
type Options struct {
	// Accounts calls Zoho Accounts; nil means &accounts.Client{}. Its
	// Environment is the data center of tokens that name none (Zoho's
	// Initializer environment); its BaseURL points at an emulator. When
	// its Now is nil, the Authenticator's clock is used.
	Accounts *accounts.Client
	// Clock is the time source and the timers; nil means clock.System().
	Clock clock.Clock
	// Logger receives the Authenticator's records (never a secret); nil
	// discards them.
	Logger *slog.Logger
	// Margin is how long before expiry a token is renewed; 0 means
	// DefaultMargin (Zoho's SDKs wait until 5 s before expiry). A token is
	// never marked stale before half of its remaining lifetime has passed,
	// so a margin longer than the lifetime does not refresh in a loop.
	Margin time.Duration
	// RefreshTimeout bounds one renewal (store reads, Zoho call, save); it
	// runs on its own context, detached from the callers'. 0 means
	// DefaultRefreshTimeout.
	RefreshTimeout time.Duration
	// Cooldown is how long a permanent failure (invalid_code,
	// invalid_client) is remembered; 0 means DefaultCooldown.
	Cooldown time.Duration
	// ThrottleCooldown is how long Zoho's "Access Denied" is remembered;
	// 0 means DefaultThrottleCooldown.
	ThrottleCooldown time.Duration
	// RetryBackoff is how long a transient failure (5xx, timeout, a store
	// error) is remembered; 0 means DefaultRetryBackoff.
	RetryBackoff time.Duration
	// Lease is the lease of the store lock (zohoauth.Locker) held around a
	// renewal; 0 means DefaultLease. The holder renews it every Lease/3
	// while its renewal runs, so Lease/3 must exceed the store's lock
	// round trip; a crashed holder blocks the others for at most Lease.
	Lease time.Duration
	// LockWait bounds how long a renewal waits for the store lock held by
	// another process before it re-reads the store and, if no valid token
	// is there, fails with ErrLockTimeout; 0 means DefaultLockWait. The
	// whole renewal, the wait included, is bounded by RefreshTimeout.
	LockWait time.Duration
	// SkipUserLookup skips the two CRM calls that find the user signature
	// (email:zgid) of a new token (Zoho's find_user=False).
	SkipUserLookup bool
	// OnEvent, when set, is told what happens to tokens: refreshed,
	// refresh failed, needs re-authorization, revoked, saved, lock taken
	// over, throttled, logins (see EventKind). Events carry fingerprints,
	// never a secret. They are delivered in order on a goroutine of the
	// Authenticator's, through a queue of EventQueue events, so a slow hook
	// never delays a renewal: when the queue is full, events are dropped
	// and counted (MetricEventsDropped, and a log record). A hook that
	// panics is logged and keeps receiving. The context carries the values
	// of the operation's (its span among them), not its cancellation.
	// Close waits until the hook has been given every queued event.
	OnEvent func(context.Context, Event)
	// EventQueue is how many events wait for OnEvent at most; 0 means
	// DefaultEventQueue.
	EventQueue int
	// MeterProvider records the Authenticator's metrics (the Metric…
	// constants); nil means the global one (otel.GetMeterProvider), a no-op
	// unless the program installs one. Nothing is recorded on the
	// valid-token path.
	MeterProvider metric.MeterProvider
	// TracerProvider makes a span around each renewal and each store call;
	// nil means the global one (otel.GetTracerProvider), a no-op unless the
	// program installs one.
	TracerProvider trace.TracerProvider
	// Policies are the lifecycle policies: session lifetime, idle and
	// failure clean-up (see Policies). Each needs a store that keeps
	// lifecycle records; New refuses them otherwise.
	Policies Policies
	// UseInterval is how often the uses of tokens are written to their
	// lifecycle records (Lifecycle.LastUsedAt), when the store keeps them:
	// the valid-token path only marks a token used, and a timer writes the
	// marks, at most once per interval and token. 0 means
	// DefaultUseInterval; a negative value records no use.
	UseInterval time.Duration
	// SweepInterval, when positive, runs Sweep in the background every
	// interval (see Sweep: one process of a fleet sweeps per interval).
	// The first sweep runs one interval after New.
	SweepInterval time.Duration
}

// Authenticator hands out valid access tokens for the tokens of a store. It
// is safe for concurrent use, by many users at once. Call Close when done.
type Authenticator struct {
	store      zohoauth.Store             // observed: spans and durations
	rawStore   zohoauth.Store             // as given to New: its other capabilities (Pager)
	storeType  string                     // its Go type, for errors
	locker     zohoauth.Locker            // the store's, observed; nil if it has none
	cas        zohoauth.CompareAndSwapper // the store's, observed; nil if it has none
	tel        *telemetry
	events     *events                  // nil without Options.OnEvent
	keeper     zohoauth.LifecycleKeeper // the store's, observed; nil if it keeps no lifecycles
	policies   Policies
	useEvery   time.Duration // 0: uses are not recorded
	sweepEvery time.Duration // 0: no background sweep
	logins     logins
	accounts   *accounts.Client
	clock      clock.Clock
	log        *slog.Logger

	margin, refreshTimeout, cooldown, throttleCooldown, retryBackoff time.Duration
	lease, lockWait                                                  time.Duration
	skipUserLookup                                                   bool

	resolving singleflight.Group // resolutions in progress, by partial-token key

	mu         sync.Mutex
	closed     bool
	entries    map[string]*entry   // by store id
	keys       map[string]*entry   // by partial-token key
	keyFails   map[string]*failure // failed resolutions, by partial-token key
	running    int                 // resolutions whose work runs (runResolve)
	useTimer   clock.Timer         // the use recorder's; nil when uses are not recorded
	sweepTimer clock.Timer         // the background sweep's; nil without one
	sweepStop  context.CancelFunc  // cancels a running background sweep at Close
	wg         sync.WaitGroup      // running renewals and resolutions
}

// New returns an Authenticator over store. It refuses a policy
// (Options.Policies) that store cannot serve, with a *PolicyStoreError
// naming the store's type and the policy, and a negative or incoherent
// policy value, with an error matching ErrInvalidPolicy.
func New(store zohoauth.Store, opts Options) (*Authenticator, error) {
	keeper, _ := store.(zohoauth.LifecycleKeeper)
	useEvery := orDefault(opts.UseInterval, DefaultUseInterval)
	if err := checkPolicies(store, keeper, opts, useEvery); err != nil {
		return nil, err
	}
	a := &Authenticator{
		clock:            opts.Clock,
		log:              opts.Logger,
		margin:           orDefault(opts.Margin, DefaultMargin),
		refreshTimeout:   orDefault(opts.RefreshTimeout, DefaultRefreshTimeout),
		cooldown:         orDefault(opts.Cooldown, DefaultCooldown),
		throttleCooldown: orDefault(opts.ThrottleCooldown, DefaultThrottleCooldown),
		retryBackoff:     orDefault(opts.RetryBackoff, DefaultRetryBackoff),
		lease:            orDefault(opts.Lease, DefaultLease),
		lockWait:         orDefault(opts.LockWait, DefaultLockWait),
		skipUserLookup:   opts.SkipUserLookup,
		policies:         opts.Policies,
		sweepEvery:       opts.SweepInterval,
		entries:          map[string]*entry{},
		keys:             map[string]*entry{},
		keyFails:         map[string]*failure{},
	}
	if a.clock == nil {
		a.clock = clock.System()
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.tel = newTelemetry(opts.MeterProvider, opts.TracerProvider)
	a.rawStore, a.storeType = store, fmt.Sprintf("%T", store)
	a.observe(store)
	a.observeTokens(opts.MeterProvider)
	if opts.OnEvent != nil {
		a.events = newEvents(opts.OnEvent, opts.EventQueue, a.log, func(ctx context.Context) { a.tel.dropped.Add(ctx, 1) })
	}
	ac := accounts.Client{}
	if opts.Accounts != nil {
		ac = *opts.Accounts
	}
	if ac.Now == nil {
		ac.Now = a.clock.Now
	}
	a.accounts = &ac
	if a.keeper != nil && opts.UseInterval >= 0 {
		a.useEvery = useEvery
		a.mu.Lock()
		a.useTimer = a.clock.AfterFunc(a.useEvery, a.useTick)
		a.mu.Unlock()
	}
	if a.sweepEvery > 0 {
		a.startSweeps()
	}
	return a, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// For returns the Handle of the token that partial designates: a grant
// code (with client id and secret), a refresh token (with client id and
// secret), an access token, a store id or a user name, as Zoho's
// OAuthToken takes them. Nothing is read or sent until the Handle is used.
// Handles are cheap; two Handles of the same token share its state and its
// refreshes.
func (a *Authenticator) For(partial *zohoauth.Token) *Handle {
	h := &Handle{a: a, partial: partial.Clone(), key: keyOf(partial)}
	a.mu.Lock()
	if e := a.keys[h.key]; e != nil {
		h.e.Store(e)
	}
	a.mu.Unlock()
	return h
}

// AccessToken is a.For(partial).AccessToken(ctx).
func (a *Authenticator) AccessToken(ctx context.Context, partial *zohoauth.Token) (string, error) {
	return a.For(partial).AccessToken(ctx)
}

// Login exchanges t's grant code for tokens at once, whatever the store
// holds, saves them (updating the stored token of the same user, if any)
// and returns the new token's Handle. accountsServer is the accounts-server
// parameter of the login redirect, or "" to use the data center of
// t.APIDomain or of Options.Accounts' Environment. Once Zoho has answered,
// the save goes on even if ctx ends: a grant code is single-use.
func (a *Authenticator) Login(ctx context.Context, t *zohoauth.Token, accountsServer string) (*Handle, error) {
	if t.GrantToken == "" || t.ClientID == "" || t.ClientSecret == "" {
		return nil, &zohoauth.Error{Code: zohoauth.CodeMandatoryValue, Message: storekit.MsgMandatoryKey + storekit.MsgMandatoryKeysClient, Detail: "login needs a grant code, a client id and a client secret", Err: zohoauth.ErrInvalidToken}
	}
	note := &lifeNote{}
	tok, err := a.renew(ctx, renewReq{seed: t.Clone(), login: true, accountsServer: accountsServer, life: note})
	if err != nil {
		return nil, err
	}
	e, err := a.adopt(tok, note)
	if err != nil {
		return nil, err
	}
	h := &Handle{a: a, partial: &zohoauth.Token{ID: tok.ID}, key: keyOf(&zohoauth.Token{ID: tok.ID})}
	h.e.Store(e)
	return h, nil
}

// Close stops the timers and waits for running renewals. A Handle of a
// closed Authenticator returns ErrClosed.
func (a *Authenticator) Close() error {
	a.mu.Lock()
	a.closed = true
	entries := make([]*entry, 0, len(a.entries))
	for _, e := range a.entries {
		entries = append(entries, e)
	}
	for _, t := range []clock.Timer{a.useTimer, a.sweepTimer} {
		if t != nil {
			t.Stop()
		}
	}
	if a.sweepStop != nil {
		a.sweepStop()
	}
	a.mu.Unlock()
	if a.useEvery > 0 {
		// The uses marked since the last flush, so that a short-lived
		// process records them too.
		a.flushUses(context.Background())
	}
	for _, e := range entries {
		e.close()
	}
	a.wg.Wait()
	a.tel.stop()
	if a.events != nil {
		a.events.close()
	}
	return nil
}

// adopt installs tok, which has an id, as the current token of its entry
// and returns the entry. note is what the renewal that obtained tok learned
// of its session, or nil.
func (a *Authenticator) adopt(tok *zohoauth.Token, note *lifeNote) (*entry, error) {
	e, err := a.entry(tok.ID)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if note != nil && note.set {
		e.end = note.end
	}
	e.installLocked(tok, true)
	e.fail = nil
	e.mu.Unlock()
	return e, nil
}

// entry returns the entry of the stored token id, made on first use.
func (a *Authenticator) entry(id string) (*entry, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, ErrClosed
	}
	e := a.entries[id]
	if e == nil {
		e = &entry{a: a, id: id}
		a.entries[id] = e
	}
	return e, nil
}

// forget drops e and every key that leads to it. The id may hold another
// entry already (the id was reused): that one stays.
func (a *Authenticator) forget(e *entry) {
	a.mu.Lock()
	if a.entries[e.id] == e {
		delete(a.entries, e.id)
	}
	for k, v := range a.keys {
		if v == e {
			delete(a.keys, k)
		}
	}
	a.mu.Unlock()
	e.close()
}

// sameOwner reports whether two tokens read under one id belong to the
// same login: the same user (when both name one) of the same client (when
// both name one) and, when a user name is missing, the same refresh token
// (when both have one). A new login of the same user keeps the owner.
func sameOwner(a, b *zohoauth.Token) bool {
	if a.UserName != "" && b.UserName != "" && a.UserName != b.UserName {
		return false
	}
	if a.ClientID != "" && b.ClientID != "" && a.ClientID != b.ClientID {
		return false
	}
	if (a.UserName == "" || b.UserName == "") && a.RefreshToken != "" && b.RefreshToken != "" {
		return a.RefreshToken == b.RefreshToken
	}
	return true
}

// keyOf names the token a partial token designates, for the caches: its
// look-up keys (Token.FindKeys) and its client id.
func keyOf(t *zohoauth.Token) string {
	var buf [2]storekit.Key
	var b strings.Builder
	for _, k := range storekit.FindKeys(buf[:0], t) {
		b.WriteString(k.Field.Column())
		b.WriteByte('=')
		b.WriteString(k.Value)
		b.WriteByte(';')
	}
	b.WriteString("client=")
	b.WriteString(t.ClientID)
	return b.String()
}
