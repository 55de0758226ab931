package sqlstore_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/sqlstore/sqlite"
)

// The environment of a child process of TestSQLiteOpenRace.
const (
	envOpenRacePath  = "ZOHOAUTH_SQLSTORE_OPENRACE_PATH"  // the database every child opens
	envOpenRaceStart = "ZOHOAUTH_SQLSTORE_OPENRACE_START" // when to open, Unix nanoseconds
)

// TestSQLiteOpenRace opens one SQLite database from 8 processes at the same
// moment, 20 times over, on a new database and on an existing one: the
// schema preparation waits out the others (busy timeout) rather than
// failing with "database is locked".
func TestSQLiteOpenRace(t *testing.T) {
	if path, ok := os.LookupEnv(envOpenRacePath); ok {
		openRaceChild(t, path)
		return
	}
	if testing.Short() {
		t.Skip("starts 320 processes")
	}
	const procs, rounds = 8, 20
	for _, existing := range []bool{false, true} {
		name := "new"
		if existing {
			name = "existing"
		}
		t.Run(name, func(t *testing.T) {
			failures := 0
			for r := range rounds {
				path := filepath.Join(t.TempDir(), "race.db")
				if existing {
					s := openSQLite(t, path)
					if err := s.Close(); err != nil {
						t.Fatal(err)
					}
				}
				// Every child waits for the same moment, so that their
				// opens meet.
				start := strconv.FormatInt(time.Now().Add(300*time.Millisecond).UnixNano(), 10)
				var wg sync.WaitGroup
				out := make([][]byte, procs)
				errs := make([]error, procs)
				for p := range procs {
					cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSQLiteOpenRace$", "-test.count=1")
					cmd.Env = append(os.Environ(), envOpenRacePath+"="+path, envOpenRaceStart+"="+start)
					wg.Go(func() { out[p], errs[p] = cmd.CombinedOutput() })
				}
				wg.Wait()
				for p := range procs {
					if errs[p] != nil {
						failures++
						t.Errorf("round %d, process %d: %v\n%s", r, p, errs[p], out[p])
					}
				}
			}
			t.Logf("%d processes × %d rounds: %d failures", procs, rounds, failures)
		})
	}
}

// openRaceChild opens the store at path at the parent's moment, saves
// nothing, and closes it.
func openRaceChild(t *testing.T, path string) {
	ns, err := strconv.ParseInt(os.Getenv(envOpenRaceStart), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(time.Unix(0, ns)))
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if _, err := s.Tokens(t.Context()); err != nil {
		t.Fatalf("tokens: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}
