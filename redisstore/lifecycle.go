package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// MsgLifecycle is the Message of the errors of the lifecycle methods.
const MsgLifecycle = "Exception in lifecycle - RedisStore"

// life returns the key of the lifecycle hash of the token id, and lifeIDs
// the sorted set of the ids that have one (score: the id's numeric value).
// Like every key of the store they start with the prefix, which carries the
// hash tag on a Redis Cluster: one slot holds a token's keys and its
// record, so one transaction or script writes them together.
func (k keys) life(id string) string { return k.prefix + "life:" + id }
func (k keys) lifeIDs() string       { return k.prefix + "life_ids" }

// lifeFields are the fields of a lifecycle hash: times in epoch
// milliseconds (empty for the zero time), counts in decimal.
var lifeFields = [...]string{"login_at", "last_used_at", "last_refresh_at", "last_failure_at", "exhausted_at", "failures", "failure_days", "last_error"}

func lifeTimes(l *zohoauth.Lifecycle) [5]*time.Time {
	return [5]*time.Time{&l.LoginAt, &l.LastUsedAt, &l.LastRefreshAt, &l.LastFailureAt, &l.ExhaustedAt}
}

// encodeLife returns the field-value pairs of the hash of l.
func encodeLife(l zohoauth.Lifecycle) []any {
	out := make([]any, 0, 2*len(lifeFields))
	for i, p := range lifeTimes(&l) {
		v := ""
		if ms, ok := storekit.LifecycleMillis(*p); ok {
			v = strconv.FormatInt(ms, 10)
		}
		out = append(out, lifeFields[i], v)
	}
	return append(out, "failures", strconv.Itoa(l.Failures), "failure_days", strconv.Itoa(l.FailureDays), "last_error", l.LastError)
}

// decodeLife returns the record of id from its hash (zero for a missing
// hash). Unknown fields are ignored; a field that does not parse is an
// error naming the field, not its value.
func decodeLife(id string, m map[string]string) (zohoauth.Lifecycle, error) {
	l := zohoauth.Lifecycle{ID: id}
	for i, p := range lifeTimes(&l) {
		v := m[lifeFields[i]]
		if v == "" {
			continue
		}
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return zohoauth.Lifecycle{}, fmt.Errorf("lifecycle %s: field %s is not epoch milliseconds", id, lifeFields[i])
		}
		*p = storekit.LifecycleTime(time.UnixMilli(ms))
	}
	for _, f := range []struct {
		name string
		p    *int
	}{{"failures", &l.Failures}, {"failure_days", &l.FailureDays}} {
		if v := m[f.name]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return zohoauth.Lifecycle{}, fmt.Errorf("lifecycle %s: field %s is not a number", id, f.name)
			}
			*f.p = n
		}
	}
	l.LastError = m["last_error"]
	return l, nil
}

// Lifecycle returns the lifecycle record of the token with the given id,
// zero when none is kept. It implements zohoauth.LifecycleKeeper: a record
// is the hash "<prefix>life:<id>", listed in the sorted set
// "<prefix>life_ids"; Zoho's SDKs have no Redis store, and the token's own
// hash keeps Zoho's ten columns only. Times are kept to the millisecond.
func (s *Store) Lifecycle(ctx context.Context, id string) (zohoauth.Lifecycle, error) {
	if err := storekit.CheckLifecycleID(ctx, MsgLifecycle, id); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	m, err := s.c.HGetAll(ctx, s.k.life(id)).Result()
	if err != nil {
		s.reloadOnConnError(ctx, err)
		return zohoauth.Lifecycle{}, storekit.StoreError(MsgLifecycle, wrongType(err))
	}
	l, err := decodeLife(id, m)
	if err != nil {
		return zohoauth.Lifecycle{}, storekit.StoreError(MsgLifecycle, err)
	}
	return l, nil
}

