package redisstore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
)

// envLogChild makes the test binary, run again by TestOpenUnreachableSilent,
// open an unreachable Redis: "silent" with the default logger, "routed"
// with a logger that writes to stdout.
const envLogChild = "ZOHOAUTH_REDISSTORE_LOG_CHILD"

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// TestOpenUnreachableSilent opens an unreachable Redis in a process of its
// own and checks that nothing reaches its stderr: the store's typed error
// is the whole report, and go-redis's own log lines go to the store's
// logger (discarded by default; with WithLogger, to that logger).
func TestOpenUnreachableSilent(t *testing.T) {
	if mode := os.Getenv(envLogChild); mode != "" {
		openUnreachable(t, mode)
		return
	}
	for _, mode := range []string{"silent", "routed"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestOpenUnreachableSilent$", "-test.count=1")
			cmd.Env = append(os.Environ(), envLogChild+"="+mode, "ZOHOAUTH_TEST_ADDR_CLOSED="+closedAddr(t))
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
			}
			if stderr.Len() != 0 {
				t.Errorf("opening an unreachable Redis wrote to stderr:\n%s", stderr.String())
			}
			routed := strings.Contains(stdout.String(), `"msg":"redisstore: go-redis"`)
			if mode == "routed" && !routed {
				t.Errorf("go-redis's lines did not reach the store's logger; stdout:\n%s", stdout.String())
			}
			if mode == "silent" && routed {
				t.Errorf("the default logger is not silent; stdout:\n%s", stdout.String())
			}
		})
	}
}

// openUnreachable is the child of TestOpenUnreachableSilent.
func openUnreachable(t *testing.T, mode string) {
	addr := os.Getenv("ZOHOAUTH_TEST_ADDR_CLOSED")
	var opts []Option
	if mode == "routed" {
		opts = append(opts, WithLogger(slog.New(slog.NewJSONHandler(os.Stdout, nil))))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := Open(ctx, "redis://"+addr+"/0", opts...)
	var ze *zohoauth.Error
	if !errors.As(err, &ze) || ze.Message != MsgOpen {
		t.Fatalf("Open of an unreachable Redis: %v, want a store error %q", err, MsgOpen)
	}
}
