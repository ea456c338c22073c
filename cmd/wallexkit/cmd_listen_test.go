package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core/ipn"
	"github.com/wallexkit/wallexkit/core/ipn/ipnhttp"
)

// listen --forward-to delivers every event trigger makes to a local handler that verifies it
// with core/ipn, as a merchant's own endpoint would; the IPN URL is restored afterwards.
func TestListenForwardsTriggeredEvents(t *testing.T) {
	h := newHarness(t)
	d := h.srv.Demo()
	if d.IPNSecret == "" {
		t.Fatal("the demo account has no IPN secret")
	}
	h.env["WALLEX_IPN_SECRET"] = d.IPNSecret
	h.addSecret(d.IPNSecret)

	v, err := ipn.NewVerifier(d.MerchantID, d.IPNSecret)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string][]int{} // ipn type -> statuses
	handler := httptest.NewServer(ipnhttp.Handler(v, ipn.NewTracker(nil), func(_ context.Context, n *ipn.Notification) error {
		mu.Lock()
		got[n.Type] = append(got[n.Type], int(n.Status))
		mu.Unlock()
		return nil
	}))
	defer handler.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"listen", "--forward-to", handler.URL + "/ipn"}, strings.NewReader(""), &out, &errb, func(k string) string { return h.env[k] })
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(errb.String(), "Ready.") {
		if time.Now().After(deadline) {
			t.Fatalf("listen did not start: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, e := range triggerEvents {
		if r := h.run("trigger", e.name); r.code != 0 || !strings.Contains(r.stdout, e.name) {
			t.Fatalf("trigger %s: exit %d\n%s%s", e.name, r.code, r.stdout, r.stderr)
		}
	}
	want := map[string]func([]int) bool{
		ipn.TypeAPI: func(s []int) bool { // complete (1, 100) and expired (-1) payments; partial sends 0s
			return contains(s, 100) && contains(s, 1) && contains(s, -1)
		},
		ipn.TypeWithdrawal: func(s []int) bool { return contains(s, 2) },
		ipn.TypeDeposit:    func(s []int) bool { return len(s) > 0 },
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		ok := true
		for typ, f := range want {
			ok = ok && f(got[typ])
		}
		snapshot := map[string][]int{}
		for k, v := range got {
			snapshot[k] = append([]int(nil), v...)
		}
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the handler got %v\nlisten stdout: %s\nstderr: %s", snapshot, out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "--> 200 OK") {
		t.Errorf("listen printed no forward result:\n%s", out.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("listen exit %d: %s", code, errb.String())
	}
	acct, err := h.srv.GetAccount(d.MerchantID)
	if err != nil || acct.IPNURL != "" {
		t.Fatalf("the IPN URL was not restored: %+v %v", acct, err)
	}
	h.mu.Lock()
	h.checkClean(out.String() + errb.String())
	h.mu.Unlock()
}

func contains(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// A handler that is not running is named with what to check, not with the core's error code
// ("internal"): listen's net/http error is not a core error.
func TestListenForwardToAHandlerThatIsDown(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL + "/webhook"
	down.Close()
	r := httptest.NewRequest(http.MethodPost, "/ipn", nil)
	r.Header.Set("HMAC", "00")
	code, note := (&app{}).forwardIPN(context.Background(), &http.Client{Timeout: 2 * time.Second}, url, r, []byte("ipn_id=1"))
	if code != http.StatusBadGateway {
		t.Errorf("status %d, want 502 (the sandbox retries)", code)
	}
	if strings.Contains(note, "internal") || !strings.Contains(note, "connection refused") || !strings.Contains(note, url) {
		t.Errorf("note %q: want the reason and the handler's URL, without the core's code", note)
	}
}
