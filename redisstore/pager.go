package redisstore

import (
	"context"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/storekit"
)

var _ zohoauth.Pager = (*Store)(nil)

// TokensAfter implements zohoauth.Pager: at most limit tokens whose numeric
// id is greater than after ("" for the first page), ordered by numeric id
// (ties, such as "7" and "007", by the id text). It reads the sorted set of
// ids by score (ZRANGEBYSCORE with an exclusive bound and LIMIT), then the
// tokens' hashes in one pipeline. A RedisStore holds numeric ids only.
func (s *Store) TokensAfter(ctx context.Context, after string, limit int) ([]*zohoauth.Token, error) {
	if limit < 1 {
		return nil, &zohoauth.Error{Code: zohoauth.CodeTokenStore, Message: MsgGetTokens, Detail: "page size " + strconv.Itoa(limit) + ", want at least 1"}
	}
	if after != "" && !storekit.ValidID(after) {
		return nil, storekit.StoreError("invalid token id", zohoauth.ErrInvalidID)
	}
	out := make([]*zohoauth.Token, 0, limit)
	for {
		want := limit - len(out)
		ids, err := s.idsAfter(ctx, after, want)
		if err != nil {
			return nil, storekit.StoreError(MsgGetTokens, err)
		}
		if len(ids) == 0 {
			return out, nil
		}
		cmds := make([]*redis.MapStringStringCmd, len(ids))
		_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range ids {
				cmds[i] = p.HGetAll(ctx, s.k.token(id))
			}
			return nil
		})
		if err != nil {
			return nil, storekit.StoreError(MsgGetTokens, err)
		}
		for i, id := range ids {
			t, err := decodeMap(id, cmds[i].Val())
			if err != nil {
				return nil, storekit.StoreError(MsgGetTokens, err)
			}
			if t != nil { // nil: deleted since the ids were read
				out = append(out, t)
			}
		}
		// A token deleted meanwhile leaves the page short: read on, so that
		// only the last page is short.
		if len(out) == limit || len(ids) < want {
			return out, nil
		}
		after = ids[len(ids)-1]
	}
}

// idsAfter returns at most limit ids after after in numeric id order, in
// one round trip: the ids of a greater score, and those of after's score
// (as "7" and "007") that come after it as text, as the sorted set orders
// them.
func (s *Store) idsAfter(ctx context.Context, after string, limit int) ([]string, error) {
	return s.zAfter(ctx, s.k.ids(), after, limit)
}

// zAfter is idsAfter on the sorted set of ids key (the id set, or the set
// of lifecycle records).
func (s *Store) zAfter(ctx context.Context, key, after string, limit int) ([]string, error) {
	if after == "" {
		return s.c.ZRangeByScore(ctx, key, &redis.ZRangeBy{Min: "-inf", Max: "+inf", Count: int64(limit)}).Result()
	}
	n, _ := strconv.ParseUint(after, 10, 64) // a valid id: 1 to 10 digits
	score := strconv.FormatUint(n, 10)
	var tie, next *redis.StringSliceCmd
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		tie = p.ZRangeByScore(ctx, key, &redis.ZRangeBy{Min: score, Max: score})
		next = p.ZRangeByScore(ctx, key, &redis.ZRangeBy{Min: "(" + score, Max: "+inf", Count: int64(limit)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range tie.Val() {
		if id > after {
			ids = append(ids, id)
		}
	}
	ids = append(ids, next.Val()...)
	return ids[:min(len(ids), limit)], nil
}
