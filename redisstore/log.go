package redisstore

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// WithLogger sets the logger of a store that Open makes (silent by
// default). go-redis writes lines of its own (a failed dial, a cluster
// reloading its slots) to one logger per process, set with redis.SetLogger;
// it has no logger per client. Open, which makes the client, installs a
// logger that sends those lines to this one, at level Warn, as message
// "redisstore: go-redis" with the line as attribute "line"; without
// WithLogger they are discarded, so that a store's typed error is the whole
// report of an unreachable Redis. The last Open of the process sets that
// logger for every go-redis client of the process. New, given a client the
// caller made, never touches go-redis's logger: a program that configures
// go-redis's logging itself makes its client and uses New.
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) { s.log = l }
}

// driverLogger gives go-redis's lines to a slog.Logger; a nil logger
// discards them.
type driverLogger struct{ log *slog.Logger }

// Printf logs one line of go-redis.
func (d driverLogger) Printf(ctx context.Context, format string, v ...any) {
	if d.log == nil {
		return
	}
	d.log.WarnContext(ctx, "redisstore: go-redis", "line", fmt.Sprintf(format, v...))
}

// installDriverLogger routes go-redis's process-wide logging to the store's
// logger (see WithLogger).
func (s *Store) installDriverLogger() { redis.SetLogger(driverLogger{s.log}) }
