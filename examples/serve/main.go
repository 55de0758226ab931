// Command serve runs the token service of package tokenserver over a store
// named by URL: the library's whole serving path in one small program (the
// zohoauth command's serve subcommand does the same with more options).
//
//	go run ./examples/serve -store sqlite:zohooauth.db -keys zohoauth-keys.json -new-key admin
//
// -new-key NAME creates an API key first (admin, every user and client) and
// prints it once on standard output. The first line the program prints
// after that is "listening on URL".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/tokenserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

// run parses args, opens the store and the key file, and serves until ctx
// ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storeURL := fs.String("store", "sqlite:zohooauth.db", "the token store's URL")
	keysPath := fs.String("keys", "zohoauth-keys.json", "the API key file (mode 0600)")
	addr := fs.String("addr", tokenserver.DefaultAddr, "listen address (loopback unless -cert/-key or -insecure)")
	cert := fs.String("cert", "", "TLS certificate (PEM)")
	key := fs.String("key", "", "TLS private key (PEM)")
	insecure := fs.Bool("insecure", false, "allow plain HTTP on a non-loopback address")
	accountsURL := fs.String("accounts-url", "", "Zoho Accounts base URL (an emulator's); empty for the token's data center")
	newKey := fs.String("new-key", "", "create an admin API key with this name and print it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	store, err := stores().Open(ctx, *storeURL)
	if err != nil {
		return err
	}
	defer store.Close()
	keys, err := tokenserver.OpenKeyFile(*keysPath)
	if err != nil {
		return err
	}
	if *newKey != "" {
		k, rec, err := keys.CreateKey(ctx, tokenserver.KeySpec{Name: *newKey, Scope: tokenserver.Scope{Admin: true, Users: []string{"*"}, Clients: []string{"*"}}}, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "API key %s: %s\n", rec.ID, k)
	}
	ac := &accounts.Client{BaseURL: strings.TrimRight(*accountsURL, "/")}
	activity := tokenserver.NewActivity(0, 0) // the console's chart of refreshes
	a, err := auth.New(store, auth.Options{Accounts: ac, Logger: log, OnEvent: activity.Record})
	if err != nil {
		return err
	}
	defer a.Close()
	srv, err := tokenserver.New(store, a, keys, tokenserver.Config{
		Addr: *addr, CertFile: *cert, KeyFile: *key, Insecure: *insecure, Accounts: ac, Logger: log,
		Activity: activity,
	})
	if err != nil {
		return err
	}
	ln, err := srv.Listen(ctx)
	if err != nil {
		return err
	}
	scheme := "http"
	if srv.TLS() {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "listening on %s://%s\n", scheme, ln.Addr())
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
