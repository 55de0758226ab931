// Command quickstart shows zohoauth end to end, offline: it starts the Zoho
// emulator in the process, logs in with a self-client grant code, calls the
// CRM records endpoint, then "restarts" (a new Authenticator over the same
// store) and shows that the stored token is reused without asking Zoho for
// a new one.
//
//	go run ./examples/quickstart
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/accounts"
	"github.com/zohoauth/zohoauth/auth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/zohotest"
)

func main() {
	if err := run(context.Background(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out, logw io.Writer) error {
	// 1. A Zoho stand-in: Zoho Accounts and a little of the CRM API, on
	// 127.0.0.1. With real Zoho, leave Accounts' BaseURL and Environment
	// out (the token's data center decides) or set Environment to yours.
	srv := zohotest.NewServer(zohotest.Options{})
	defer srv.Close()
	srv.AddClient(zohotest.Client{ID: "1000.QUICKSTART", Secret: "quickstart-secret"})
	srv.AddUser(zohotest.User{Email: "ann@example.com", ZGID: "700"})
	// "Generate Code" of a Self Client in Zoho's API console.
	code, err := srv.IssueGrant("1000.QUICKSTART", "ann@example.com",
		"ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.org.READ")
	if err != nil {
		return err
	}

	// 2. A store (here in memory; a file or SQL store survives a real
	// restart) and an Authenticator.
	store := memory.New()
	opts := auth.Options{
		Accounts: &accounts.Client{Environment: srv.Environment()},
		Logger:   slog.New(slog.NewTextHandler(logw, nil)),
	}
	a, err := auth.New(store, opts)
	if err != nil {
		return err
	}

	// 3. Log in with the grant code: the first use exchanges it, looks up
	// the user (email:zgid) and saves the token.
	h := a.For(&zohoauth.Token{ClientID: "1000.QUICKSTART", ClientSecret: "quickstart-secret", GrantToken: code})
	tok, err := h.Token(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "logged in as %s, token id %s\n", tok.UserName, tok.ID)

	// 4. Call the CRM records endpoint through the authenticating client.
	crm := h.Client(nil)
	if err := createLead(ctx, crm, srv.URL, "Ada Lovelace"); err != nil {
		return err
	}
	names, err := leadNames(ctx, crm, srv.URL)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "leads: %v\n", names)
	if err := a.Close(); err != nil {
		return err
	}

	// 5. "Restart": a new Authenticator over the same store finds the token
	// by user name; it is still valid, so Zoho is not asked again.
	before := srv.Stats().TokenRequests
	a2, err := auth.New(store, opts)
	if err != nil {
		return err
	}
	defer a2.Close()
	h2 := a2.For(&zohoauth.Token{UserName: tok.UserName})
	access, err := h2.AccessToken(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "after restart: same access token %t, token requests to Zoho %d\n",
		access == tok.AccessToken, srv.Stats().TokenRequests-before)
	names, err = leadNames(ctx, h2.Client(nil), srv.URL)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "leads after restart: %v\n", names)
	return nil
}

func createLead(ctx context.Context, c *http.Client, api, name string) error {
	body, err := json.Marshal(map[string]any{"data": []map[string]string{{"Last_Name": name}}})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+"/crm/v8/Leads", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("create lead: %s", resp.Status)
	}
	return nil
}

func leadNames(ctx context.Context, c *http.Client, api string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"/crm/v8/Leads?fields=Last_Name", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("list leads: %s", resp.Status)
	}
	var page struct {
		Data []struct {
			LastName string `json:"Last_Name"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&page); err != nil {
		return nil, err
	}
	names := make([]string, len(page.Data))
	for i, r := range page.Data {
		names[i] = r.LastName
	}
	return names, nil
}
