package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

// Messages of the store's errors. Zoho's SDKs have no Redis store; these
// follow the texts of Zoho's DBStore with "RedisStore" in its place.
const (
	MsgGetToken        = "Exception in getToken - RedisStore"
	MsgDetailsNotFound = "Exception in RedisStore : Given user authentication details not found."
	MsgSaveToken       = "Exception in save_token - RedisStore"
	MsgDeleteToken     = "Exception in delete_token - RedisStore"
	MsgGetTokens       = "Exception in get_tokens - RedisStore"
	MsgDeleteTokens    = "Exception in delete_tokens - RedisStore"
	MsgGetTokenByID    = "Exception in findTokenById() - RedisStore : Given Id is invalid"
	MsgGenerateID      = "Exception in generateId() - RedisStore"
	MsgOpen            = "Exception in open - RedisStore"
	MsgLock            = "Exception in lock - RedisStore"
)

// ErrContention reports a write that lost to concurrent writers of the same
// keys more times than the store retries (WithMaxAttempts).
var ErrContention = errors.New("redisstore: too many concurrent writers of the same tokens")

// DefaultPrefix is the key prefix of a store made without WithPrefix.
const DefaultPrefix = "zohoauth:"

// defaultMaxAttempts is how many times a write runs before it gives up with
// ErrContention.
const defaultMaxAttempts = 1000

// Store is a zohoauth.Store on Redis. It is safe for concurrent use by
// goroutines and by processes that share the Redis and the prefix.
type Store struct {
	c           redis.UniversalClient
	k           keys
	owned       bool // Close closes c
	maxAttempts int
	log         *slog.Logger  // nil: silent
	replicas    int           // writes wait for this many replicas (WAIT)
	replicaWait time.Duration // for at most this long
	find        *redis.Script
	alloc       *redis.Script
	commit      *redis.Script
	extend      *redis.Script
	release     *redis.Script
	noWake      bool                                     // WithoutLockWake
	lockWake    storekit.Waker                           // wakes the waiters of Lock (lockwake.go)
	listener    storekit.Listener                        // their subscription to other processes' releases
	polls       struct{ min, max, listen time.Duration } // of Lock's waiters; zero: the defaults (tests change them)
}

var (
	_ zohoauth.Store             = (*Store)(nil)
	_ zohoauth.BatchSaver        = (*Store)(nil)
	_ zohoauth.Locker            = (*Store)(nil)
	_ zohoauth.CompareAndSwapper = (*Store)(nil)
	_ zohoauth.LifecycleKeeper   = (*Store)(nil)
)

// An Option configures a Store.
type Option func(*Store)

// WithPrefix sets the prefix of every key of the store (DefaultPrefix by
// default). Stores with different prefixes in one Redis are independent. On
// a Redis Cluster a prefix without a hash tag (a "{…}" with something
// between the braces) is used in braces, to keep every key in one slot.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.k.prefix = prefix }
}

// DefaultReplicaTimeout is how long a write on a Redis Cluster waits for its
// replica by default (see WithReplicas).
const DefaultReplicaTimeout = 2 * time.Second

// ErrNotReplicated reports a write that the primary applied but fewer
// replicas than WithReplicas asks for confirmed in time: it may be lost if
// the primary fails now, so the store does not acknowledge it.
var ErrNotReplicated = errors.New("redisstore: the write reached fewer replicas than required")

// WithReplicas makes every write (a save, a delete, a lock taken) wait until
// n replicas of the primary confirm it (Redis's WAIT), for at most timeout;
// when fewer confirm, the write fails with ErrNotReplicated (the primary
// has it; a failover may lose it). Taking a lock waits for at most half its
// lease. Redis replicates asynchronously: without
// it, a write acknowledged by a primary that dies before its replica has it
// is lost when the replica is promoted. Off (n = 0) on a single Redis, n = 1
// with DefaultReplicaTimeout on a Redis Cluster; n < 1 turns it off.
func WithReplicas(n int, timeout time.Duration) Option {
	return func(s *Store) { s.replicas, s.replicaWait = max(n, 0), timeout }
}

// WithMaxAttempts sets how many times a save or delete that keeps losing to
// concurrent writers of the same keys is run before it fails with
// ErrContention (1000 by default; values below 1 mean 1).
func WithMaxAttempts(n int) Option {
	return func(s *Store) { s.maxAttempts = max(n, 1) }
}

