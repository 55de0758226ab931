package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/zohoauth/zohoauth/clock"
	"github.com/zohoauth/zohoauth/zohotest"
)

// The quickstart's client and user, registered with its emulator.
const (
	quickstartClientID     = "1000.QUICKSTART"
	quickstartClientSecret = "quickstart-secret"
	quickstartUser         = "ada@example.com"
)

func (a *app) quickstartCmd() *cobra.Command {
	var keep bool
	c := &cobra.Command{
		Use:   "quickstart [--keep]",
		Short: "the whole story offline: log in, call the API, see the token refreshed",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return a.quickstart(c.Context(), keep)
		},
	}
	c.Flags().BoolVar(&keep, "keep", false, "keep the quickstart's token in the store afterwards")
	return c
}

func (a *app) quickstart(ctx context.Context, keep bool) error {
	out := a.stdout
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	// Zoho, offline: the emulator on loopback, on a clock of its own that
	// the quickstart moves forward.
	fake := clock.NewFake(a.clock.Now().Truncate(time.Second))
	emu := zohotest.NewServer(zohotest.Options{Clock: fake, AutoApprove: true})
	defer emu.Close()
	ln, err := a.listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("quickstart: %w", err)
	}
	defer ln.Close()
	redirectURI := "http://" + ln.Addr().String() + "/callback"
	emu.AddClient(zohotest.Client{ID: quickstartClientID, Secret: quickstartClientSecret, RedirectURIs: []string{redirectURI}})
	emu.AddUser(zohotest.User{Email: quickstartUser})

	// The same commands as on the command line, pointed at the emulator.
	child := *a
	child.clock = fake
	child.accountsURL = emu.URL
	child.stderr = out
	child.getenv = func(name string) string {
		switch name {
		case envClientID:
			return quickstartClientID
		case envClientSecret:
			return quickstartClientSecret
		case envRedirectURI:
			return redirectURI
		}
		return ""
	}
	child.openBrowser = a.simulatedBrowser
	var once sync.Once
	child.listen = func(network, addr string) (net.Listener, error) {
		var l net.Listener
		once.Do(func() {
			if addr == ln.Addr().String() {
				l = ln
			}
		})
		if l != nil {
			return l, nil
		}
		return a.listen(network, addr)
	}
	step := func(stdin string, args ...string) error {
		say("\n$ zohoauth %s", shellJoin(args...))
		child.stdin = strings.NewReader(stdin)
		if err := child.execute(ctx, args); err != nil {
			return fmt.Errorf("quickstart: zohoauth %s: %w", args[0], err)
		}
		return nil
	}

	say("zohoauth quickstart: the whole token lifecycle, offline.")
	say("")
	say("1. A Zoho emulator (Zoho Accounts and a little of the CRM API) runs at %s.", emu.URL)
	say("   Tokens go to the store %s (--store or %s to change it).", a.printableStore(), envStore)
	say("")
	say("2. Log in: zohoauth opens Zoho's consent page in a browser and listens on")
	say("   %s for the redirect. Here a simulated browser clicks Accept.", redirectURI)
	if err := step("", "login"); err != nil {
		return err
	}
	s, err := a.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	first, err := (&selector{user: quickstartUser, client: quickstartClientID}).pick(ctx, s, a.printableStore())
	if err != nil {
		return fmt.Errorf("quickstart: the login saved no token: %w", err)
	}
	id := first.ID
	if !keep {
		defer func() {
			if err := s.DeleteToken(context.WithoutCancel(ctx), id); err == nil {
				say("\nThe quickstart's token %s was deleted from %s (--keep keeps it).", id, a.printableStore())
			}
		}()
	}

	say("\n3. Call the CRM API with the token: add a lead, then read the leads back.")
	if err := step(`{"data":[{"Last_Name":"Lovelace","First_Name":"Ada","Company":"Analytical Engines"}]}`,
		"api", "POST", "/crm/v8/Leads", "--id", id, "--input", "-"); err != nil {
		return err
	}
	say("")
	if err := step("", "api", "GET", "/crm/v8/Leads?fields=Last_Name,Company", "--id", id); err != nil {
		return err
	}
	say("")
	if err := step("", "list", "--client-id", quickstartClientID); err != nil {
		return err
	}

	say("\n4. An hour passes (the emulator's clock moves 61 minutes): the access token expires.")
	fake.Advance(61 * time.Minute)
	emu.ResetStats()
	say("   The next call refreshes it first, saves it, and goes on:")
	if err := step("", "api", "GET", "/crm/v8/Leads?fields=Last_Name", "--id", id); err != nil {
		return err
	}
	stored, err := s.FindTokenByID(ctx, id)
	if err != nil {
		return fmt.Errorf("quickstart: reading the refreshed token back: %w", err)
	}
	st := emu.Stats()
	if st.Refreshes != 1 || stored.AccessToken == first.AccessToken || stored.RefreshToken != first.RefreshToken ||
		!stored.Expiry.Equal(fake.Now().Add(time.Hour)) {
		return fmt.Errorf("quickstart: the token was not refreshed and saved as expected (refreshes %d, expiry %s)",
			st.Refreshes, stored.Expiry.UTC().Format(time.RFC3339))
	}
	say("\n   Zoho was asked for %d new access token; the store now holds it, valid until %s:",
		st.Refreshes, stored.Expiry.UTC().Format("15:04:05 MST"))
	if err := step("", "show", "--id", id); err != nil {
		return err
	}

	say(`
5. With real Zoho: create a client at https://api-console.zoho.com (redirect URI
   %s), then
     export %s=… %s=…
     zohoauth login
     curl -H "Authorization: Zoho-oauthtoken $(zohoauth token)" "https://www.zohoapis.com/crm/v8/Leads?fields=Last_Name"
   Try the emulator on its own with: zohoauth emulator`, defaultRedirectURI, envClientID, envClientSecret)
	return nil
}

// simulatedBrowser follows a consent URL as a browser would, with an HTTP
// client, in the background; the emulator approves at once.
func (a *app) simulatedBrowser(ctx context.Context, u string) error {
	hc := a.httpClient
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	go func() {
		resp, err := hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	return nil
}
