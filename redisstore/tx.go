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
	"github.com/zohoauth/zohoauth/storekit"
)

// errRetry makes update run its function again: what it read is no longer
// true (an id the counter gave out is in use).
var errRetry = errors.New("redisstore: retry")

// errNotRun reports a transaction that a Redis Cluster kept redirecting:
// go-redis's ClusterClient.Watch returns nil without running its function
// when the WATCH of its last attempt is redirected (MOVED, ASK, READONLY),
// as happens while a slot changes hands. Nothing was written.
var errNotRun = errors.New("redisstore: the cluster kept redirecting the write; it was not made")

// allocScript takes a new id from the counter KEYS[1] (INCR) and returns
// {1, id}, after checking that the counter, the id set KEYS[2], the index
// sets KEYS[3…] the new token goes into and the token key of the id
// (ARGV[1] followed by the id) are absent or of their type: a save that
// would fail on one of them fails here, before the counter changes. A key of
// the wrong type gives {0, key, type, wanted type}.
const allocScript = checkFunc + `
local wants = {'counter', 'zset'}
for i = 1, #KEYS do
  local want = wants[i] or 'set'
  local bad = check(KEYS[i], want)
  if bad then return {0, KEYS[i], bad, want} end
end
local next = tostring(tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
local bad = check(ARGV[1] .. next, 'hash')
if bad then return {0, ARGV[1] .. next, bad, 'hash'} end
return {1, redis.call('INCR', KEYS[1])}
`

