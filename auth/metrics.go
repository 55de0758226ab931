package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/storekit"
)

// ScopeName is the instrumentation scope of the Authenticator's meter and
// tracer.
const ScopeName = "github.com/zohoauth/zohoauth/auth"

// The instruments an Authenticator records through Options.MeterProvider.
// Durations are in seconds. None is recorded on the valid-token path,
// which runs before every API call: it stays one atomic load.
const (
	// MetricRefreshes counts renewals by zohoauth.action (refresh,
	// exchange, use, save, or none when the renewal failed before deciding)
	// and zohoauth.outcome: refreshed (Zoho
	// issued a new access token, saved), exchanged (a grant code), adopted
	// (no call: another process had renewed the token), reauthorize,
	// throttled, failed, and remembered (a failure remembered from an
	// earlier renewal answered without asking Zoho).
	MetricRefreshes = "zohoauth.refreshes"
	// MetricRefreshDuration is the duration of a renewal as its callers
	// wait for it (lock wait, store calls and the Zoho call), by outcome.
	MetricRefreshDuration = "zohoauth.refresh.duration"
	// MetricLockWait is the wait for the store lock (zohoauth.Locker)
	// before a renewal, by zohoauth.outcome: acquired, timeout, error, and
	// unneeded (a waiter that found the token renewed by the holder and
	// left without the lock).
	MetricLockWait = "zohoauth.lock.wait"
	// MetricStoreDuration is the duration of each store call, by
	// zohoauth.store.operation (find, find_by_id, save, swap, delete,
	// tokens, delete_all, and lifecycle, update_lifecycle,
	// delete_lifecycle, lifecycles for lifecycle records) and zohoauth.outcome (ok, not_found, stale,
	// error).
	MetricStoreDuration = "zohoauth.store.duration"
	// MetricTokens is the number of tokens the Authenticator manages in
	// memory, by zohoauth.token.state: fresh, stale (inside the refresh
	// margin), expired, failing (a renewal failure is remembered). It is
	// observed at each collection, not on the valid-token path.
	MetricTokens = "zohoauth.tokens"
	// MetricLogins counts logins that saved a new refresh token, by
	// zohoauth.client_id.
	MetricLogins = "zohoauth.logins"
	// MetricEventsDropped counts events dropped because Options.OnEvent
	// did not keep up with them.
	MetricEventsDropped = "zohoauth.events.dropped"
)

// Attribute keys of the metrics and spans.
const (
	attrOutcome  = attribute.Key("zohoauth.outcome")
	attrAction   = attribute.Key("zohoauth.action")
	attrOp       = attribute.Key("zohoauth.store.operation")
	attrState    = attribute.Key("zohoauth.token.state")
	attrTokenID  = attribute.Key("zohoauth.token.id")
	attrClientID = attribute.Key("zohoauth.client_id")
)

// telemetry holds the instruments and the tracer. Instruments made by the
// global providers forward to whatever provider the program installs, and
// are no-ops until then.
type telemetry struct {
	tracer        trace.Tracer
	refreshes     metric.Int64Counter
	refreshDur    metric.Float64Histogram
	lockWait      metric.Float64Histogram
	storeDur      metric.Float64Histogram
	logins        metric.Int64Counter
	dropped       metric.Int64Counter
	tokens        metric.Int64ObservableGauge
	registration  metric.Registration
	registerError error
	stopOnce      sync.Once
}

