package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/sandbox"
)

func TestPayCreateSandboxPayTxInfo(t *testing.T) {
	h := newHarness(t)
	out := h.mustRun("pay", "create", "--amount", "12.5", "--currency", "usd", "--pay-with", "BTC", "--email", "buyer@example.com",
		"--item", "T-shirt", "--invoice", "INV-1")
	txid := field(t, out, "Transaction")
	if got := field(t, out, "Buyer pays"); got != "0.00020000 BTC" { // 12.5 USD at 62,500 USD/BTC
		t.Errorf("buyer pays %q", got)
	}
	for _, l := range []string{"Address", "Checkout", "Status page"} {
		if field(t, out, l) == "-" {
			t.Errorf("%s empty:\n%s", l, out)
		}
	}
	if got := field(t, out, "Timeout"); got != "2h" {
		t.Errorf("timeout %q", got)
	}
	if got := field(t, h.mustRun("tx", "info", txid), "Status"); got != "0 (Waiting for buyer funds...)" {
		t.Errorf("status before paying: %q", got)
	}

	pay := h.mustRun("sandbox", "pay", txid)
	if got := field(t, pay, "Status"); got != "100 (Complete)" {
		t.Errorf("sandbox pay: %s", pay)
	}
	info := h.mustRun("tx", "info", txid, "--full")
	if field(t, info, "Status") != "100 (Complete)" || field(t, info, "State") != "paid" || field(t, info, "Received") != "0.00020000 BTC" {
		t.Errorf("tx info after paying:\n%s", info)
	}
	// The price and its currency on one line, like the IPN's and the statement's (first-hour audit).
	if field(t, info, "Invoice") != "INV-1" || field(t, info, "Price") != "12.50000000 USD" || strings.Contains(info, "Price currency") {
		t.Errorf("--full lacks the invoice:\n%s", info)
	}
	var js struct {
		TxnID    string `json:"txn_id"`
		Status   int    `json:"status"`
		Paid     bool   `json:"paid"`
		Amount   string `json:"amount"`
		Checkout struct {
			Invoice string `json:"invoice"`
		} `json:"checkout"`
	}
	decode(t, h.mustRun("tx", "info", txid, "--full", "-o", "json"), &js)
	if js.TxnID != txid || js.Status != 100 || !js.Paid || js.Amount != "0.00020000" || js.Checkout.Invoice != "INV-1" {
		t.Errorf("tx info json = %+v", js)
	}

	// A second payment, expired; tx list shows both, newest first.
	out = h.mustRun("pay", "create", "--amount", "1", "--currency", "EUR", "--pay-with", "LTC", "--email", "b@example.com")
	tx2 := field(t, out, "Transaction")
	if got := field(t, h.mustRun("sandbox", "expire", tx2), "Status"); !strings.HasPrefix(got, "-1 ") {
		t.Errorf("expire: %s", got)
	}
	list := h.mustRun("tx", "list")
	if !regexp.MustCompile(`(?s)` + tx2 + `.*-1 .*\n` + txid + `.*100 \(Complete\)`).MatchString(list) {
		t.Errorf("tx list:\n%s", list)
	}
	if ids := h.mustRun("tx", "list", "--ids-only", "--limit", "1"); ids != tx2+"\n" {
		t.Errorf("tx list --ids-only --limit 1: %q", ids)
	}
	// A payment whose answer is lost: exit 4, and the printed reconcile line finds it.
	h.mustRun("login")
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_transaction"}); err != nil {
		t.Fatal(err)
	}
	r := h.run("pay", "create", "--amount", "3", "--currency", "USD", "--pay-with", "BTC", "--email", "b@example.com", "--invoice", "INV-LOST")
	if r.code != 4 {
		t.Fatalf("lost create_transaction: exit %d: %s", r.code, r.stderr)
	}
	args := reconcileLine(t, r.stderr)
	if len(args) != 3 || args[0] != "reconcile" || args[1] != "--op" {
		t.Fatalf("reconcile line %q", args)
	}
	if out := h.mustRun(args...); field(t, out, "Verdict") != "found" {
		t.Errorf("reconcile of the lost payment:\n%s", out)
	}
	// Also by its fields, as a person would describe it.
	if out := h.mustRun("reconcile", "--cmd", "create_transaction", "--invoice", "INV-LOST"); field(t, out, "Verdict") != "found" {
		t.Errorf("reconcile by invoice:\n%s", out)
	}

	// Paying twice is refused by the sandbox: an API error.
	if r := h.run("sandbox", "pay", txid); r.code != 1 || !strings.Contains(r.stderr, "already complete") {
		t.Errorf("second pay: exit %d: %s", r.code, r.stderr)
	}
	// Bad input never reaches the API.
	for _, args := range [][]string{
		{"pay", "create", "--amount", "0.123456789", "--currency", "USD", "--pay-with", "BTC", "--email", "b@x"},
		{"pay", "create", "--amount", "1", "--currency", "USD", "--email", "b@x"},
		{"pay", "create", "--amount", "1", "--currency", "USD", "--pay-with", "BTC"},
		{"tx", "info"},
		{"tx", "list", "--newer", "yesterday"},
	} {
		if r := h.run(args...); r.code != 2 {
			t.Errorf("%v: exit %d: %s", args, r.code, r.stderr)
		}
	}
}

// A coin the API does not know (or the account does not take): the refusal says where the coins
// this account takes are listed.
func TestPayCreateUnknownCoinSaysWhereToLook(t *testing.T) {
	h := newHarness(t)
	r := h.run("pay", "create", "--amount", "12.5", "--currency", "USD", "--pay-with", "XYZ", "--email", "buyer@example.com", "--invoice", "INV-XYZ")
	if r.code != 1 || !strings.Contains(r.stderr, "XYZ") || !strings.Contains(r.stderr, "wallexkit rates --accepted") {
		t.Fatalf("exit %d, stderr %q: want 1, naming the coin and 'wallexkit rates --accepted'", r.code, r.stderr)
	}
}
