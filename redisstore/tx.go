package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth"
)

// errRetry makes update run its function again: what it read is no longer
// true (an id the counter gave out is in use).
var errRetry = errors.New("redisstore: retry")

// raiseScript sets the counter KEYS[1] to ARGV[1] when it is lower, so that
// the counter stays at least every id in use.
const raiseScript = `
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 0
`

// update runs fn on a view of the store inside WATCH, then writes what fn
// staged in one MULTI/EXEC. When a watched key changed before EXEC, it runs
// fn again on a fresh view, up to the store's attempt limit. Errors of fn
// that are *zohoauth.Error pass as they are; others are wrapped with msg.
func (s *Store) update(ctx context.Context, msg string, fn func(context.Context, *view) error) error {
	// A single-node client watches only what the view reads. Cluster and
	// Ring clients need a key to route the transaction: the anchor, in the
	// slot of the store's keys (given a hash tag in the prefix).
	var route []string
	if _, ok := s.c.(*redis.Client); !ok {
		route = []string{s.k.anchor()}
	}
	for attempt := 1; ; attempt++ {
		err := s.c.Watch(ctx, func(tx *redis.Tx) error {
			v := &view{
				s:       s,
				tx:      tx,
				fetched: map[string]*zohoauth.Token{},
				members: map[string][]string{},
				staged:  map[string]*zohoauth.Token{},
				inserts: map[string]bool{},
			}
			err := fn(ctx, v)
			if err == nil {
				err = v.commit(ctx)
			}
			if v.watching && !v.execSent {
				// The view's WATCHes went in pipelines, which go-redis does
				// not track: release them before the connection goes back
				// to the pool.
				if uerr := tx.Unwatch(context.WithoutCancel(ctx)).Err(); uerr != nil && err == nil {
					err = uerr
				}
			}
			return err
		}, route...)
		if err == nil {
			return nil
		}
		if !errors.Is(err, redis.TxFailedErr) && !errors.Is(err, errRetry) {
			return storeErr(msg, err)
		}
		if attempt >= s.maxAttempts {
			return zohoauth.StoreError(msg, fmt.Errorf("%d attempts: %w", attempt, ErrContention))
		}
		if attempt > 2 {
			// Spread the writers that keep colliding: up to 1 ms per
			// attempt, at most 20 ms.
			d := time.Duration(rand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return zohoauth.StoreError(msg, ctx.Err())
			case <-t.C:
			}
		}
	}
}

// view is the zohoauth.Rows of a write: what the store holds, read under
// WATCH on the connection of a transaction, with the changes staged so far
// laid over it (a batch sees its own earlier saves).
type view struct {
	s       *Store
	tx      *redis.Tx
	fetched map[string]*zohoauth.Token // id → the token in Redis, nil when absent; watched
	members map[string][]string        // index key → the ids it holds in Redis; watched
	staged  map[string]*zohoauth.Token // id → the token to write, nil to delete
	order   []string                   // staged ids, in the order first staged
	dropped []string                   // ids to take out of the id set only
	inserts map[string]bool            // staged ids that must not exist yet
	maxID   uint64                     // greatest numeric staged id

	watching bool // a WATCH was sent
	execSent bool // MULTI/EXEC was sent, which ends every WATCH
}

// fetch reads the tokens of ids not read yet, watching their keys, in one
// round trip.
func (v *view) fetch(ctx context.Context, ids []string) error {
	var need []string
	for _, id := range ids {
		if _, ok := v.fetched[id]; !ok && !slices.Contains(need, id) {
			need = append(need, id)
		}
	}
	if len(need) == 0 {
		return nil
	}
	watch := make([]any, 0, len(need)+1)
	watch = append(watch, "WATCH")
	for _, id := range need {
		watch = append(watch, v.s.k.token(id))
	}
	cmds := make([]*redis.MapStringStringCmd, len(need))
	v.watching = true
	_, err := v.tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, watch...)
		for i, id := range need {
			cmds[i] = p.HGetAll(ctx, v.s.k.token(id))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, id := range need {
		t, err := decodeMap(id, cmds[i].Val())
		if err != nil {
			return err
		}
		v.fetched[id] = t
	}
	return nil
}

// token returns the token with the given id as the view sees it, or nil.
func (v *view) token(ctx context.Context, id string) (*zohoauth.Token, error) {
	if t, ok := v.staged[id]; ok {
		return t, nil
	}
	if err := v.fetch(ctx, []string{id}); err != nil {
		return nil, err
	}
	return v.fetched[id], nil
}