// commitScript writes a save or delete: it checks every key it writes
// (KEYS[i] must be absent or of type ARGV[i]), then runs the operations that
// follow in ARGV, each an operation name and its arguments, keys given as
// their index in KEYS:
//
//	SADD k member, SREM k member, ZADD k score member, ZREM k member, DEL k,
//	HSET k n field value … (n pairs), RAISE k id (set the counter k to id
//	when it is lower)
//
// A key of the wrong type gives {0, key, type, wanted type} and writes
// nothing; a write gives {1}. Checking everything before the first write
// makes the write all or nothing, as Redis runs a script whole.
const commitScript = checkFunc + `
for i = 1, #KEYS do
  local bad = check(KEYS[i], ARGV[i])
  if bad then return {0, KEYS[i], bad, ARGV[i]} end
end
local ops = {}
local i = #KEYS + 1
while i <= #ARGV do
  local op, k = ARGV[i], KEYS[tonumber(ARGV[i + 1])]
  local n = ({SADD = 1, SREM = 1, ZREM = 1, ZADD = 2, DEL = 0, RAISE = 1})[op]
  if op == 'HSET' then
    local np = tonumber(ARGV[i + 2])
    ops[#ops + 1] = {'HSET', k, unpack(ARGV, i + 3, i + 2 + 2 * np)}
    i = i + 3 + 2 * np
  elseif n and k then
    ops[#ops + 1] = {op, k, unpack(ARGV, i + 2, i + 1 + n)}
    i = i + 2 + n
  else
    return redis.error_reply('commit script: bad operation at argument ' .. i)
  end
end
for _, op in ipairs(ops) do
  if op[1] == 'RAISE' then
    if tonumber(redis.call('GET', op[2]) or '0') < tonumber(op[3]) then
      redis.call('SET', op[2], op[3])
    end
  else
    redis.call(unpack(op))
  end
end
return {1}
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
		ran := false // fn ran and the view was committed
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
			ran = err == nil
			return err
		}, route...)
		if err == nil && !ran {
			err = errNotRun
			if cc, ok := s.c.(*redis.ClusterClient); ok {
				cc.ReloadState(ctx)
			}
		}
		if err == nil {
			return nil
		}
		s.reloadOnConnError(ctx, err)
		if !errors.Is(err, redis.TxFailedErr) && !errors.Is(err, errRetry) && !errors.Is(err, errNotRun) {
			return storeErr(msg, wrongType(err))
		}
		if attempt >= s.maxAttempts {
			if errors.Is(err, errNotRun) {
				return storekit.StoreError(msg, fmt.Errorf("%d attempts: %w", attempt, err))
			}
			return storekit.StoreError(msg, fmt.Errorf("%d attempts: %w", attempt, ErrContention))
		}
		if attempt > 2 {
			// Spread the writers that keep colliding: up to 1 ms per
			// attempt, at most 20 ms.
			d := time.Duration(rand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return storekit.StoreError(msg, ctx.Err())
			case <-t.C:
			}
		}
	}
}

// view is the storekit.Rows of a write: what the store holds, read under
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

	planning *zohoauth.Token // the token plan is planning the save of

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

// indexed returns the tokens the view has for the index key: those the
// index in Redis names (index and tokens watched) and the staged ones.
// Callers check the match (Key.Matches).
func (v *view) indexed(ctx context.Context, key string) ([]*zohoauth.Token, error) {
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
// implements storekit.Rows.
func (v *view) Lookup(ctx context.Context, k storekit.Key) (*zohoauth.Token, error) {
	return lookup(ctx, v, k)
}

// WithUserName returns every token of a user name. It implements
// storekit.Rows.
func (v *view) WithUserName(ctx context.Context, name string) ([]*zohoauth.Token, error) {
	return withUserName(ctx, v, name)
}

// WithEmail returns the tokens of the index of an e-mail, a superset of
// its user names email:zgid. It implements storekit.Rows.
func (v *view) WithEmail(ctx context.Context, email string) ([]*zohoauth.Token, error) {
	return v.indexed(ctx, v.s.k.emailIndex(email))
}

func (v *view) keys() keys { return v.s.k }

// MaxID takes a new number from the counter (INCR) and returns the number
// below it, or the greatest staged id when that is greater: NextID of it is
// then an id no other writer is given. The counter changes only when the
// keys the save of the token being planned writes are of their types. It
// implements storekit.Rows.
func (v *view) MaxID(ctx context.Context) (uint64, error) {
	k := v.s.k
	keys := append([]string{k.counter(), k.ids()}, k.indexes(nil, v.planning)...)
	res, err := v.s.alloc.Run(ctx, v.tx, keys, k.tokenPrefix()).Slice()
	if err == nil {
		err = typeReply(res)
	}
	if err != nil {
		return 0, storekit.StoreError(MsgGenerateID, wrongType(err))
	}
	n, ok := res[1].(int64)
	if !ok || n < 1 {
		return 0, storekit.StoreError(MsgGenerateID, fmt.Errorf("the counter gave %v", res[1]))
	}
	return max(uint64(n)-1, v.maxID), nil
}

// plan applies the saving rules to t over the view and stages the result.
func (v *view) plan(ctx context.Context, t *zohoauth.Token) (storekit.SavePlan, error) {
	v.planning = t
	plan, err := storekit.PlanSave(ctx, v, t, MsgDetailsNotFound)
	v.planning = nil
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

// commit writes the staged changes in one MULTI/EXEC of the commit script:
// each token's hash, the index entries that changed, the id set and, for an
// inserted id, the counter, after checking the type of every key it writes.
// An inserted id that turns out to be in use makes update retry.
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
	w := newWrite()
	k := v.s.k
	var oldKeys, newKeys []string
	for _, id := range v.order {
		old, cur := v.fetched[id], v.staged[id]
		oldKeys, newKeys = k.indexes(oldKeys[:0], old), k.indexes(newKeys[:0], cur)
		for _, key := range oldKeys {
			if !slices.Contains(newKeys, key) {
				w.op("SREM", key, "set", id)
			}
		}
		for _, key := range newKeys {
			if !slices.Contains(oldKeys, key) {
				w.op("SADD", key, "set", id)
			}
		}
		if cur == nil {
			w.op("DEL", k.token(id), "hash")
			w.op("ZREM", k.ids(), "zset", id)
			// The token's lifecycle record goes with it, in the same script.
			w.op("DEL", k.life(id), "hash")
			w.op("ZREM", k.lifeIDs(), "zset", id)
			continue
		}
		w.op("HSET", k.token(id), "hash", encode(cur)...)
		if old == nil {
			n, _ := strconv.ParseUint(id, 10, 64) // ValidID: 1 to 10 digits
			w.op("ZADD", k.ids(), "zset", n, id)
			w.op("RAISE", k.counter(), "counter", id)
			// A created token starts with no lifecycle record: a record of
			// its id is an orphan (the counter never gives an id twice, but
			// a caller may give one whose token another program deleted).
			w.op("DEL", k.life(id), "hash")
			w.op("ZREM", k.lifeIDs(), "zset", id)
		}
	}
	for _, id := range v.dropped {
		w.op("ZREM", k.ids(), "zset", id)
	}
	v.execSent = true
	var cmd *redis.Cmd
	_, err := v.tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		cmd = p.EvalSha(ctx, v.s.commit.Hash(), w.keys, w.args()...)
		return nil
	})
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		// Nothing ran: load the script on this node and run again.
		if lerr := v.tx.ScriptLoad(ctx, commitScript).Err(); lerr != nil {
			return lerr
		}
		return errRetry
	}
	if err != nil {
		return err
	}
	res, err := cmd.Slice()
	if err != nil {
		return err
	}
	if err := typeReply(res); err != nil {
		return err
	}
	return v.s.waitReplicas(ctx, v.tx, v.s.replicaWait)
}

// write is the arguments of the commit script being built.
type write struct {
	keys  []string
	index map[string]int // key → its 1-based index in keys
	wants []any          // the type of each key, as keys
	ops   []any
}

func newWrite() *write { return &write{index: map[string]int{}} }

// op adds the operation name on key, which must be absent or of type want,
// with its arguments.
func (w *write) op(name, key, want string, args ...any) {
	i, ok := w.index[key]
	if !ok {
		w.keys = append(w.keys, key)
		w.wants = append(w.wants, want)
		i = len(w.keys)
		w.index[key] = i
	}
	w.ops = append(w.ops, name, i)
	if name == "HSET" {
		w.ops = append(w.ops, len(args)/2)
	}
	w.ops = append(w.ops, args...)
}

// args returns ARGV: the type of each key, then the operations.
func (w *write) args() []any { return append(slices.Clip(w.wants), w.ops...) }
