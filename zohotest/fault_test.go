package zohotest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zohoauth/zohoauth/zohotest"
)

func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		fault      zohotest.Fault
		wantStatus int
		wantBody   string
		wantErr    bool
	}{
		{"5xx", zohotest.Fault{Path: "/oauth/v2/token", Status: 503, Body: []byte(`<html>Service Unavailable</html>`)}, 503, `<html>Service Unavailable</html>`, false},
		{"status only", zohotest.Fault{Status: 500}, 500, "", false},
		{"malformed JSON", zohotest.Fault{Path: "/oauth/v2/token", Body: []byte(`{"access_token":`)}, 200, `{"access_token":`, false},
		{"dropped connection", zohotest.Fault{Path: "/oauth/v2/token", Drop: true}, 0, "", true},
		{"huge body", zohotest.Fault{Path: "/oauth/v2/token", Body: []byte(`{"x":"`), BodySize: 5 << 20}, 200, `{"x":"` + strings.Repeat("a", 5<<20), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newServer(t, zohotest.Options{})
			_, rt := login(t, s)
			s.Inject(tt.fault)
			body := strings.NewReader(refreshForm(rt).Encode())
			resp, err := http.Post(s.URL+"/oauth/v2/token", "application/x-www-form-urlencoded", body)
			if tt.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got an answer %d, want a dropped connection", resp.StatusCode)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.wantStatus || string(b) != tt.wantBody {
					t.Fatalf("got %d %.80q (%d bytes), want %d %.80q", resp.StatusCode, b, len(b), tt.wantStatus, tt.wantBody)
				}
			}
			// Times 0 means once: the next request is served normally.
			if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil); m["access_token"] == nil {
				t.Errorf("request after the fault: %v", m)
			}
			if st := s.Stats(); st.FaultsInjected != 1 || st.Refreshes != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestFaultTimesAndPath(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	at, _ := login(t, s)
	s.Inject(zohotest.Fault{Path: "/crm/v8/org", Status: 502, Times: 2})
	if status, _ := call(t, "GET", s.URL+"/crm/v8/users?type=CurrentUser", nil, auth(at)); status != 200 {
		t.Errorf("other path: %d", status)
	}
	for i, want := range []int{502, 502, 200} {
		if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at)); status != want {
			t.Errorf("call %d: %d, want %d", i, status, want)
		}
	}
	s.Inject(zohotest.Fault{Status: 500, Times: -1})
	for range 5 {
		if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at)); status != 500 {
			t.Errorf("forever fault: %d", status)
		}
	}
	s.ClearFaults()
	if status, _ := call(t, "GET", s.URL+"/crm/v8/org", nil, auth(at)); status != 200 {
		t.Errorf("after ClearFaults: %d", status)
	}
}

func TestFaultDelay(t *testing.T) {
	s, _ := newServer(t, zohotest.Options{})
	_, rt := login(t, s)
	// A delay alone passes the request on afterwards.
	s.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: 10 * time.Millisecond})
	if _, m := call(t, "POST", s.URL+"/oauth/v2/token", refreshForm(rt), nil); m["access_token"] == nil {
		t.Errorf("delayed request: %v", m)
	}
	// A long delay is cut short by the client's timeout...
	s.Inject(zohotest.Fault{Path: "/oauth/v2/token", Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/oauth/v2/token", strings.NewReader(refreshForm(rt).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want deadline exceeded", err)
	}
	// ...and by Close, which does not wait an hour.
	s.Inject(zohotest.Fault{Delay: time.Hour})
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(s.URL + "/oauth/serverinfo")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for s.Stats().FaultsInjected < 3 {
		time.Sleep(time.Millisecond)
	}
	s.Close()
	if err := <-done; err == nil {
		t.Error("delayed request answered after Close")
	}
}
