package main

import (
	"context"
	"fmt"

	"github.com/zohoauth/zohoauth/zohotest"
)

// The emulator's client when none is given.
const (
	emulatorClientID     = "1000.EMULATOR"
	emulatorClientSecret = "emulator-secret"
	emulatorUser         = "user@example.com"
)

func (a *app) cmdEmulator(ctx context.Context, args []string) error {
	fs := a.flags("emulator")
	addr := fs.String("addr", "127.0.0.1:8920", "address to listen on (port 0: any free port)")
	clientID := fs.String("client-id", a.env(envClientID, emulatorClientID), "client id to register (env "+envClientID+")")
	clientSecret := fs.String("client-secret", "", "client secret to register (env "+envClientSecret+"; default "+emulatorClientSecret+")")
	redirectURI := fs.String("redirect-uri", a.env(envRedirectURI, defaultRedirectURI), "redirect URI to register (env "+envRedirectURI+")")
	user := fs.String("user", emulatorUser, "e-mail of the user who consents")
	autoApprove := fs.Bool("auto-approve", false, "skip the consent page, as if the user clicked Accept")
	args, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs("emulator", args); err != nil {
		return err
	}
	secret, secretGiven := *clientSecret, true
	if secret == "" {
		secret = a.getenv(envClientSecret)
	}
	if secret == "" {
		secret, secretGiven = emulatorClientSecret, false
	}
	ln, err := a.listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	srv := zohotest.NewUnstartedServer(zohotest.Options{Clock: a.clock, AutoApprove: *autoApprove})
	srv.Listener = ln
	srv.AddClient(zohotest.Client{ID: *clientID, Secret: secret, RedirectURIs: []string{*redirectURI}})
	srv.AddUser(zohotest.User{Email: *user})
	srv.Start()
	defer srv.Close()

	fmt.Fprintln(a.stdout, srv.URL)
	fmt.Fprintf(a.stderr, "Zoho emulator (accounts and CRM API) at %s\n", srv.URL)
	fmt.Fprintf(a.stderr, "  client id %s, redirect URI %s, user %s\n", *clientID, *redirectURI, *user)
	fmt.Fprintf(a.stderr, "Use it from another shell:\n  export %s=%s %s=%s\n", envAccountsURL, srv.URL, envClientID, *clientID)
	if !secretGiven {
		fmt.Fprintf(a.stderr, "  export %s=%s\n", envClientSecret, emulatorClientSecret)
	}
	fmt.Fprintln(a.stderr, "  zohoauth login && zohoauth api GET /crm/v8/Leads\nPress Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}
