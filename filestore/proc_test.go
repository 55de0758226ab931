package filestore_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
)

// The tests below re-execute the test binary as child processes; TestMain
// runs the child's part when these variables are set.
const (
	envChild = "ZOHOAUTH_FILESTORE_CHILD" // "saver", "hammer", "locker" or "holder"
	envFile  = "ZOHOAUTH_FILESTORE_FILE"
	envBase  = "ZOHOAUTH_FILESTORE_BASE"
)

func TestMain(m *testing.M) {
	switch os.Getenv(envChild) {
	case "":
		os.Exit(m.Run())
	case "saver":
		os.Exit(childSaver())
	case "hammer":
		os.Exit(childHammer())
	case "locker":
		os.Exit(childLocker())
	case "holder":
		os.Exit(childHolder())
	default:
		fmt.Fprintln(os.Stderr, "unknown child", os.Getenv(envChild))
		os.Exit(2)
	}
}

// childToken is the token child n saves; a parent rebuilds it to check the
// file.
func childToken(n int) *zohoauth.Token {
	return &zohoauth.Token{
		UserName:     fmt.Sprintf("user%d@example.com:%d", n, 9000+n),
		ClientID:     "1000.CLIENT",
		ClientSecret: "secret",
		RefreshToken: fmt.Sprintf("1000.refresh.%d", n),
		AccessToken:  fmt.Sprintf("1000.access.%d", n),
		Expiry:       time.UnixMilli(1795879420612 + int64(n)),
		APIDomain:    "https://www.zohoapis.com",
	}
}

// childSaver saves tokens base, base+1, … one after the other and, after
// each save returns, writes "saved N ID" on stdout, until it is killed.
func childSaver() int {
	base, _ := strconv.Atoi(os.Getenv(envBase))
	s, err := filestore.New(os.Getenv(envFile))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	for n := base; ; n++ {
		t := childToken(n)
		if err := s.SaveToken(context.Background(), t); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("saved %d %s\n", n, t.ID)
	}
}

func startChild(t *testing.T, kind, file string, base int) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+kind, envFile+"="+file, envBase+"="+strconv.Itoa(base))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out)
}

// TestCrashSafety kills a saving child with SIGKILL at random moments, 100
// times; after each kill the file must parse and hold every save the child
// reported as returned.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns 100 processes")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, filestore.DefaultFile)
	midWrite := 0
	saved := map[int]string{} // token number → id, of every save that returned
	rng := rand.New(rand.NewPCG(1, 2))
	next := 0
	for kill := range 100 {
		cmd, out := startChild(t, "saver", file, next)
		if !out.Scan() || out.Text() != "ready" {
			t.Fatalf("child %d did not start: %v", kill, out.Err())
		}
		time.Sleep(time.Duration(rng.IntN(8000)) * time.Microsecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for out.Scan() { // what the child wrote before it died
			var n int
			var id string
			if _, err := fmt.Sscanf(out.Text(), "saved %d %s", &n, &id); err != nil {
				t.Fatalf("child %d wrote %q", kill, out.Text())
			}
			saved[n] = id
			next = n + 1
		}
		_ = cmd.Wait()
		if temps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(temps) > 0 {
			midWrite++ // the next child's first save removes it
		}
		next++ // the save in flight may or may not have landed: skip its number

		data, err := os.ReadFile(file)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		tokens, err := filestore.Parse(data)
		if err != nil {
			t.Fatalf("after kill %d the file does not parse: %v", kill, err)
		}
		byUser := map[string]*zohoauth.Token{}
		for _, tok := range tokens {
			byUser[tok.UserName] = tok
		}
		for n, id := range saved {
			want := childToken(n)
			got := byUser[want.UserName]
			if got == nil || got.ID != id || got.RefreshToken != want.RefreshToken || !got.Expiry.Equal(want.Expiry) {
				t.Fatalf("after kill %d the save of token %d (id %s) is lost or changed", kill, n, id)
			}
		}
	}
	t.Logf("100 kills, %d saves confirmed, %d kills during a write (a temporary file left)", len(saved), midWrite)
}

// childHammer runs 16 goroutines that each insert tokens base+g*per … with
// one store, then reports "done".
func childHammer() int {
	base, _ := strconv.Atoi(os.Getenv(envBase))
	s, err := filestore.New(os.Getenv(envFile))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var wg sync.WaitGroup
	errs := make(chan error, hammerGoroutines)
	for g := range hammerGoroutines {
		wg.Go(func() {
			for i := range hammerPer {
				n := base + g*hammerPer + i
				if err := s.SaveToken(context.Background(), childToken(n)); err != nil {
					errs <- err
					return
				}
				// Update the token again: an update must not be lost either.
				up := &zohoauth.Token{UserName: childToken(n).UserName, AccessToken: fmt.Sprintf("updated.%d", n)}
				if err := s.SaveToken(context.Background(), up); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("done")
	return 0
}

const (
	hammerProcs      = 4
	hammerGoroutines = 16
	hammerPer        = 3
)

// TestProcessesShareFile runs 4 processes of 16 goroutines each, inserting
// and updating tokens of one file: every insert and every update must be in
// the file at the end, each token under its own id.
func TestProcessesShareFile(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	file := t.TempDir() + "/" + filestore.DefaultFile
	per := hammerGoroutines * hammerPer
	var cmds []*exec.Cmd
	var outs []*bufio.Scanner
	for p := range hammerProcs {
		cmd, out := startChild(t, "hammer", file, p*per)
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for p, cmd := range cmds {
		if !outs[p].Scan() || outs[p].Text() != "done" {
			t.Errorf("process %d failed", p)
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v", p, err)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := filestore.Parse(data) // Parse rejects duplicate ids
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != hammerProcs*per {
		t.Fatalf("file holds %d tokens, want %d", len(tokens), hammerProcs*per)
	}
	byUser := map[string]*zohoauth.Token{}
	for _, tok := range tokens {
		byUser[tok.UserName] = tok
	}
	for n := range hammerProcs * per {
		want := childToken(n)
		got := byUser[want.UserName]
		if got == nil {
			t.Fatalf("token %d lost", n)
		}
		if got.AccessToken != fmt.Sprintf("updated.%d", n) || got.RefreshToken != want.RefreshToken {
			t.Fatalf("an update of token %d was lost", n)
		}
	}
	if strings.Count(string(data), "\r\n") != len(tokens)+1 {
		t.Fatal("the file has stray lines")
	}
}