// latencyBuckets are the histogram bounds, in seconds: from a memory
// store's microseconds to the accounts client's 30 s timeout.
var latencyBuckets = []float64{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

func newTelemetry(mp metric.MeterProvider, tp trace.TracerProvider) *telemetry {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(ScopeName)
	t := &telemetry{tracer: tp.Tracer(ScopeName)}
	// An instrument the provider refuses is still a usable no-op one; the
	// error only says why, and is reported once by the provider's handler.
	bounds := metric.WithExplicitBucketBoundaries(latencyBuckets...)
	t.refreshes, _ = m.Int64Counter(MetricRefreshes, metric.WithUnit("{renewal}"), metric.WithDescription("Renewals of access tokens, by outcome."))
	t.refreshDur, _ = m.Float64Histogram(MetricRefreshDuration, metric.WithUnit("s"), metric.WithDescription("Duration of a renewal, lock wait and store calls included."), bounds)
	t.lockWait, _ = m.Float64Histogram(MetricLockWait, metric.WithUnit("s"), metric.WithDescription("Wait for the store lock before a renewal."), bounds)
	t.storeDur, _ = m.Float64Histogram(MetricStoreDuration, metric.WithUnit("s"), metric.WithDescription("Duration of a token store call."), bounds)
	t.logins, _ = m.Int64Counter(MetricLogins, metric.WithUnit("{login}"), metric.WithDescription("Logins that saved a new refresh token."))
	t.dropped, _ = m.Int64Counter(MetricEventsDropped, metric.WithUnit("{event}"), metric.WithDescription("Events dropped because the event hook was too slow."))
	t.tokens, _ = m.Int64ObservableGauge(MetricTokens, metric.WithUnit("{token}"), metric.WithDescription("Tokens managed in memory, by state."))
	return t
}

// observeTokens registers the gauge of tokens by state, read from a's
// entries at each collection.
func (a *Authenticator) observeTokens(m metric.MeterProvider) {
	if m == nil {
		m = otel.GetMeterProvider()
	}
	states := [...]attribute.Set{
		attribute.NewSet(attrState.String("fresh")),
		attribute.NewSet(attrState.String("stale")),
		attribute.NewSet(attrState.String("expired")),
		attribute.NewSet(attrState.String("failing")),
	}
	t := a.tel
	t.registration, t.registerError = m.Meter(ScopeName).RegisterCallback(func(_ context.Context, o metric.Observer) error {
		var n [len(states)]int64
		now := a.clock.Now()
		a.mu.Lock()
		for _, e := range a.entries {
			e.mu.Lock()
			failing := e.failingLocked(now) != nil
			e.mu.Unlock()
			s := e.cur.Load()
			switch {
			case failing:
				n[3]++
			case s == nil:
				n[2]++
			default:
				n[s.phase]++
			}
		}
		a.mu.Unlock()
		for i, set := range states {
			o.ObserveInt64(t.tokens, n[i], metric.WithAttributeSet(set))
		}
		return nil
	}, t.tokens)
	if t.registerError != nil {
		a.log.Warn("zohoauth: the gauge of tokens by state is not observed", "error", t.registerError)
	}
}

// stop unregisters the gauge's callback.
func (t *telemetry) stop() {
	t.stopOnce.Do(func() {
		if t.registration != nil {
			_ = t.registration.Unregister()
		}
	})
}

// renewObs is what renewIn tells renew about one renewal, for its events
// and metrics.
type renewObs struct {
	act     action
	decided bool
	called  bool            // Zoho was asked
	zoho    time.Duration   // how long Zoho took
	tok     *zohoauth.Token // the token the renewal decided on
}

// note records the decision of a renewal; obs may be nil.
func (obs *renewObs) note(act action, t *zohoauth.Token) {
	if obs != nil {
		obs.act, obs.tok, obs.decided = act, t, true
	}
}

// answered records the Zoho call of a renewal; obs may be nil.
func (obs *renewObs) answered(d time.Duration) {
	if obs != nil {
		obs.called, obs.zoho = true, d
	}
}

// renew is the whole renewal of one token (renewTx) inside a span, with
// its metrics and events.
func (a *Authenticator) renew(ctx context.Context, req renewReq) (*zohoauth.Token, error) {
	id := req.id
	if id == "" && req.seed != nil {
		id = req.seed.ID
	}
	ctx, span := a.tel.tracer.Start(ctx, "zohoauth.refresh", trace.WithAttributes(attrTokenID.String(id)))
	defer span.End()
	obs := &renewObs{}
	req.obs = obs
	start := time.Now()
	tok, err := a.renewTx(ctx, req)
	d := time.Since(start)

	outcome := "adopted"
	switch {
	case err != nil && req.failed != nil && errors.Is(err, req.failed.err):
		outcome = "remembered"
	case err != nil:
		kind := EventRefreshFailed
		switch {
		case errors.Is(err, ErrReauthorize):
			outcome, kind = "reauthorize", EventReauthorize
		case errors.Is(err, accounts.ErrThrottled):
			outcome, kind = "throttled", EventThrottled
		default:
			outcome = "failed"
		}
		t := obs.tok
		if t == nil {
			t = req.seed
		}
		ev := a.tokenEvent(kind, t)
		if ev.TokenID == "" {
			ev.TokenID = id
		}
		ev.Duration, ev.Err = obs.zoho, err
		a.emit(ctx, ev)
	case obs.called && obs.act == exchange:
		outcome = "exchanged"
	case obs.called:
		outcome = "refreshed"
		ev := a.tokenEvent(EventRefreshed, tok)
		ev.Duration = obs.zoho
		a.emit(ctx, ev)
	}
	if a.keeper != nil && obs.called && obs.act == refresh {
		rid := id
		if obs.tok != nil && obs.tok.ID != "" {
			rid = obs.tok.ID
		}
		a.recordRefresh(ctx, rid, obs.tok, err)
	}
	act := "none" // failed before deciding (a store error, the lock, a remembered failure)
	if obs.decided {
		act = obs.act.String()
	}
	set := metric.WithAttributeSet(attribute.NewSet(attrOutcome.String(outcome), attrAction.String(act)))
	a.tel.refreshes.Add(ctx, 1, set)
	a.tel.refreshDur.Record(ctx, d.Seconds(), set)
	span.SetAttributes(attrOutcome.String(outcome), attrAction.String(act))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, outcome)
	}
	return tok, err
}

