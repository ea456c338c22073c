package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

// runTTY runs the CLI as if stdin and stderr were a terminal.
func (h *harness) runTTY(stdin string, args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(stdin), &out, &errb, func(k string) string { return h.env[k] })
	a.isTerminal = func(any) bool { return true }
	r := result{code: a.main(context.Background(), args), stdout: out.String(), stderr: errb.String()}
	h.mu.Lock()
	h.outputs = append(h.outputs, r.stdout, r.stderr)
	h.checkClean(r.stdout + r.stderr)
	h.mu.Unlock()
	return r
}

// client is a core client for the demo key, to check the sandbox's state through the API. It
// shares the CLI's state file, so its nonces follow the CLI's (nonces are on by default).
func (h *harness) client() *core.Client {
	h.t.Helper()
	store, err := filestore.New(h.env["WALLEX_STATE"], nil)
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := core.New(core.WithAPIURL(h.apiURL), core.WithKeys(h.demo.PublicKey, h.demo.PrivateKey), core.WithTransport(nethttp.New(nil)),
		core.WithNonces(store))
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// withdrawals lists the demo account's whole withdrawal history.
func (h *harness) withdrawals() []core.WithdrawalInfo {
	h.t.Helper()
	var out []core.WithdrawalInfo
	for w, err := range h.client().WithdrawalHistory(context.Background(), nil) {
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, w)
	}
	return out
}

func (h *harness) cmdCount(cmd string) int {
	return h.srv.Stats(h.demo.PublicKey).ByCmd[cmd]
}