// UpdateLifecycle applies fn to the record of id in an optimistic
// transaction: WATCH of the record's hash, a read, fn, then MULTI/EXEC of
// the new hash (or its deletion when the result is zero) and its entry in
// the sorted set. A concurrent write of the same record makes EXEC fail and
// the update run again, fn included, up to the store's attempt limit
// (WithMaxAttempts; then ErrContention). An update that changes nothing
// writes nothing. On a Redis Cluster the write waits for the replicas as
// every write does (WithReplicas).
func (s *Store) UpdateLifecycle(ctx context.Context, id string, fn func(*zohoauth.Lifecycle) error) (zohoauth.Lifecycle, error) {
	if err := storekit.CheckLifecycleID(ctx, MsgLifecycle, id); err != nil {
		return zohoauth.Lifecycle{}, err
	}
	key := s.k.life(id)
	var out zohoauth.Lifecycle
	var fnErr error
	for attempt := 1; ; attempt++ {
		fnErr = nil
		ran := false
		err := s.c.Watch(ctx, func(tx *redis.Tx) error {
			m, err := tx.HGetAll(ctx, key).Result()
			if err != nil {
				return err
			}
			old, err := decodeLife(id, m)
			if err != nil {
				return err
			}
			l, err := storekit.ApplyLifecycle(id, old, fn)
			if err != nil {
				fnErr = err
				return err
			}
			out = l
			if l == old {
				ran = true
				return nil
			}
			n, _ := strconv.ParseUint(id, 10, 64) // a valid id: 1 to 10 digits
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Del(ctx, key)
				if l.IsZero() {
					p.ZRem(ctx, s.k.lifeIDs(), id)
				} else {
					p.HSet(ctx, key, encodeLife(l)...)
					p.ZAdd(ctx, s.k.lifeIDs(), redis.Z{Score: float64(n), Member: id})
				}
				return nil
			})
			if err != nil {
				return err
			}
			ran = true
			return s.waitReplicas(ctx, tx, s.replicaWait)
		}, key)
		if fnErr != nil {
			return zohoauth.Lifecycle{}, fnErr
		}
		if err == nil && !ran {
			err = errNotRun // a cluster that kept redirecting: nothing written
			if cc, ok := s.c.(*redis.ClusterClient); ok {
				cc.ReloadState(ctx)
			}
		}
		if err == nil {
			return out, nil
		}
		s.reloadOnConnError(ctx, err)
		if !errors.Is(err, redis.TxFailedErr) && !errors.Is(err, errNotRun) {
			return zohoauth.Lifecycle{}, storekit.StoreError(MsgLifecycle, wrongType(err))
		}
		if attempt >= s.maxAttempts {
			return zohoauth.Lifecycle{}, storekit.StoreError(MsgLifecycle, fmt.Errorf("%d attempts: %w", attempt, ErrContention))
		}
		if err := ctx.Err(); err != nil {
			return zohoauth.Lifecycle{}, storekit.StoreError(MsgLifecycle, err)
		}
	}
}

// DeleteLifecycle deletes the record of id (its hash and its entry in the
// sorted set, in one MULTI/EXEC).
func (s *Store) DeleteLifecycle(ctx context.Context, id string) error {
	if err := storekit.CheckLifecycleID(ctx, MsgLifecycle, id); err != nil {
		return err
	}
	if err := s.deleteLives(ctx, []string{id}); err != nil {
		return storekit.StoreError(MsgLifecycle, wrongType(err))
	}
	return nil
}

// deleteLives deletes the records of ids in one MULTI/EXEC.
func (s *Store) deleteLives(ctx context.Context, ids []string) error {
	members := make([]any, len(ids))
	dels := make([]string, len(ids))
	for i, id := range ids {
		members[i], dels[i] = id, s.k.life(id)
	}
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, dels...)
		p.ZRem(ctx, s.k.lifeIDs(), members...)
		return nil
	})
	if err != nil {
		s.reloadOnConnError(ctx, err)
	}
	return err
}

// LifecyclesAfter returns at most limit records whose id is numerically
// greater than after, in numeric id order, orphans included: the sorted
// set by score (ties by id text), then the hashes in one pipeline.
func (s *Store) LifecyclesAfter(ctx context.Context, after string, limit int) ([]zohoauth.Lifecycle, error) {
	if err := storekit.CheckLifecyclePage(ctx, MsgLifecycle, after, limit); err != nil {
		return nil, err
	}
	out := make([]zohoauth.Lifecycle, 0, min(limit, pageSize))
	for {
		want := limit - len(out)
		ids, err := s.zAfter(ctx, s.k.lifeIDs(), after, want)
		if err != nil {
			return nil, storekit.StoreError(MsgLifecycle, err)
		}
		if len(ids) == 0 {
			return out, nil
		}
		cmds := make([]*redis.MapStringStringCmd, len(ids))
		_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range ids {
				cmds[i] = p.HGetAll(ctx, s.k.life(id))
			}
			return nil
		})
		if err != nil {
			return nil, storekit.StoreError(MsgLifecycle, wrongType(err))
		}
		for i, id := range ids {
			m := cmds[i].Val()
			if len(m) == 0 {
				continue // deleted since the ids were read
			}
			l, err := decodeLife(id, m)
			if err != nil {
				return nil, storekit.StoreError(MsgLifecycle, err)
			}
			out = append(out, l)
		}
		if len(out) == limit || len(ids) < want {
			return out, nil
		}
		after = ids[len(ids)-1]
	}
}

// deleteAllLives deletes every record, a page per transaction: the end of
// DeleteTokens, which also takes the orphans.
func (s *Store) deleteAllLives(ctx context.Context) error {
	for {
		ids, err := s.c.ZRange(ctx, s.k.lifeIDs(), 0, pageSize-1).Result()
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := s.deleteLives(ctx, ids); err != nil {
			return err
		}
	}
}
