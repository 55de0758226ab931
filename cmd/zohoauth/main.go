// Command zohoauth manages the OAuth 2.0 tokens of Zoho CRM clients: it logs
// a user in, keeps the tokens in a store, and hands out valid access tokens.
//
// Usage:
//
//	zohoauth [--store URL] [--accounts-url URL] COMMAND [flags] [args]
//
// The flags --store and --accounts-url go before or after the command.
// TODO: full documentation.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