// field returns the value of a "Label   value" line of a table output.
func field(t *testing.T, out, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + ` {2,}(.*)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in:\n%s", label, out)
	}
	return strings.TrimSpace(m[1])
}

// shellSplit splits a command line printed with shellQuote.
func shellSplit(s string) []string {
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quoted && ch == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(ch)
		case ch == '\'':
			quoted, inArg = true, true
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inArg = true
		case ch == ' ' || ch == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(ch)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// reconcileLine finds the printed `wallexkit reconcile ...` line and returns its arguments
// after "wallexkit".
func reconcileLine(t *testing.T, stderr string) []string {
	t.Helper()
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "wallexkit ") && strings.Contains(l, " reconcile ") {
			return shellSplit(l)[1:]
		}
	}
	t.Fatalf("no reconcile line in:\n%s", stderr)
	return nil
}

func TestPayCreateSandboxPayTxInfo(t *testing.T) {
	h := newHarness(t)
	out := h.mustRun("pay", "create", "--amount", "12.5", "--currency", "usd", "--pay-with", "BTC", "--email", "buyer@example.com",
		"--item", "T-shirt", "--invoice", "INV-1")
	txid := field(t, out, "Transaction")
	if got := field(t, out, "Buyer pays"); got != "0.0002 BTC" { // 12.5 USD at 62,500 USD/BTC
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
	if field(t, info, "Status") != "100 (Complete)" || field(t, info, "State") != "paid" || field(t, info, "Received") != "0.0002 BTC" {
		t.Errorf("tx info after paying:\n%s", info)
	}
	if field(t, info, "Checkout invoice") != "INV-1" {
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

func TestWithdrawNeedsConfirmation(t *testing.T) {
	h := newHarness(t)
	args := []string{"withdraw", "--amount", "0.01", "--currency", "BTC", "--address", "bc1qdest", "--note", "order-1"}

	r := h.run(args...)
	if r.code != 2 || !strings.Contains(r.stderr, "refusing to move money without confirmation: pass --yes") {
		t.Fatalf("no --yes, no terminal: exit %d: %s", r.code, r.stderr)
	}
	if st := h.srv.Stats(h.demo.PublicKey); st.RequestsSeen != 0 {
		t.Errorf("something reached the sandbox: %+v", st)
	}

	// On a terminal: "n" (or nothing) cancels, "y" sends.
	for _, answer := range []string{"n\n", "", "yes please\n"} {
		r := h.runTTY(answer, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "cancelled: nothing was sent") || !strings.Contains(r.stderr, "0.01 BTC") ||
			!strings.Contains(r.stderr, "bc1qdest") {
			t.Errorf("answer %q: exit %d: %s", answer, r.code, r.stderr)
		}
	}
	if n := h.cmdCount("create_withdrawal"); n != 0 {
		t.Fatalf("%d withdrawals sent before any yes", n)
	}
	r = h.runTTY("y\n", args...)
	if r.code != 0 {
		t.Fatalf("answer y: exit %d: %s", r.code, r.stderr)
	}
	id := field(t, r.stdout, "Withdrawal")
	if st, err := h.srv.GetWithdrawal(id); err != nil || st.Note != "order-1" || st.Amount != "0.01000000" {
		t.Errorf("withdrawal %s: %+v %v", id, st, err)
	}

	out := h.mustRun(append(args, "--yes", "--auto-confirm")...)
	if field(t, out, "Status") != "1 (Pending)" {
		t.Errorf("--auto-confirm:\n%s", out)
	}
	if n := len(h.withdrawals()); n != 2 {
		t.Errorf("%d withdrawals, want 2", n)
	}
	// withdrawals list / info, and the sandbox's withdrawal admin.
	list := h.mustRun("withdrawals", "list")
	if strings.Count(list, "bc1qdest") != 2 || !strings.Contains(list, "order-1") {
		t.Errorf("withdrawals list:\n%s", list)
	}
	if got := field(t, h.mustRun("sandbox", "withdrawal", "complete", id), "Status"); got != "2 (Complete)" {
		t.Errorf("sandbox withdrawal complete: %s", got)
	}
	info := h.mustRun("withdrawals", "info", id)
	if field(t, info, "Status") != "2 (Complete)" || field(t, info, "Send txid") == "-" {
		t.Errorf("withdrawals info:\n%s", info)
	}
	if r := h.run("sandbox", "withdrawal", "cancel", id); r.code != 1 {
		t.Errorf("cancel a complete withdrawal: exit %d: %s", r.code, r.stderr)
	}
	// stdin carrying the private key cannot also answer the prompt.
	r = h.runTTY(h.demo.PrivateKey+"\n", append(args, "--private-key-file", "-")...)
	if r.code != 2 || !strings.Contains(r.stderr, "pass --yes") {
		t.Errorf("key on stdin: exit %d: %s", r.code, r.stderr)
	}
}

func TestTransferAndConvert(t *testing.T) {
	h := newHarness(t)
	other, err := h.srv.CreateAccount(sandbox.AccountSpec{Username: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if r := h.run("transfer", "--amount", "0.1", "--currency", "BTC", "--merchant", other.MerchantID); r.code != 2 {
		t.Errorf("transfer without --yes: exit %d", r.code)
	}
	out := h.mustRun("transfer", "--amount", "0.1", "--currency", "BTC", "--merchant", other.MerchantID, "--auto-confirm", "--yes")
	if field(t, out, "Status") != "1 (Created)" {
		t.Errorf("transfer:\n%s", out)
	}
	if bal, _ := h.srv.Balances(other.MerchantID); bal["BTC"] != "0.10000000" {
		t.Errorf("other merchant's balance: %v", bal)
	}
	if r := h.run("transfer", "--amount", "0.1", "--currency", "BTC", "--yes"); r.code != 2 || !strings.Contains(r.stderr, "exactly one") {
		t.Errorf("transfer without destination: exit %d: %s", r.code, r.stderr)
	}

	out = h.mustRun("convert", "--amount", "0.1", "--from", "btc", "--to", "LTC", "--yes")
	if field(t, out, "Conversion") == "-" {
		t.Errorf("convert:\n%s", out)
	}
	if bal, _ := h.srv.Balances(h.demo.MerchantID); bal["BTC"] != "1.30000000" || bal["LTC"] != "105.00000000" {
		t.Errorf("balances after transfer and convert: %v", bal)
	}
	if r := h.run("convert", "--amount", "1", "--from", "BTC", "--to", "BTC", "--yes"); r.code != 2 {
		t.Errorf("convert BTC to BTC: exit %d", r.code)
	}
	// An API refusal is exit 1.
	if r := h.run("convert", "--amount", "1000", "--from", "BTC", "--to", "LTC", "--yes"); r.code != 1 || !strings.Contains(r.stderr, "Insufficient funds") {
		t.Errorf("convert too much: exit %d: %s", r.code, r.stderr)
	}
}

func TestWithdrawCommitDropThenReconcile(t *testing.T) {
	h := newHarness(t)
	h.mustRun("login") // so the fault hits the withdrawal, not the login
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"}); err != nil {
		t.Fatal(err)
	}
	withdraw := []string{"withdraw", "--amount", "0.25", "--currency", "BTC", "--address", "bc1qdropped", "--note", "order 42", "--yes"}
	r := h.run(withdraw...)
	if r.code != 4 {
		t.Fatalf("exit %d, want 4\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout: %s", r.stdout)
	}
	args := reconcileLine(t, r.stderr)
	if len(args) != 3 || args[0] != "reconcile" || args[1] != "--op" {
		t.Fatalf("reconcile line %q", args)
	}
	// Running the same withdrawal again before it is settled is refused: nothing is sent.
	again := h.run(withdraw...)
	if again.code != 4 || !strings.Contains(again.stderr, "Nothing was sent") || !strings.Contains(again.stderr, "reconcile --op "+args[2]) {
		t.Errorf("second withdraw: exit %d\n%s", again.code, again.stderr)
	}
	if out := h.mustRun("ops", "list"); !strings.Contains(out, args[2]) || !strings.Contains(out, "0.25 BTC, to bc1qdropped, note order 42") {
		t.Errorf("ops list:\n%s", out)
	}

	out := h.mustRun(args...)
	if field(t, out, "Verdict") != "found" || !strings.Contains(out, "do NOT send it again") {
		t.Errorf("reconcile:\n%s", out)
	}
	ws := h.withdrawals()
	if len(ws) != 1 || ws[0].Note != "order 42" || ws[0].Amount.Text() != "0.25" {
		t.Fatalf("sandbox withdrawals: %+v", ws)
	}
	// Following the printed line again gives the same answer.
	var res core.ReconcileResult
	decode(t, h.mustRun(append(args, "-o", "json")...), &res)
	if res.Verdict != core.Found || !res.Proven || len(res.Withdrawals) != 1 || res.Withdrawals[0].ID != ws[0].ID {
		t.Errorf("reconcile json: %+v", res)
	}
	if r := h.run("ops", "list"); r.stdout != "" || !strings.Contains(r.stderr, "no unsettled operations") {
		t.Errorf("ops list after settling: %q %q", r.stdout, r.stderr)
	}
	// By fields: something never sent is not found (proven, nonces being on); excluding the
	// known id hides it too.
	out = h.mustRun("reconcile", "--cmd", "create_withdrawal", "--amount", "0.26", "--currency", "BTC", "--address", "bc1qdropped", "--since", "1h")
	if field(t, out, "Verdict") != "not_found" || field(t, out, "Proven") != "yes" {
		t.Errorf("reconcile of nothing:\n%s", out)
	}
	out = h.mustRun("reconcile", "--cmd", "create_withdrawal", "--amount", "0.25", "--currency", "BTC", "--address", "bc1qdropped", "--exclude", ws[0].ID)
	if field(t, out, "Verdict") != "not_found" {
		t.Errorf("reconcile --exclude:\n%s", out)
	}
	if r := h.run("reconcile", "--cmd", "create_withdrawal", "--amount", "1", "--currency", "BTC"); r.code != 2 {
		t.Errorf("reconcile without address: exit %d", r.code)
	}
	// Settled: the merchant may send the same withdrawal again on purpose.
	if r := h.run(withdraw...); r.code != 0 || len(h.withdrawals()) != 2 {
		t.Errorf("withdraw after settling: exit %d\n%s", r.code, r.stderr)
	}
}

func TestSubcommandsAndHelp(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"tx"}, 2, "tx needs a subcommand: info, list"},
		{[]string{"tx", "bogus"}, 2, `unknown subcommand "bogus" of tx`},
		{[]string{"withdrawals", "--limit", "1"}, 2, "needs a subcommand"},
		{[]string{"sandbox", "bogus"}, 2, "unknown sandbox subcommand"},
		{[]string{"sandbox", "withdrawal", "approve", "X"}, 2, "confirm, complete or cancel"},
		{[]string{"sandbox", "pay", "X", "--admin-url", "ftp://x"}, 2, "--admin-url"},
		{[]string{"sandbox", "pay", "X", "--api-url", "https://wallexpay.io/api"}, 2, "not a local sandbox"},
		{[]string{"sandbox", "pay", "X", "--admin-url", "http://127.0.0.1:1/sandbox"}, 3, "is 'wallexkit sandbox' running?"},
		{[]string{"sandbox", "pay", "NOPE"}, 1, "no transaction"},
	} {
		r := h.run(tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%v: exit %d, want %d with %q: %s", tc.args, r.code, tc.code, tc.stderr, r.stderr)
		}
	}
	if out := h.mustRun("help", "tx"); !strings.Contains(out, "tx info") || !strings.Contains(out, "tx list") {
		t.Errorf("help tx:\n%s", out)
	}
	if out := h.mustRun("help", "tx", "info"); !strings.HasPrefix(out, "Usage: wallexkit tx info TXID") {
		t.Errorf("help tx info:\n%s", out)
	}
	if out := h.mustRun("withdraw", "--help"); !strings.Contains(out, "--yes") || !strings.Contains(out, "--note") {
		t.Errorf("withdraw --help:\n%s", out)
	}
}
