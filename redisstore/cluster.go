package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// cutClusterScheme returns the URL in go-redis's scheme (redis:// or
// rediss://) when u is a redis+cluster:// or rediss+cluster:// URL.
func cutClusterScheme(u string) (string, bool) {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return "", false
	}
	switch strings.ToLower(scheme) {
	case "redis+cluster":
		return "redis://" + rest, true
	case "rediss+cluster":
		return "rediss://" + rest, true
	}
	return "", false
}

// parseClusterURL reads a cluster URL (in go-redis's scheme) whose host is a
// comma-separated list of nodes. Errors never quote the URL, which may hold
// a password.
func parseClusterURL(raw string) (*redis.ClusterOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("not a redis+cluster:// URL")
	}
	hosts := strings.Split(u.Host, ",")
	for _, h := range hosts {
		if h == "" || !strings.Contains(h, ":") {
			return nil, fmt.Errorf("a cluster URL names its nodes as host:port[,host:port…]")
		}
	}
	if p := strings.TrimPrefix(u.Path, "/"); p != "" && p != "0" {
		return nil, fmt.Errorf("a Redis Cluster has database 0 only")
	}
	u.Path = ""
	// go-redis reads the other nodes from addr parameters.
	q := u.Query()
	if _, ok := q["addr"]; ok {
		return nil, fmt.Errorf("name the nodes in the host list, not with addr=")
	}
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}
	u.Host = hosts[0]
	u.RawQuery = q.Encode()
	o, err := redis.ParseClusterURL(u.String())
	if err != nil {
		// Its errors may quote the URL, password included.
		return nil, fmt.Errorf("bad cluster URL options (go-redis's ClusterOptions in snake case)")
	}
	// go-redis learns of a new primary from a MOVED answer or when it
	// reloads the slots (every minute by default); a dead primary answers
	// nothing, so without a short interval the store would keep dialling
	// it for up to a minute after its replica took over.
	o.ClusterStateReloadInterval = clusterReload
	return o, nil
}

// clusterReload is how often a cluster client that Open makes reloads the
// map of slots to nodes.
const clusterReload = time.Second

// reloadOnConnError asks a cluster client to reload its map of slots when
// err is a network error: the node that failed may be a primary that was
// replaced. The reload runs in the background.
func (s *Store) reloadOnConnError(ctx context.Context, err error) {
	cc, ok := s.c.(*redis.ClusterClient)
	if !ok || err == nil {
		return
	}
	if _, isNet := errors.AsType[net.Error](err); isNet || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		cc.ReloadState(ctx)
	}
}

// hasHashTag reports whether every key under prefix hashes by a hash tag of
// the prefix: its first '{' is followed, within the prefix, by a '}' with at
// least one byte between them.
func hasHashTag(prefix string) bool {
	i := strings.IndexByte(prefix, '{')
	if i < 0 {
		return false
	}
	j := strings.IndexByte(prefix[i+1:], '}')
	return j > 0
}

// waitReplicas waits, on the connection of the transaction c that just
// wrote, until the store's number of replicas confirmed the write (WAIT),
// for at most timeout.
func (s *Store) waitReplicas(ctx context.Context, c *redis.Tx, timeout time.Duration) error {
	if s.replicas < 1 {
		return nil
	}
	timeout = max(timeout, time.Millisecond)
	n, err := c.Wait(ctx, s.replicas, timeout).Result()
	if err != nil {
		return fmt.Errorf("wait for %d replicas: %w", s.replicas, err)
	}
	if int(n) < s.replicas {
		return fmt.Errorf("%d of %d replicas confirmed within %v: %w", n, s.replicas, timeout, ErrNotReplicated)
	}
	return nil
}