// storeOutcome names the result of a store call for the metrics.
func storeOutcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, zohoauth.ErrNotFound):
		return "not_found"
	case errors.Is(err, zohoauth.ErrStale):
		return "stale"
	}
	return "error"
}

// storeCall starts the span of one store call; the returned function ends
// it and records the call's duration.
func (t *telemetry) storeCall(ctx context.Context, op, id string) (context.Context, func(error)) {
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrOp.String(op))}
	if id != "" {
		opts = append(opts, trace.WithAttributes(attrTokenID.String(id)))
	}
	ctx, span := t.tracer.Start(ctx, "zohoauth.store."+op, opts...)
	start := time.Now()
	return ctx, func(err error) {
		outcome := storeOutcome(err)
		t.storeDur.Record(ctx, time.Since(start).Seconds(), metric.WithAttributeSet(attribute.NewSet(attrOp.String(op), attrOutcome.String(outcome))))
		span.SetAttributes(attrOutcome.String(outcome))
		if err != nil && outcome != "not_found" {
			span.RecordError(err)
			span.SetStatus(codes.Error, outcome)
		}
		span.End()
	}
}

// observedStore is the store as the Authenticator uses it: every call in a
// span, its duration recorded.
type observedStore struct {
	s zohoauth.Store
	t *telemetry
}

func (o *observedStore) FindToken(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	ctx, end := o.t.storeCall(ctx, "find", t.ID)
	tok, err := o.s.FindToken(ctx, t)
	end(err)
	return tok, err
}

func (o *observedStore) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	ctx, end := o.t.storeCall(ctx, "find_by_id", id)
	tok, err := o.s.FindTokenByID(ctx, id)
	end(err)
	return tok, err
}

func (o *observedStore) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	ctx, end := o.t.storeCall(ctx, "save", t.ID)
	err := o.s.SaveToken(ctx, t)
	end(err)
	return err
}

func (o *observedStore) DeleteToken(ctx context.Context, id string) error {
	ctx, end := o.t.storeCall(ctx, "delete", id)
	err := o.s.DeleteToken(ctx, id)
	end(err)
	return err
}

func (o *observedStore) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	ctx, end := o.t.storeCall(ctx, "tokens", "")
	toks, err := o.s.Tokens(ctx)
	end(err)
	return toks, err
}

func (o *observedStore) DeleteTokens(ctx context.Context) error {
	ctx, end := o.t.storeCall(ctx, "delete_all", "")
	err := o.s.DeleteTokens(ctx)
	end(err)
	return err
}

// observedSwapper is a zohoauth.CompareAndSwapper observed as the store is.
type observedSwapper struct {
	c zohoauth.CompareAndSwapper
	t *telemetry
}

func (o *observedSwapper) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	ctx, end := o.t.storeCall(ctx, "swap", old.ID)
	err := o.c.SwapToken(ctx, old, t)
	end(err)
	return err
}

// observedLocker is a zohoauth.Locker whose waits are recorded
// (MetricLockWait, in a span) and whose locks report a take-over as
// EventLockTakenOver.
type observedLocker struct {
	l zohoauth.Locker
	a *Authenticator
}

func (o *observedLocker) Lock(ctx context.Context, name string, lease time.Duration) (zohoauth.Lock, error) {
	return o.LockUnless(ctx, name, lease, nil)
}