// New returns a Store on client. The caller keeps ownership of the client:
// Close does not close it. On a *redis.ClusterClient every key of the store
// must be in one hash slot: a prefix without a hash tag (WithPrefix, the
// default included) is used in braces, so "zohoauth:" becomes
// "{zohoauth:}"; and writes wait for one replica unless WithReplicas says
// otherwise.
func New(client redis.UniversalClient, opts ...Option) *Store {
	s := &Store{
		c:           client,
		k:           keys{prefix: DefaultPrefix},
		maxAttempts: defaultMaxAttempts,
		find:        redis.NewScript(findScript),
		alloc:       redis.NewScript(allocScript),
		commit:      redis.NewScript(commitScript),
		extend:      redis.NewScript(extendScript),
		release:     redis.NewScript(releaseScript),
	}
	if _, ok := client.(*redis.ClusterClient); ok {
		s.replicas, s.replicaWait = 1, DefaultReplicaTimeout
	}
	s.listener.Run, s.listener.Waker, s.listener.Linger = s.listen, &s.lockWake, listenLinger
	for _, o := range opts {
		o(s)
	}
	if _, ok := client.(*redis.ClusterClient); ok && !hasHashTag(s.k.prefix) {
		s.k.prefix = "{" + s.k.prefix + "}"
	}
	return s
}

// Open connects to the Redis of url, checks it answers, and returns a Store
// that owns the connection: Close closes it. Errors never show the
// password. url is one of
//
//	redis://[user:password@]host:port[/db][?options]
//	rediss://…                        the same over TLS
//	redis+cluster://[user:password@]host:port[,host:port…][/][?options]
//	rediss+cluster://…                a Redis Cluster over TLS
//
// where options are go-redis's (redis.ParseURL and redis.ParseClusterURL:
// dial_timeout=3s, …). A cluster URL names one or more nodes of the
// cluster, which tells go-redis the others; its store waits for one
// replica by default (see WithReplicas). Open routes go-redis's own log
// lines to the store's logger, silent by default (see WithLogger).
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	var (
		c    redis.UniversalClient
		addr string
	)
	if rest, ok := cutClusterScheme(url); ok {
		o, err := parseClusterURL(rest)
		if err != nil {
			return nil, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: MsgOpen, Detail: err.Error()}
		}
		c, addr = redis.NewClusterClient(o), strings.Join(o.Addrs, ",")
	} else {
		o, err := redis.ParseURL(url)
		if err != nil {
			// ParseURL's errors may quote the URL, password included.
			return nil, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: MsgOpen, Detail: "not a redis://, rediss:// or redis+cluster:// URL"}
		}
		c, addr = redis.NewClient(o), o.Addr
	}
	s := New(c, opts...)
	s.owned = true
	s.installDriverLogger()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: MsgOpen, Detail: "address " + addr, Err: err}
	}
	return s, nil
}

// Close closes the client when the store opened it (Open); a store made
// with New leaves its client open.
func (s *Store) Close() error {
	s.listener.Close()
	if !s.owned {
		return nil
	}
	return s.c.Close()
}

// Client returns the store's Redis client.
func (s *Store) Client() redis.UniversalClient { return s.c }

// Prefix returns the prefix of the store's keys.
func (s *Store) Prefix() string { return s.k.prefix }

// storeErr wraps err with msg, keeping an *zohoauth.Error that is already
// one (the saving rules' errors, not-found errors) as it is.
func storeErr(msg string, err error) error {
	if ze, ok := errors.AsType[*zohoauth.Error](err); ok && ze.Code == zohoauth.CodeTokenStore {
		return err
	}
	return storekit.StoreError(msg, err)
}

// FindToken returns the stored token that matches t (see zohoauth.Store).
func (s *Store) FindToken(ctx context.Context, t *zohoauth.Token) (*zohoauth.Token, error) {
	found, err := storekit.Find(ctx, reader{s}, t)
	if err != nil {
		s.reloadOnConnError(ctx, err)
		return nil, storeErr(MsgGetToken, err)
	}
	return found, nil
}

// FindTokenByID returns the token with the given id.
func (s *Store) FindTokenByID(ctx context.Context, id string) (*zohoauth.Token, error) {
	var found *zohoauth.Token
	var err error
	if storekit.ValidID(id) {
		found, err = s.byID(ctx, id)
	}
	if err != nil {
		s.reloadOnConnError(ctx, err)
		return nil, storekit.StoreError(MsgGetTokenByID, err)
	}
	if found == nil {
		return nil, storekit.StoreError(MsgGetTokenByID, zohoauth.ErrNotFound)
	}
	return found, nil
}

