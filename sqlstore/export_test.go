package sqlstore

import (
	"context"
	"time"

	"github.com/zohoauth/zohoauth"
)

// StoreErr is the error a Store on drv reports for err with the message msg.
func StoreErr(drv Driver, msg string, err error) error { return (&Store{drv: drv}).storeErr(msg, err) }

// KeepOrphans makes the inserts of s leave the lifecycle records of their
// ids, as before: the baseline of BenchmarkInsertOrphanCheck.
func KeepOrphans(s *Store) { s.keepOrphans = true }

// SetLockPolls sets the polls of s's Lock waiters: min to max, and listen
// while they listen for releases.
func SetLockPolls(s *Store, min, max, listen time.Duration) {
	s.polls.min, s.polls.max, s.polls.listen = min, max, listen
}

// WakeName is the MySQL named lock that the holder of the lock name holds.
func WakeName(s *Store, name string) string { return s.wakeName(lockRowKey(name)) }

// ChunkStmts returns how many statements of full runs of inChunks s holds
// prepared.
func ChunkStmts(s *Store) int {
	s.updMu.Lock()
	defer s.updMu.Unlock()
	n := 0
	for _, st := range s.chunks {
		if st != nil {
			n++
		}
	}
	return n
}

// SwapAccess is s.swapAccess: the one-statement swap of SwapToken.
func SwapAccess(s *Store, ctx context.Context, old, in *zohoauth.Token) (bool, error) {
	return s.swapAccess(ctx, old, in)
}
