package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/sandbox"
)

func TestCallPrintsTheExactResult(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		args   []string
		cmd    string
		fields url.Values
	}{
		{[]string{"call", "balances", "all=1"}, "balances", url.Values{"all": {"1"}}},
		{[]string{"call", "get_basic_info"}, "get_basic_info", nil},
		{[]string{"call", "get_deposit_address", "currency=LTC"}, "get_deposit_address", url.Values{"currency": {"LTC"}}},
	}
	for _, tc := range tests {
		got := h.mustRun(tc.args...)
		if want := h.rawResult(tc.cmd, tc.fields); got != want {
			t.Errorf("%v:\n got %s\nwant %s", tc.args, got, want)
		}
	}
	// Numbers keep their text: 1.50000000 never becomes 1.5.
	if out := h.mustRun("call", "balances"); !strings.Contains(out, `"balancef": 1.50000000`) {
		t.Errorf("balancef lost its exact text:\n%s", out)
	}
}

func TestMoneyCommandOutcomeUnknownExitsFour(t *testing.T) {
	h := newHarness(t)
	h.mustRun("login") // so the fault hits the money call, not the login
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultReset, Key: h.demo.PublicKey}); err != nil {
		t.Fatal(err)
	}
	if r := h.run("call", "create_withdrawal", "amount=0.25", "currency=BTC", "address=bc1qexample"); r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("a money command through call without --yes: exit %d: %s", r.code, r.stderr)
	}
	r := h.run("call", "create_withdrawal", "amount=0.25", "currency=BTC", "address=bc1qexample", "note=order-7", "--yes")
	if r.code != 4 {
		t.Fatalf("exit %d, want 4\nstderr: %s", r.code, r.stderr)
	}
	for _, want := range []string{"wallexkit: outcome unknown: the withdrawal may have been carried out", "amount   0.25000000 BTC", "note     order-7", "do not send it again", "wallexkit reconcile --op op_"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout: %s", r.stdout)
	}
}