func (s *Store) byID(ctx context.Context, id string) (*zohoauth.Token, error) {
	m, err := s.c.HGetAll(ctx, s.k.token(id)).Result()
	if err != nil {
		return nil, err
	}
	return decodeMap(id, m)
}

// SaveToken inserts or updates t (see zohoauth.Store) and updates t to the
// stored value.
func (s *Store) SaveToken(ctx context.Context, t *zohoauth.Token) error {
	var plan storekit.SavePlan
	err := s.update(ctx, MsgSaveToken, func(ctx context.Context, v *view) error {
		var err error
		plan, err = v.plan(ctx, t)
		return err
	})
	if err != nil {
		return err
	}
	*t = *plan.Token
	return nil
}

// SaveTokens saves tokens in order as SaveToken does, in one transaction:
// all or nothing. It implements zohoauth.BatchSaver.
func (s *Store) SaveTokens(ctx context.Context, tokens []*zohoauth.Token) error {
	plans := make([]storekit.SavePlan, len(tokens))
	err := s.update(ctx, MsgSaveToken, func(ctx context.Context, v *view) error {
		for i, t := range tokens {
			var err error
			if plans[i], err = v.plan(ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i, t := range tokens {
		*t = *plans[i].Token
	}
	return nil
}

// SwapToken saves t only if the stored token with old.ID still has old's
// access token and expiry. It implements zohoauth.CompareAndSwapper.
func (s *Store) SwapToken(ctx context.Context, old, t *zohoauth.Token) error {
	if !storekit.ValidID(old.ID) {
		return storekit.StoreError(MsgGetTokenByID, zohoauth.ErrNotFound)
	}
	var plan storekit.SavePlan
	err := s.update(ctx, MsgSaveToken, func(ctx context.Context, v *view) error {
		cur, err := v.token(ctx, old.ID)
		if err != nil {
			return err
		}
		if cur == nil {
			return storekit.StoreError(MsgGetTokenByID, zohoauth.ErrNotFound)
		}
		if cur.AccessToken != old.AccessToken || !cur.Expiry.Equal(old.Expiry) {
			return storekit.StoreError(MsgSaveToken, zohoauth.ErrStale)
		}
		u := t.Clone()
		u.ID = old.ID
		plan, err = v.plan(ctx, u)
		return err
	})
	if err != nil {
		return err
	}
	*t = *plan.Token
	return nil
}

// DeleteToken deletes the token with the given id.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	if !storekit.ValidID(id) {
		return storekit.StoreError(MsgDeleteToken, zohoauth.ErrNotFound)
	}
	return s.update(ctx, MsgDeleteToken, func(ctx context.Context, v *view) error {
		cur, err := v.token(ctx, id)
		if err != nil {
			return err
		}
		if cur == nil {
			return storekit.StoreError(MsgDeleteToken, zohoauth.ErrNotFound)
		}
		v.stage(id, nil)
		return nil
	})
}

// pageSize is how many tokens Tokens reads and DeleteTokens deletes per
// round trip or transaction.
const pageSize = 500

// DeleteTokens deletes every stored token, a page of tokens, their index
// entries and their lifecycle records per transaction, then the lifecycle
// records left (orphans). The id counter is kept: ids are never reused.
func (s *Store) DeleteTokens(ctx context.Context) error {
	for {
		ids, err := s.c.ZRange(ctx, s.k.ids(), 0, pageSize-1).Result()
		if err != nil {
			return storekit.StoreError(MsgDeleteTokens, err)
		}
		if len(ids) == 0 {
			if err := s.deleteAllLives(ctx); err != nil {
				return storekit.StoreError(MsgDeleteTokens, wrongType(err))
			}
			return nil
		}
		err = s.update(ctx, MsgDeleteTokens, func(ctx context.Context, v *view) error {
			if err := v.fetch(ctx, ids); err != nil {
				return err
			}
			for _, id := range ids {
				if cur, _ := v.token(ctx, id); cur != nil {
					v.stage(id, nil)
				} else {
					v.dropID(id) // an id without a token: only the id set holds it
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
}

// Tokens returns all stored tokens, ordered by numeric id.
func (s *Store) Tokens(ctx context.Context) ([]*zohoauth.Token, error) {
	ids, err := s.c.ZRange(ctx, s.k.ids(), 0, -1).Result()
	if err != nil {
		return nil, storekit.StoreError(MsgGetTokens, err)
	}
	out := make([]*zohoauth.Token, 0, len(ids))
	for start := 0; start < len(ids); start += pageSize {
		page := ids[start:min(start+pageSize, len(ids))]
		cmds := make([]*redis.MapStringStringCmd, len(page))
		_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range page {
				cmds[i] = p.HGetAll(ctx, s.k.token(id))
			}
			return nil
		})
		if err != nil {
			return nil, storekit.StoreError(MsgGetTokens, err)
		}
		for i, id := range page {
			t, err := decodeMap(id, cmds[i].Val())
			if err != nil {
				return nil, storekit.StoreError(MsgGetTokens, err)
			}
			if t != nil { // nil: deleted since the id list was read
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// findScript returns, for the index set KEYS[1], each id it holds followed
// by the HGETALL of its token (ARGV[1] is the token key prefix): one round
// trip and an atomic read of an index and the tokens it names.
const findScript = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGETALL', ARGV[1] .. id)
end
return out
`

// reader is the storekit.Rows of a find: reads outside any transaction.
type reader struct{ s *Store }

// Lookup returns the token with the lowest id that matches k.
func (r reader) Lookup(ctx context.Context, k storekit.Key) (*zohoauth.Token, error) {
	return lookup(ctx, r, k)
}

// WithUserName returns the tokens of a user name.
func (r reader) WithUserName(ctx context.Context, name string) ([]*zohoauth.Token, error) {
	return withUserName(ctx, r, name)
}

func (r reader) token(ctx context.Context, id string) (*zohoauth.Token, error) {
	return r.s.byID(ctx, id)
}

// MaxID returns the id counter, which is at least every id in use.
func (r reader) MaxID(ctx context.Context) (uint64, error) {
	n, err := r.s.c.Get(ctx, r.s.k.counter()).Uint64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}

// WithEmail returns the tokens of the index of an e-mail, a superset of
// its user names email:zgid.
func (r reader) WithEmail(ctx context.Context, email string) ([]*zohoauth.Token, error) {
	return r.indexed(ctx, r.s.k.emailIndex(email))
}

func (r reader) keys() keys { return r.s.k }

// indexed returns the tokens that the index key names.
func (r reader) indexed(ctx context.Context, key string) ([]*zohoauth.Token, error) {
	res, err := r.s.find.Run(ctx, r.s.c, []string{key}, r.s.k.tokenPrefix()).Slice()
	if err != nil {
		return nil, err
	}
	if len(res)%2 != 0 {
		return nil, fmt.Errorf("find script returned %d elements", len(res))
	}
	out := make([]*zohoauth.Token, 0, len(res)/2)
	for i := 0; i < len(res); i += 2 {
		id, _ := res[i].(string)
		kv, _ := res[i+1].([]any)
		t, err := decodePairs(id, kv)
		if err != nil {
			return nil, err
		}
		if t != nil {
			out = append(out, t)
		}
	}
	return out, nil
}

// source is what lookup and withUserName read: a token by id, and the
// tokens an index names (which the caller checks with Key.Matches).
type source interface {
	token(ctx context.Context, id string) (*zohoauth.Token, error)
	indexed(ctx context.Context, key string) ([]*zohoauth.Token, error)
	keys() keys
}

// lookup returns the token of src with the lowest id that matches k, or nil.
func lookup(ctx context.Context, src source, k storekit.Key) (*zohoauth.Token, error) {
	if k.Field == storekit.FieldID {
		if !storekit.ValidID(k.Value) {
			return nil, nil
		}
		t, err := src.token(ctx, k.Value)
		if err != nil || t == nil || !k.Matches(t) {
			return nil, err
		}
		return t, nil
	}
	if k.Value == "" {
		return nil, nil
	}
	ts, err := src.indexed(ctx, src.keys().index(k.Field, k.Value))
	if err != nil {
		return nil, err
	}
	return lowest(ts, k), nil
}

// withUserName returns every token of src with the user name name.
func withUserName(ctx context.Context, src source, name string) ([]*zohoauth.Token, error) {
	if name == "" {
		return nil, nil
	}
	ts, err := src.indexed(ctx, src.keys().index(storekit.FieldUserName, name))
	if err != nil {
		return nil, err
	}
	out := ts[:0]
	for _, t := range ts {
		if t.UserName == name {
			out = append(out, t)
		}
	}
	return out, nil
}

// lowest returns the token of ts with the lowest id that matches k, or nil.
func lowest(ts []*zohoauth.Token, k storekit.Key) *zohoauth.Token {
	var best *zohoauth.Token
	for _, t := range ts {
		if t != nil && k.Matches(t) && (best == nil || storekit.CompareIDs(t.ID, best.ID) < 0) {
			best = t
		}
	}
	return best
}
