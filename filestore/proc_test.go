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
	"syscall"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/filestore"
	"github.com/zohoauth/zohoauth/storetest"
)

// The tests below re-execute the test binary as child processes; TestMain
// runs the child's part when these variables are set.
const (
	envChild = "ZOHOAUTH_FILESTORE_CHILD" // "saver" or "holder"
	envFile  = "ZOHOAUTH_FILESTORE_FILE"
	envBase  = "ZOHOAUTH_FILESTORE_BASE"
)

func TestMain(m *testing.M) {
	switch os.Getenv(envChild) {
	case "":
		os.Exit(m.Run())
	case "saver":
		os.Exit(childSaver())
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

// openFile opens the file that the processes of storetest's
// multi-process checks share.
func openFile(t *testing.T, file string) zohoauth.Store {
	s, err := filestore.New(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// processOptions runs 4 processes of 16 goroutines on a new file.
func processOptions() storetest.ProcessOptions {
	return storetest.ProcessOptions{
		Setup: func(t *testing.T) string { return filepath.Join(t.TempDir(), filestore.DefaultFile) },
		Users: 4 * 16 * 3,
		Check: checkFile,
	}
}

// checkFile checks the file itself: it parses (Parse rejects duplicate
// ids) and holds a header and one line per token, nothing else.
func checkFile(t *testing.T, _ zohoauth.Store, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := filestore.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(data), "\r\n") != len(tokens)+1 {
		t.Fatal("the file has stray lines")
	}
}

// TestProcessesShareFile runs storetest.MultiProcess: 4 processes of 16
// goroutines save and find the same 192 users of one file, each process
// updating a field of its own.
func TestProcessesShareFile(t *testing.T) {
	storetest.MultiProcess(t, openFile, processOptions())
}
