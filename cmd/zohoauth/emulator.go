package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zohoauth/zohoauth/zohotest"
)

// The emulator's client when none is given.
const (
	emulatorClientID     = "1000.EMULATOR"
	emulatorClientSecret = "emulator-secret"
	emulatorUser         = "user@example.com"
)

func (a *app) emulatorCmd() *cobra.Command {
	var addr, clientID, clientSecret, redirectURI, user string
	var autoApprove bool
	c := &cobra.Command{
		Use:   "emulator [--addr HOST:PORT] [--client-id ID] [--client-secret S] [--redirect-uri URI] [--user EMAIL] [--auto-approve]",
		Short: "serve the offline Zoho emulator",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.emulator(c.Context(), addr, clientID, clientSecret, redirectURI, user, autoApprove)
		},
	}
	fs := c.Flags()
	fs.StringVar(&addr, "addr", "127.0.0.1:8920", "address to listen on, `HOST:PORT` (port 0: any free port)")
	fs.StringVar(&clientID, "client-id", a.env(envClientID, a.cfg.or(a.cfg.clientID, emulatorClientID)), "client `ID` to register (env "+envClientID+")")
	fs.StringVar(&clientSecret, "client-secret", "", "client secret to register (env "+envClientSecret+"; default "+emulatorClientSecret+")")
	fs.StringVar(&redirectURI, "redirect-uri", a.env(envRedirectURI, defaultRedirectURI), "redirect `URI` to register (env "+envRedirectURI+")")
	fs.StringVar(&user, "user", emulatorUser, "`EMAIL` of the user who consents")
	fs.BoolVar(&autoApprove, "auto-approve", false, "skip the consent page, as if the user clicked Accept")
	return c
}

func (a *app) emulator(ctx context.Context, addr, clientID, clientSecret, redirectURI, user string, autoApprove bool) error {
	secret, secretGiven := clientSecret, true
	if secret == "" {
		secret = a.getenv(envClientSecret)
	}
	if secret == "" {
		secret, secretGiven = emulatorClientSecret, false
	}
	ln, err := a.listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	srv := zohotest.NewUnstartedServer(zohotest.Options{Clock: a.clock, AutoApprove: autoApprove})
	srv.Listener = ln
	srv.AddClient(zohotest.Client{ID: clientID, Secret: secret, RedirectURIs: []string{redirectURI}})
	srv.AddUser(zohotest.User{Email: user})
	srv.Start()
	defer srv.Close()

	fmt.Fprintln(a.stdout, srv.URL)
	fmt.Fprintf(a.stderr, "Zoho emulator (accounts and CRM API) at %s\n", srv.URL)
	fmt.Fprintf(a.stderr, "  client id %s, redirect URI %s, user %s\n", clientID, redirectURI, user)
	fmt.Fprintf(a.stderr, "Use it from another shell:\n  export %s=%s %s=%s\n", envAccountsURL, srv.URL, envClientID, clientID)
	if !secretGiven {
		fmt.Fprintf(a.stderr, "  export %s=%s\n", envClientSecret, emulatorClientSecret)
	}
	for _, line := range emulatorSuggestions() {
		fmt.Fprintln(a.stderr, "  "+line)
	}
	fmt.Fprintln(a.stderr, "Press Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}

// emulatorSuggestions are the command lines the emulator's banner
// suggests, quoted to work as printed in bash (failglob too) and zsh.
func emulatorSuggestions() []string {
	return []string{
		shellJoin("zohoauth", "login"),
		shellJoin("zohoauth", "api", "/crm/v8/Leads?fields=Last_Name,Company"),
		shellJoin("zohoauth", "api", "--paginate", "GET", "/crm/v8/Leads", "-f", "fields=Last_Name", "-F", "per_page=200"),
	}
}
