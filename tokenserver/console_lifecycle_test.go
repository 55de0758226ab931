package tokenserver_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth"
	"github.com/zohoauth/zohoauth/memory"
	"github.com/zohoauth/zohoauth/tokenserver"
)

// consoleHome logs in to the console with the admin key and returns its
// home page.
func consoleHome(t *testing.T, e *env) string {
	t.Helper()
	c := newConsoleClient(t, e)
	_, page := c.get("/console/")
	c.post("/console/login", url.Values{"key": {e.admin}, "csrf": {csrfOf(t, page)}})
	resp, page := c.get("/console/")
	if resp.StatusCode != 200 || !strings.Contains(page, `id="tokens"`) {
		t.Fatalf("console home: %d %s", resp.StatusCode, page)
	}
	return page
}

// rowOf returns the table row of token id in page.
func rowOf(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `<tr id="token-`+id+`">`)
	if i < 0 {
		t.Fatalf("no row for token %s in %s", id, page)
	}
	row := page[i:]
	return row[:strings.Index(row, "</tr>")]
}

// TestConsoleLifecycleAndChart: the console shows each token's last
// refresh and failures from the store's lifecycle records, and a chart of
// the refreshes this instance made; a store without lifecycle records says
// so instead of showing made-up columns.
func TestConsoleLifecycleAndChart(t *testing.T) {
	store := memory.New() // a zohoauth.LifecycleKeeper
	first := newEnv(t, envOpts{store: store})
	ann := first.login("ann@example.com", clientA, secretA)
	bob := first.login("bob@example.com", clientB, secretB)
	ctx := context.Background()
	if err := store.SaveToken(ctx, &zohoauth.Token{ID: ann.ID, Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}

	// One refresh through a service that has not seen the token yet: the
	// chart counts it.
	e := newEnv(t, envOpts{store: store, emu: first.emu, keys: first.keys.Path(), activity: true})
	e.admin = first.admin
	plain := e.key(tokenserver.Scope{Users: []string{"*"}, Clients: []string{"*"}})
	if a := e.do("GET", "/v1/token?user=ann@example.com&client_id="+clientA, plain, nil); a.status != 200 {
		t.Fatalf("GET /v1/token: %d %s", a.status, a.body)
	}
	var page string
	for deadline := time.Now().Add(10 * time.Second); ; {
		page = consoleHome(t, e)
		if strings.Contains(page, `<p id="chart-totals">1 refreshes, 0 failed, `) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the chart never counted the refresh: %s", page)
		}
		time.Sleep(20 * time.Millisecond) // the event hook is asynchronous
	}
	if !strings.Contains(page, `<svg id="chart"`) || strings.Count(page, `<rect class="ok"`) != 1 || strings.Contains(page, `<rect class="bad"`) {
		t.Errorf("chart: %s", page)
	}

	now := time.Now()
	if _, err := store.UpdateLifecycle(ctx, ann.ID, func(l *zohoauth.Lifecycle) error {
		l.LastRefreshAt = now.Add(-12*time.Minute - 5*time.Second)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpdateLifecycle(ctx, bob.ID, func(l *zohoauth.Lifecycle) error {
		l.LastRefreshAt = now.Add(-3 * time.Hour)
		l.LastFailureAt, l.Failures, l.FailureDays, l.LastError = now.Add(-90*time.Second), 3, 2, "timeout"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	page = consoleHome(t, e)
	if row := rowOf(t, page, ann.ID); !strings.Contains(row, `<td class="last-refresh">12m ago</td>`) || !strings.Contains(row, `<td class="failures">-</td>`) {
		t.Errorf("ann's row: %s", row)
	}
	if row := rowOf(t, page, bob.ID); !strings.Contains(row, `<td class="last-refresh">3h 0m ago</td>`) || !strings.Contains(row, `<td class="failures failing">3 (2 days), last 1m ago: timeout</td>`) {
		t.Errorf("bob's row: %s", row)
	}
	if strings.Contains(page, `id="no-lifecycle"`) {
		t.Error("a lifecycle store is said to keep none")
	}

	if _, err := store.UpdateLifecycle(ctx, bob.ID, func(l *zohoauth.Lifecycle) error {
		l.ExhaustedAt, l.FailureDays, l.Failures = now.Add(-26*time.Hour), 7, 9
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if row := rowOf(t, consoleHome(t, e), bob.ID); !strings.Contains(row, `exhausted 26h 0m ago, after 9 failures over 7 days`) {
		t.Errorf("bob's row once exhausted: %s", row)
	}
	for _, s := range secretsOf(ann, bob) {
		if strings.Contains(page, s) {
			t.Error("the console page shows a secret")
		}
	}
}

// TestConsoleWithoutLifecycleOrActivity: over a store that keeps no
// lifecycle records and without an Activity, the console says it knows no
// last refresh and draws no chart.
func TestConsoleWithoutLifecycleOrActivity(t *testing.T) {
	e := newEnv(t, envOpts{store: struct{ zohoauth.Store }{memory.New()}}) // capabilities hidden
	ann := e.login("ann@example.com", clientA, secretA)
	page := consoleHome(t, e)
	if !strings.Contains(page, `id="no-lifecycle"`) || strings.Contains(page, `id="chart`) {
		t.Errorf("page: %s", page)
	}
	if row := rowOf(t, page, ann.ID); !strings.Contains(row, `<td class="last-refresh">-</td>`) {
		t.Errorf("row: %s", row)
	}
}
