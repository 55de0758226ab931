package storetest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/storetest"
)

func openFile(t *testing.T, file string) zohoauth.Store {
	s, err := filestore.New(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// smallRun is a quick run on a file that the processes share.
var smallRun = storetest.ProcessOptions{
	Setup:      func(t *testing.T) string { return filepath.Join(t.TempDir(), "tokens.csv") },
	Goroutines: 4,
	Users:      40,
	Rounds:     2,
	LockRounds: 3,
}

// TestMultiProcessFile runs both checks, in subtests, on a file store.
func TestMultiProcessFile(t *testing.T) {
	t.Run("save", func(t *testing.T) {
		checked := false
		opts := smallRun
		opts.Check = func(t *testing.T, s zohoauth.Store, file string) {
			if _, err := os.Stat(file); err != nil {
				t.Errorf("Check got shared %q: %v", file, err)
			}
			checked = true
		}
		storetest.MultiProcess(t, openFile, opts)
		if !checked && !storetest.IsChild() && !t.Failed() {
			t.Error("Check did not run")
		}
	})
	t.Run("lock", func(t *testing.T) {
		storetest.MultiProcessLock(t, openFile, smallRun)
	})
}

// TestMultiProcessCatchesUnsharedStore runs MultiProcess in a child test
// on memory stores, which processes do not share: the parent's store holds
// none of the children's users, and the check must say so.
func TestMultiProcessCatchesUnsharedStore(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: spawns processes")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestUnsharedChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "STORETEST_UNSHARED=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("MultiProcess passed a store the processes do not share:\n%s", out)
	}
	if !strings.Contains(string(out), "0 tokens for 40 users") {
		t.Fatalf("MultiProcess did not report the lost users:\n%s", out)
	}
}

func TestUnsharedChild(t *testing.T) {
	if os.Getenv("STORETEST_UNSHARED") == "" {
		t.Skip("run by TestMultiProcessCatchesUnsharedStore in a child process")
	}
	storetest.MultiProcess(t, func(*testing.T, string) zohoauth.Store { return memory.New() }, smallRun)
}

// TestMultiProcessLockClaims runs MultiProcessLock in a child test on a
// store that is not a Locker: with Locker claimed it fails, unclaimed it
// skips.
func TestMultiProcessLockClaims(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: spawns processes")
	}
	for _, tc := range []struct {
		env, want string
		fails     bool
	}{
		{"claimed", "claims zohoauth.Locker but is not one", true},
		{"unclaimed", "--- SKIP: TestLockClaimsChild", false},
	} {
		t.Run(tc.env, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestLockClaimsChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "STORETEST_LOCK_CLAIMS="+tc.env)
			out, err := cmd.CombinedOutput()
			if (err != nil) != tc.fails || !strings.Contains(string(out), tc.want) {
				t.Fatalf("MultiProcessLock on a store without Locker, %s: error %v, want failed=%v and %q in:\n%s", tc.env, err, tc.fails, tc.want, out)
			}
		})
	}
}

func TestLockClaimsChild(t *testing.T) {
	v := os.Getenv("STORETEST_LOCK_CLAIMS")
	if v == "" {
		t.Skip("run by TestMultiProcessLockClaims in a child process")
	}
	opts := smallRun
	if v == "claimed" {
		opts.Claims = []storetest.Capability{storetest.Locker}
	}
	storetest.MultiProcessLock(t, func(t *testing.T, file string) zohoauth.Store { return hidden{openFile(t, file)} }, opts)
}