// indexed returns the tokens the view has for field f with value v: those
// the index in Redis names (index and tokens watched) and the staged ones.
// Callers check the match (Key.Matches).
func (v *view) indexed(ctx context.Context, f zohoauth.Field, val string) ([]*zohoauth.Token, error) {
	key := v.s.k.index(f, val)
	ids, ok := v.members[key]
	if !ok {
		var cmd *redis.StringSliceCmd
		v.watching = true
		_, err := v.tx.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Do(ctx, "WATCH", key)
			cmd = p.SMembers(ctx, key)
			return nil
		})
		if err != nil {
			return nil, err
		}
		ids = cmd.Val()
		v.members[key] = ids
	}
	var fromRedis []string
	for _, id := range ids {
		if _, ok := v.staged[id]; !ok {
			fromRedis = append(fromRedis, id)
		}
	}
	if err := v.fetch(ctx, fromRedis); err != nil {
		return nil, err
	}
	out := make([]*zohoauth.Token, 0, len(fromRedis)+len(v.staged))
	for _, id := range fromRedis {
		if t := v.fetched[id]; t != nil {
			out = append(out, t)
		}
	}
	for _, id := range v.order {
		if t := v.staged[id]; t != nil {
			out = append(out, t)
		}
	}
	return out, nil
}

// Lookup returns the token with the lowest id that matches k. It
// implements zohoauth.Rows.
func (v *view) Lookup(ctx context.Context, k zohoauth.Key) (*zohoauth.Token, error) {
	return lookup(ctx, v, k)
}

// WithUserName returns every token of a user name. It implements
// zohoauth.Rows.
func (v *view) WithUserName(ctx context.Context, name string) ([]*zohoauth.Token, error) {
	return withUserName(ctx, v, name)
}

// MaxID takes a new number from the counter (INCR) and returns the number
// below it, or the greatest staged id when that is greater: NextID of it is
// then an id no other writer is given. It implements zohoauth.Rows.
func (v *view) MaxID(ctx context.Context) (uint64, error) {
	n, err := v.tx.Incr(ctx, v.s.k.counter()).Uint64()
	if err != nil {
		return 0, zohoauth.StoreError(MsgGenerateID, err)
	}
	return max(n-1, v.maxID), nil
}

// plan applies the saving rules to t over the view and stages the result.
func (v *view) plan(ctx context.Context, t *zohoauth.Token) (zohoauth.SavePlan, error) {
	plan, err := zohoauth.PlanSave(ctx, v, t, MsgDetailsNotFound)
	if err != nil {
		return plan, err
	}
	if plan.Old == nil {
		v.inserts[plan.Token.ID] = true
	}
	v.stage(plan.Token.ID, plan.Token)
	return plan, nil
}

// stage records that the token with the given id becomes t (nil: deleted).
func (v *view) stage(id string, t *zohoauth.Token) {
	if _, ok := v.staged[id]; !ok {
		v.order = append(v.order, id)
	}
	v.staged[id] = t
	if n, err := strconv.ParseUint(id, 10, 64); err == nil && n > v.maxID {
		v.maxID = n
	}
}

// dropID records an id to take out of the id set, for an id whose token
// hash is missing.
func (v *view) dropID(id string) { v.dropped = append(v.dropped, id) }

// commit writes the staged changes in one MULTI/EXEC: each token's hash,
// the index entries that changed, the id set and, for an inserted id, the
// counter. An inserted id that turns out to be in use makes update retry.
func (v *view) commit(ctx context.Context) error {
	if len(v.order) == 0 && len(v.dropped) == 0 {
		return nil
	}
	if err := v.fetch(ctx, v.order); err != nil {
		return err
	}
	for id := range v.inserts {
		if v.fetched[id] != nil {
			return errRetry
		}
	}
	k := v.s.k
	v.execSent = true
	_, err := v.tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		var oldKeys, newKeys []string
		for _, id := range v.order {
			old, cur := v.fetched[id], v.staged[id]
			oldKeys, newKeys = k.indexes(oldKeys[:0], old), k.indexes(newKeys[:0], cur)
			for _, key := range oldKeys {
				if !slices.Contains(newKeys, key) {
					p.SRem(ctx, key, id)
				}
			}
			for _, key := range newKeys {
				if !slices.Contains(oldKeys, key) {
					p.SAdd(ctx, key, id)
				}
			}
			if cur == nil {
				p.Del(ctx, k.token(id))
				p.ZRem(ctx, k.ids(), id)
				continue
			}
			p.HSet(ctx, k.token(id), encode(cur)...)
			if old == nil {
				n, _ := strconv.ParseUint(id, 10, 64) // ValidID: 1 to 10 digits
				p.ZAdd(ctx, k.ids(), redis.Z{Score: float64(n), Member: id})
				p.Eval(ctx, raiseScript, []string{k.counter()}, id)
			}
		}
		for _, id := range v.dropped {
			p.ZRem(ctx, k.ids(), id)
		}
		return nil
	})
	return err
}