// LockUnless is the store's LockUnless when it is a storekit.LockChecker,
// and its Lock otherwise; a wait that done ended is recorded with the
// outcome "unneeded".
func (o *observedLocker) LockUnless(ctx context.Context, name string, lease time.Duration, done func(context.Context) (bool, error)) (zohoauth.Lock, error) {
	t := o.a.tel
	id := lockID(name)
	ctx, span := t.tracer.Start(ctx, "zohoauth.store.lock", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrOp.String("lock"), attrTokenID.String(id)))
	defer span.End()
	start := time.Now()
	lk, err := storekit.LockUnless(ctx, o.l, name, lease, done)
	outcome := "acquired"
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		outcome = "timeout"
	case errors.Is(err, storekit.ErrLockUnneeded):
		outcome = "unneeded" // not a failure: the holder did the work
	case err != nil:
		outcome = "error"
	}
	t.lockWait.Record(ctx, time.Since(start).Seconds(), metric.WithAttributeSet(attribute.NewSet(attrOutcome.String(outcome))))
	span.SetAttributes(attrOutcome.String(outcome))
	if outcome == "unneeded" {
		return nil, err
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, outcome)
		return nil, err
	}
	return &observedLock{Lock: lk, a: o.a, id: id}, nil
}

// lockID returns the token id of a lock named by storekit.LockName.
func lockID(name string) string {
	prefix := storekit.LockName("")
	if len(name) >= len(prefix) && name[:len(prefix)] == prefix {
		return name[len(prefix):]
	}
	return ""
}

// observedLock reports, once, that another owner took the lock over.
type observedLock struct {
	zohoauth.Lock
	a        *Authenticator
	id       string
	reported atomic.Bool
}

func (l *observedLock) Extend(ctx context.Context, lease time.Duration) error {
	err := l.Lock.Extend(ctx, lease)
	l.lost(ctx, err)
	return err
}

func (l *observedLock) Unlock(ctx context.Context) error {
	err := l.Lock.Unlock(ctx)
	l.lost(ctx, err)
	return err
}

func (l *observedLock) lost(ctx context.Context, err error) {
	if !errors.Is(err, zohoauth.ErrLockLost) || !l.reported.CompareAndSwap(false, true) {
		return
	}
	ev := l.a.tokenEvent(EventLockTakenOver, nil)
	ev.TokenID, ev.Err = l.id, err
	l.a.emit(ctx, ev)
}

// observe wraps store and its capabilities.
func (a *Authenticator) observe(store zohoauth.Store) {
	a.store = &observedStore{s: store, t: a.tel}
	if l, ok := store.(zohoauth.Locker); ok {
		a.locker = &observedLocker{l: l, a: a}
	}
	if c, ok := store.(zohoauth.CompareAndSwapper); ok {
		a.cas = &observedSwapper{c: c, t: a.tel}
	}
	if k, ok := store.(zohoauth.LifecycleKeeper); ok {
		a.keeper = &observedKeeper{k: k, t: a.tel}
	}
}

// observedKeeper is a zohoauth.LifecycleKeeper observed as the store is.
type observedKeeper struct {
	k zohoauth.LifecycleKeeper
	t *telemetry
}

func (o *observedKeeper) Lifecycle(ctx context.Context, id string) (zohoauth.Lifecycle, error) {
	ctx, end := o.t.storeCall(ctx, "lifecycle", id)
	l, err := o.k.Lifecycle(ctx, id)
	end(err)
	return l, err
}

func (o *observedKeeper) UpdateLifecycle(ctx context.Context, id string, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, error) {
	ctx, end := o.t.storeCall(ctx, "update_lifecycle", id)
	l, err := o.k.UpdateLifecycle(ctx, id, fn)
	if errors.Is(err, errSkip) {
		end(nil)
	} else {
		end(err)
	}
	return l, err
}

func (o *observedKeeper) DeleteLifecycle(ctx context.Context, id string) error {
	ctx, end := o.t.storeCall(ctx, "delete_lifecycle", id)
	err := o.k.DeleteLifecycle(ctx, id)
	end(err)
	return err
}

func (o *observedKeeper) LifecyclesAfter(ctx context.Context, after string, limit int) ([]zohoauth.Lifecycle, error) {
	ctx, end := o.t.storeCall(ctx, "lifecycles", "")
	l, err := o.k.LifecyclesAfter(ctx, after, limit)
	end(err)
	return l, err
}
