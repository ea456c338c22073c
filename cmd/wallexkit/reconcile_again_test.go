package main

import (
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/sandbox"
)

// The line printed for after an in_flight wait carries a --timeout given on the command line (it
// sets the wait): without it, run before the printed wait ended, it settled (not_found) although
// the first look said to wait (found by a review).
func TestReconcileAgainLineKeepsTheTimeout(t *testing.T) {
	h := newHarness(t)
	h.mustRun("login")
	env := h.envWith("WALLEX_TIMEOUT", "1s", "WALLEX_IN_FLIGHT_WINDOW", "1s")
	addr := sandbox.TestAddress("BTC", 109)
	base := []string{"reconcile", "--cmd", "create_withdrawal", "--amount", "0.26", "--currency", "BTC", "--address", addr}
	r := h.runWith(env, "", append([]string{"--timeout", "20s"}, base...)...)
	next := field(t, r.stdout, "Next")
	until, _ := time.Parse(time.RFC3339, field(t, r.stdout, "Wait until"))
	i := strings.Index(next, "then run: ")
	line := next[i+len("then run: "):]
	line = line[:strings.Index(line, "  (do NOT")]
	_, args := splitEnvLine(line)
	t.Logf("first look: wait until %s; line %q", until, args)
	time.Sleep(3 * time.Second)
	early := h.runWith(env, "", args[1:]...)
	t.Logf("now %s, before the wait ends: %s", time.Now().UTC().Format(time.RFC3339), early.stdout)
	if time.Now().Before(until) && field(t, early.stdout, "Verdict") != "in_flight" {
		t.Errorf("the printed line, run before the wait it came with ended, says %s", field(t, early.stdout, "Verdict"))
	}
}
