package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
	"github.com/wallexkit/wallexkit/sandbox"
)

// "Pay it again" answered yes in two terminals that both named the same earlier withdrawal: the
// first pays the second payment; the other, asked about the first, is asked again about the one
// the first terminal just made, not sent as a third.
func TestPayItAgainInTwoTerminalsPaysOnce(t *testing.T) {
	dest := sandbox.TestAddress("BTC", 104)
	h := newHarness(t)
	args := []string{"withdraw", "--amount", "0.01", "--currency", "BTC", "--address", dest}
	first := field(t, h.mustRun(append(args, "--yes")...), "Withdrawal")

	// terminal B: asked about the first withdrawal, and waiting for its answer
	inB, answerB := io.Pipe()
	var outB, errB syncBuffer
	b := newApp(inB, &outB, &errB, func(k string) string { return h.env[k] })
	b.isTerminal = func(any) bool { return true }
	codeB := make(chan int, 1)
	go func() { codeB <- b.main(context.Background(), args) }()
	if _, err := io.WriteString(answerB, "y\n"); err != nil { // Proceed? yes
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(errB.String(), "pay it again"); {
		if time.Now().After(deadline) {
			t.Fatalf("terminal B was not asked: %s", errB.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(errB.String(), first) {
		t.Fatalf("terminal B's question does not name %s: %s", first, errB.String())
	}
	// terminal A: asked about the first too, answers yes: the second payment
	r := h.runTTY("y\ny\n", args...)
	if r.code != 0 {
		t.Fatalf("terminal A: exit %d: %s", r.code, r.stderr)
	}
	second := field(t, r.stdout, "Withdrawal")
	// terminal B: yes (to the first), then no (a second question; unread when none is asked)
	go io.WriteString(answerB, "y\nn\n")
	defer answerB.Close()
	if code := <-codeB; code != 2 || strings.Count(errB.String(), "pay it again") != 2 || !strings.Contains(errB.String(), second) {
		t.Errorf("terminal B: exit %d, want 2 after being asked about %s: %s", code, second, errB.String())
	}
	if n := len(h.withdrawals()); n != 2 {
		t.Errorf("%d withdrawals, want 2: the first and the one terminal A meant", n)
	}
}

func TestWithdrawNeedsConfirmation(t *testing.T) {
	dest := sandbox.TestAddress("BTC", 100)
	h := newHarness(t)
	args := []string{"withdraw", "--amount", "0.01", "--currency", "BTC", "--address", dest, "--note", "order-1"}

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
		if r.code != 2 || !strings.Contains(r.stderr, "cancelled: nothing was sent") || !strings.Contains(r.stderr, "0.01000000 BTC") ||
			!strings.Contains(r.stderr, dest) {
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

	// The same withdrawal again (its answer lost to a closed terminal, "it failed"): a script is
	// refused, naming the first; on a terminal the person is asked a second time; --again sends it.
	r = h.run(append(args, "--yes", "--auto-confirm")...)
	if r.code != 1 || !strings.Contains(r.stderr, "not sent: the same withdrawal") ||
		!strings.Contains(r.stderr, "(withdrawal "+id+"): a possible duplicate") || !strings.Contains(r.stderr, "--again") || h.cmdCount("create_withdrawal") != 1 {
		t.Fatalf("the same withdrawal again with --yes: exit %d, %d sent: %s", r.code, h.cmdCount("create_withdrawal"), r.stderr)
	}
	r = h.run(append(args, "--yes", "-o", "json")...)
	if r.code != 1 || !strings.Contains(r.stderr, `"code":"possible_duplicate"`) || !strings.Contains(r.stderr, "--again") {
		t.Fatalf("the same withdrawal again, -o json: exit %d: %s", r.code, r.stderr)
	}
	r = h.runTTY("y\nn\n", args...)
	if r.code != 2 || !strings.Contains(r.stderr, "Possible duplicate:") || !strings.Contains(r.stderr, "the same withdrawal (amount, coin and destination) was carried out from this machine 0 seconds ago") ||
		!strings.Contains(r.stderr, "pay it again (a second payment)") || !strings.Contains(r.stderr, id) || h.cmdCount("create_withdrawal") != 1 {
		t.Fatalf("the same withdrawal again on a terminal, answered n: exit %d, %d sent: %s", r.code, h.cmdCount("create_withdrawal"), r.stderr)
	}
	out := h.mustRun(append(args, "--yes", "--auto-confirm", "--again")...)
	if field(t, out, "Status") != "1 (Pending)" {
		t.Errorf("--auto-confirm:\n%s", out)
	}
	if n := len(h.withdrawals()); n != 2 {
		t.Errorf("%d withdrawals, want 2", n)
	}
	// withdrawals list / info, and the sandbox's withdrawal admin.
	list := h.mustRun("withdrawals", "list")
	if strings.Count(list, dest) != 2 || !strings.Contains(list, "order-1") {
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

// The review before a withdrawal says what leaves the balance and what the address receives,
// with the fee taken out of the amount or added on top (core.SplitWithdrawal), and says plainly
// when the fee is not known instead of inventing one. (The sandbox's BTC fee is 0.0001.)
func TestWithdrawReviewShowsWhatTheAddressReceives(t *testing.T) {
	h := newHarness(t)
	args := []string{"withdraw", "--amount", "0.01", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 105)}
	line := func(out, label string) string {
		m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(label) + ` {2,}(.*)$`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %q line in the review:\n%s", label, out)
		}
		return m[1]
	}
	for _, c := range []struct {
		extra                  []string
		fee, debited, received string
	}{
		{nil, "0.00010000 BTC, taken out of the amount", "0.01000000 BTC", "0.00990000 BTC"},
		{[]string{"--add-tx-fee"}, "0.00010000 BTC, added on top of the amount", "0.01010000 BTC", "0.01000000 BTC"},
	} {
		r := h.runTTY("n\n", append(args, c.extra...)...)
		if r.code != 2 {
			t.Fatalf("%v: exit %d: %s", c.extra, r.code, r.stderr)
		}
		if got := line(r.stderr, "Network fee"); got != c.fee {
			t.Errorf("%v: Network fee %q, want %q", c.extra, got, c.fee)
		}
		if got := line(r.stderr, "From balance"); got != c.debited {
			t.Errorf("%v: From balance %q, want %q", c.extra, got, c.debited)
		}
		if got := line(r.stderr, "Address receives"); got != c.received {
			t.Errorf("%v: Address receives %q, want %q", c.extra, got, c.received)
		}
	}
	// a key that cannot read rates: no fee is known, and the review says so
	key, err := h.srv.CreateKey(h.demo.MerchantID, []string{"create_withdrawal"})
	if err != nil {
		t.Fatal(err)
	}
	h.addSecret(key.PrivateKey)
	saved := h.env
	h.env = h.envWith("WALLEX_PUBLIC_KEY", key.PublicKey, "WALLEX_PRIVATE_KEY", key.PrivateKey)
	r := h.runTTY("n\n", args...)
	h.env = saved
	if got := line(r.stderr, "Network fee"); got != "not known (the API gave no fee for BTC), taken out of the amount" {
		t.Errorf("unknown fee: Network fee %q", got)
	}
	if got := line(r.stderr, "Address receives"); got != "0.01000000 BTC less the network fee" {
		t.Errorf("unknown fee: Address receives %q", got)
	}
	// an amount the fee would eat whole is refused before anything is sent
	r = h.run("withdraw", "--amount", "0.0001", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 105), "--yes")
	if r.code != 2 || !strings.Contains(r.stderr, "does not cover the network fee") || h.cmdCount("create_withdrawal") != 0 {
		t.Errorf("0.0001 BTC with a 0.0001 fee: exit %d, %d sent: %s", r.code, h.cmdCount("create_withdrawal"), r.stderr)
	}
}

// An amount the network fee would eat whole is refused in the CLI's words: both numbers with
// their coin and 8 decimals, and the flag that adds the fee on top (not the core's "invalid
// amount: ... (0.0001) ... add the fee on top", which names no coin and no flag).
func TestWithdrawFeeEatsTheAmountSaysWhatToPass(t *testing.T) {
	h := newHarness(t)
	r := h.run("withdraw", "--amount", "0.00005", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 105), "--yes")
	want := "--amount 0.00005000 BTC does not cover the network fee (0.00010000 BTC) taken out of it: the address would receive nothing; " +
		"send more, or pass --add-tx-fee to add the fee on top; nothing was sent"
	if r.code != 2 || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "invalid amount") || h.cmdCount("create_withdrawal") != 0 {
		t.Errorf("0.00005 BTC with a 0.0001 fee: exit %d, %d sent:\n%s\nwant: %s", r.code, h.cmdCount("create_withdrawal"), r.stderr, want)
	}
}

// A possible duplicate names the earlier payment's time as every other line of the CLI does
// (withdrawals list, ops list, reconcile, -o json): UTC with its Z. In the machine's local time
// without a zone, a newcomer east or west of UTC looked for 13:55:32 in a list that says 08:55:32Z.
func TestDuplicateRefusalTimeIsUTCAsTheLists(t *testing.T) {
	h := newHarness(t)
	saved := time.Local
	time.Local = time.FixedZone("UTC+5", 5*3600)
	t.Cleanup(func() { time.Local = saved })
	args := []string{"withdraw", "--amount", "0.01", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 106), "--note", "order-7"}
	h.mustRun(append(args, "--yes")...)
	created := h.withdrawals()[0].TimeCreated.UTC()
	utc := regexp.MustCompile(`at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \(withdrawal `)
	r := h.run(append(args, "--yes")...)
	m := utc.FindStringSubmatch(r.stderr)
	if r.code != 1 || m == nil {
		t.Fatalf("the same withdrawal again, a script: exit %d, want the time in UTC with its Z:\n%s", r.code, r.stderr)
	}
	if at, err := time.Parse(time.RFC3339, m[1]); err != nil || at.Sub(created).Abs() > time.Minute {
		t.Errorf("carried out at %s, created %s (withdrawals list)", m[1], created.Format(time.RFC3339))
	}
	r = h.runTTY("y\nn\n", args...) // the review, then "pay it again?"
	if r.code != 2 || !regexp.MustCompile(`Earlier +CWSB\w+ at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n`).MatchString(r.stderr) {
		t.Errorf("the same withdrawal again on a terminal: exit %d, want Earlier ... at the time in UTC with its Z:\n%s", r.code, r.stderr)
	}
}

// Without --note a withdrawal still carries a reference of its own (core.NewReference, as the
// console gives an empty note): reconcile finds it by its note even beside another withdrawal of
// the same amount to the same address, and the review and the answer name it.
func TestWithdrawWithoutNoteGetsAReference(t *testing.T) {
	h := newHarness(t)
	dest := sandbox.TestAddress("BTC", 106)
	args := []string{"withdraw", "--amount", "0.01", "--currency", "BTC", "--address", dest}
	ref := regexp.MustCompile(`^wk:[0-9a-f]{10}$`)
	r := h.runTTY("n\n", args...)
	if m := regexp.MustCompile(`(?m)^  Note +(\S+)$`).FindStringSubmatch(r.stderr); m == nil || !ref.MatchString(m[1]) {
		t.Errorf("review: no wk: reference as the note:\n%s", r.stderr)
	}
	first := h.mustRun(append(args, "--yes")...)
	second := h.mustRun(append(args, "--yes", "--again")...)
	n1, n2 := field(t, first, "Note"), field(t, second, "Note")
	if !ref.MatchString(n1) || !ref.MatchString(n2) || n1 == n2 {
		t.Fatalf("notes %q and %q: want two different wk: references", n1, n2)
	}
	if st, err := h.srv.GetWithdrawal(field(t, first, "Withdrawal")); err != nil || st.Note != n1 {
		t.Errorf("the sandbox holds %+v (%v), want note %s", st, err, n1)
	}
	// the help says so
	if out := h.run("help", "withdraw"); !strings.Contains(out.stdout+out.stderr, "Without --note") {
		t.Errorf("help withdraw does not say what is sent without --note:\n%s", out.stdout)
	}
	// set by hand, the note is sent as given
	mine := h.mustRun("withdraw", "--amount", "0.02", "--currency", "BTC", "--address", dest, "--note", "order-7", "--yes")
	if got := field(t, mine, "Note"); got != "order-7" {
		t.Errorf("--note order-7: note %q", got)
	}
}

// A key that may withdraw but not read rates or balances cannot be checked first: the warning
// says so in a whole sentence, and the API decides.
func TestWithdrawWarnsWhenItCannotCheckFirst(t *testing.T) {
	h := newHarness(t)
	key, err := h.srv.CreateKey(h.demo.MerchantID, []string{"create_withdrawal"})
	if err != nil {
		t.Fatal(err)
	}
	h.addSecret(key.PrivateKey)
	env := h.envWith("WALLEX_PUBLIC_KEY", key.PublicKey, "WALLEX_PRIVATE_KEY", key.PrivateKey)
	r := h.runWith(env, "", "withdraw", "--amount", "0.01", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 101), "--yes")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "could not check the coin and the balance first (") ||
		!strings.Contains(r.stderr, "); the API checks them when the request is sent\n") {
		t.Errorf("warning: %q", r.stderr)
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
	// The same transfer again (its answer lost, "it failed"): refused, and what it says to check
	// must be able to show it. No history lists a transfer to a merchant (core's reconcile): told
	// to look in the withdrawal list, the merchant finds nothing and pays it --again.
	tr := []string{"transfer", "--amount", "0.1", "--currency", "BTC", "--merchant", other.MerchantID, "--auto-confirm", "--yes"}
	for _, o := range [][]string{nil, {"-o", "json"}} {
		r := h.run(append(tr, o...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "possible_duplicate") && !strings.Contains(r.stderr, "not sent: the same transfer") ||
			strings.Contains(r.stderr, "withdrawals list") || !strings.Contains(r.stderr, "wallexkit balances") {
			t.Errorf("the same transfer again %v: exit %d: %s", o, r.code, r.stderr)
		}
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

// The operation of an exit-4 line is recorded in this run's state file only: when WALLEX_STATE
// chose it, the printed line sets it too, so that pasted as printed it finds the record. Asked
// with another state file, the not_found answer names the file it comes from.
func TestReconcileLineCarriesStateFile(t *testing.T) {
	h := newHarness(t)
	state := filepath.Join(t.TempDir(), "shop's state", "state.json")
	h.env["WALLEX_STATE"] = state
	home := t.TempDir() // the default state file, when WALLEX_STATE is not set
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("HOME", home)
	// (A state file in a directory that does not exist yet cannot be read: not this test's matter.)
	if err := os.MkdirAll(filepath.Join(home, "wallexkit"), 0o700); err != nil {
		t.Fatal(err)
	}
	h.mustRun("login")
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"}); err != nil {
		t.Fatal(err)
	}
	r := h.run("withdraw", "--amount", "0.25", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 102), "--yes")
	if r.code != 4 {
		t.Fatalf("exit %d, want 4\n%s", r.code, r.stderr)
	}
	want := "WALLEX_STATE=" + shellQuote(state) + " wallexkit reconcile --op op_"
	if !strings.Contains(r.stderr, "\n  "+want) {
		t.Fatalf("stderr lacks %q:\n%s", want, r.stderr)
	}
	var line string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.Contains(l, " reconcile --op ") {
			line = strings.TrimSpace(l)
		}
	}
	env, args := splitEnvLine(line)
	if env["WALLEX_STATE"] != state || len(args) != 4 || args[0] != "wallexkit" {
		t.Fatalf("line %q: env %v, args %q", line, env, args)
	}
	// As printed (its WALLEX_STATE): found.
	if out := h.mustRun(args[1:]...); field(t, out, "Verdict") != "found" {
		t.Errorf("reconcile as printed:\n%s", out)
	}
	// Without it (the default state file): nothing recorded there, and the answer says where
	// it looked and that it does not apply to an operation recorded elsewhere.
	r = h.runWith(h.envWith("WALLEX_STATE", ""), "", args[1:]...)
	def := filepath.Join(home, "wallexkit", "state.json")
	if r.code != 0 || field(t, r.stdout, "Verdict") != "not_found" || !strings.Contains(r.stdout, "the state file "+def) ||
		!strings.Contains(r.stdout, "another state file (WALLEX_STATE)") || field(t, r.stdout, "Proven") != "no" ||
		strings.Contains(r.stdout, "safe to send it again") || !strings.Contains(field(t, r.stdout, "Next"), "reconcile it there") {
		t.Errorf("reconcile with another state file (want %s named): exit %d\n%s%s", def, r.code, r.stdout, r.stderr)
	}
	// WALLEX_STATE not set: the line needs none.
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"}); err != nil {
		t.Fatal(err)
	}
	r = h.runWith(h.envWith("WALLEX_STATE", ""), "", "withdraw", "--amount", "0.26", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 102), "--yes")
	if r.code != 4 || !strings.Contains(r.stderr, "\n  wallexkit reconcile --op op_") || strings.Contains(r.stderr, "WALLEX_STATE=") {
		t.Errorf("without WALLEX_STATE: exit %d\n%s", r.code, r.stderr)
	}
}

// The same withdrawal again while the first one's outcome is unknown is refused in one message in
// the CLI's words: what the earlier one was and when, then what to run. Before, the core's text
// came first ("wallex create_withdrawal: not sent: ... reconcile it first") and the CLI's lines
// said it again ("Nothing was sent. Settle the earlier one first").
func TestTheSameWithdrawalUnsettledIsRefusedInOneMessage(t *testing.T) {
	h := newHarness(t)
	h.mustRun("login")
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"}); err != nil {
		t.Fatal(err)
	}
	withdraw := []string{"withdraw", "--amount", "0.25", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 107), "--yes"}
	if r := h.run(withdraw...); r.code != 4 {
		t.Fatalf("withdraw, its answer lost: exit %d\n%s", r.code, r.stderr)
	}
	r := h.run(withdraw...)
	first := regexp.MustCompile(`^wallexkit: a withdrawal of the same amount of the same coin to the same destination was sent at ` +
		`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(operation op_\w+\) and its outcome is unknown: it may have been carried out\.\n` +
		`Nothing was sent\. Settle the earlier one first`)
	if r.code != 4 || !first.MatchString(r.stderr) || strings.Contains(r.stderr, "wallex create_withdrawal") ||
		strings.Contains(r.stderr, "reconcile it first") || strings.Count(r.stderr, "reconcile --op") != 1 {
		t.Errorf("the same withdrawal again, unsettled: exit %d, want one message in the CLI's words:\n%s", r.code, r.stderr)
	}
	if n := len(h.withdrawals()); n != 1 {
		t.Errorf("%d withdrawals, want 1", n)
	}
}

func TestWithdrawCommitDropThenReconcile(t *testing.T) {
	dropped := sandbox.TestAddress("BTC", 101)
	h := newHarness(t)
	h.mustRun("login") // so the fault hits the withdrawal, not the login
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"}); err != nil {
		t.Fatal(err)
	}
	withdraw := []string{"withdraw", "--amount", "0.25", "--currency", "BTC", "--address", dropped, "--note", "order 42", "--yes"}
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
	if out := h.mustRun("ops", "list"); !strings.Contains(out, args[2]) || !strings.Contains(out, "0.25 BTC, to "+dropped+", note order 42") {
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
	// By fields: something never sent is not in the history, but the fence says nothing of a
	// request whose nonce is not given (another key or tool may have sent it, and the network
	// may still hold it): in_flight, and the line to run after the wait carries this look's time
	// as --sent, which then settles it (not_found, not proven). With its nonce on this key, the
	// fence proves it at once. Excluding the known id hides the found one too.
	short := h.envWith("WALLEX_TIMEOUT", "1s", "WALLEX_IN_FLIGHT_WINDOW", "1s")
	byFields := []string{"reconcile", "--cmd", "create_withdrawal", "--amount", "0.26", "--currency", "BTC", "--address", dropped, "--since", "1h"}
	look := h.runWith(short, "", byFields...)
	next := field(t, look.stdout, "Next")
	m := regexp.MustCompile(` --since '?([0-9TZ:-]+)'? --sent '?([0-9TZ:-]+)'?`).FindStringSubmatch(next)
	if look.code != 0 || field(t, look.stdout, "Verdict") != "in_flight" || field(t, look.stdout, "Proven") != "no" || m == nil || !strings.Contains(next, "do NOT send it again") ||
		!strings.Contains(next, "--address "+dropped+" --amount 0.26 --cmd create_withdrawal --currency BTC") {
		t.Fatalf("reconcile by fields of nothing, its nonce unknown: exit %d\n%s%s", look.code, look.stdout, look.stderr)
	}
	if early := h.runWith(short, "", append(byFields[:len(byFields)-2], "--since", m[1], "--sent", m[2])...); field(t, early.stdout, "Verdict") != "in_flight" {
		t.Errorf("the printed line run before the wait ended:\n%s", early.stdout)
	}
	time.Sleep(2100 * time.Millisecond)
	after := h.runWith(short, "", append(byFields[:len(byFields)-2], "--since", m[1], "--sent", m[2])...)
	if field(t, after.stdout, "Verdict") != "not_found" || field(t, after.stdout, "Proven") != "no" || !strings.Contains(field(t, after.stdout, "Next"), "not proven") {
		t.Errorf("the printed line run after the wait:\n%s%s", after.stdout, after.stderr)
	}
	out = h.mustRun(append(byFields, "--original-nonce", "1")...)
	if field(t, out, "Verdict") != "not_found" || field(t, out, "Proven") != "yes" {
		t.Errorf("reconcile of nothing with its nonce:\n%s", out)
	}
	out = h.mustRun("reconcile", "--cmd", "create_withdrawal", "--amount", "0.25", "--currency", "BTC", "--address", dropped, "--exclude", ws[0].ID, "--original-nonce", "1")
	if field(t, out, "Verdict") != "not_found" {
		t.Errorf("reconcile --exclude:\n%s", out)
	}
	if r := h.run("reconcile", "--cmd", "create_withdrawal", "--amount", "1", "--currency", "BTC"); r.code != 2 {
		t.Errorf("reconcile without address: exit %d", r.code)
	}
	// Settled (found: it was paid): the same withdrawal again is a possible duplicate; the
	// merchant may send it again on purpose.
	if r := h.run(withdraw...); r.code != 1 || !strings.Contains(r.stderr, "--again") || len(h.withdrawals()) != 1 {
		t.Errorf("withdraw after it was found: exit %d\n%s", r.code, r.stderr)
	}
	if r := h.run(append(withdraw, "--again")...); r.code != 0 || len(h.withdrawals()) != 2 {
		t.Errorf("withdraw --again after settling: exit %d\n%s", r.code, r.stderr)
	}
}

// Asking again about a settled operation (the printed line run twice) answers from its record,
// which keeps only the withdrawal's id: the match shown must not be a made-up "0.00000000 to ,
// status 0 (Awaiting email confirmation)" but the withdrawal as the API has it (found by a
// first-hour audit).
func TestReconcileOpAgainShowsTheWithdrawal(t *testing.T) {
	dropped := sandbox.TestAddress("BTC", 102)
	h := newHarness(t)
	h.mustRun("login")
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"}); err != nil {
		t.Fatal(err)
	}
	r := h.run("withdraw", "--amount", "0.25", "--currency", "BTC", "--address", dropped, "--note", "order 43", "--yes")
	if r.code != 4 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	args := reconcileLine(t, r.stderr)
	first := h.mustRun(args...)
	second := h.mustRun(args...)
	for _, out := range []string{first, second} {
		if m := field(t, out, "Match"); !strings.Contains(m, "0.25000000 BTC to "+dropped) || !strings.Contains(m, `note "order 43"`) {
			t.Errorf("match:\n%s", out)
		}
	}
	var res core.ReconcileResult
	decode(t, h.mustRun(append(args, "-o", "json")...), &res)
	if len(res.Withdrawals) != 1 || res.Withdrawals[0].Amount.Text() != "0.25" || res.Withdrawals[0].TimeCreated.IsZero() {
		t.Errorf("reconcile json again: %+v", res)
	}
}

// A state file that is a symlink (kept on another volume, or shared by a cron job that names the
// target with WALLEX_STATE) is one file whichever name a run uses: the first write must not
// replace the link with a copy of its own, or the two names hold two sets of records from then on
// and a withdrawal of unknown outcome recorded through one is sent again through the other.
func TestSymlinkedStateFileStaysOneFile(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	real := filepath.Join(dir, "vault", "state.json")
	link := filepath.Join(dir, "home", "wallexkit", "state.json")
	for _, d := range []string{filepath.Dir(real), filepath.Dir(link)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	viaReal, viaLink := h.envWith("WALLEX_STATE", real), h.envWith("WALLEX_STATE", link)
	if r := h.runWith(viaReal, "", "login"); r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"}); err != nil {
		t.Fatal(err)
	}
	withdraw := []string{"withdraw", "--amount", "0.25", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 103), "--yes"}
	if r := h.runWith(viaLink, "", withdraw...); r.code != 4 {
		t.Fatalf("withdraw through the link: exit %d, want 4 (outcome unknown)\n%s", r.code, r.stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the state file's symlink was replaced by a file of its own (mode %v, %v)", fi.Mode(), err)
	}
	// The same withdrawal through the target's name: its record is there, so it is refused.
	r := h.runWith(viaReal, "", withdraw...)
	if n := len(h.withdrawals()); n != 1 || r.code != 4 || !strings.Contains(r.stderr, "Nothing was sent") {
		t.Fatalf("the same withdrawal through the target's name: exit %d, %d withdrawals in the sandbox (want 1)\n%s", r.code, n, r.stderr)
	}
	// A payout file's journal lives next to the state file itself too: a run under the link's
	// name is refused while a run under the target's holds the journal.
	csv := filepath.Join(dir, "p.csv")
	if err := os.WriteFile(csv, []byte(sandbox.TestAddress("LTC", 1)+",LTC,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(sandbox.TestAddress("LTC", 1) + ",LTC,1\n"))
	unlock, err := filestore.NewJournal(filestore.JournalPath(filepath.Dir(real), hex.EncodeToString(sum[:]), h.apiURL+"|"+h.demo.PublicKey)).Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	viaLink["WALLEX_TIMEOUT"], viaLink["WALLEX_IN_FLIGHT_WINDOW"] = "1s", "1s" // (before the fix it held, then paid)
	if r := h.runWith(viaLink, "", "mass-withdraw", csv, "--yes"); r.code != 2 || !strings.Contains(r.stderr, "another run is paying this file") {
		t.Errorf("mass-withdraw through the link while a run through the target holds the journal: exit %d\n%s", r.code, r.stderr)
	}
	if n := h.cmdCount("create_mass_withdrawal"); n != 0 {
		t.Errorf("%d mass calls", n)
	}
}

// A script refused as a possible duplicate follows the printed instruction ("run the same command
// with --again ..."): a second payment, meant, of the one named. The same line run once more (its
// answer lost to a dropped SSH session, or the instruction followed in a second terminal too) is
// a third payment nobody was asked about: like "Pay it again" on a terminal, it must be refused,
// naming the second payment, not sent.
func TestAgainLinePaysOnceForThePaymentItNamed(t *testing.T) {
	dest := sandbox.TestAddress("BTC", 105)
	h := newHarness(t)
	args := []string{"withdraw", "--amount", "0.01", "--currency", "BTC", "--address", dest, "--yes"}
	first := field(t, h.mustRun(args...), "Withdrawal")
	r := h.run(args...)
	m := regexp.MustCompile(`run the same command with (--again\S*?)\.?\n`).FindStringSubmatch(r.stderr)
	if r.code != 1 || m == nil || !strings.Contains(r.stderr, first) {
		t.Fatalf("the same withdrawal again: exit %d: %s", r.code, r.stderr)
	}
	// one message, in the CLI's words: not the core's text (its "wallex create_withdrawal:"
	// prefix) and then the same said again
	if strings.Contains(r.stderr, "wallex create_withdrawal") || strings.Count(r.stderr, first) != 2 || !strings.Contains(r.stderr, "a possible duplicate") {
		t.Errorf("the refusal is not one message naming %s once and in its --again: %s", first, r.stderr)
	}
	againArgs := append(append([]string{}, args...), m[1])
	r = h.run(againArgs...)
	if r.code != 0 {
		t.Fatalf("%s as printed: exit %d: %s", m[1], r.code, r.stderr)
	}
	second := field(t, r.stdout, "Withdrawal")
	// the same line again (another terminal, or run again "because it failed")
	r = h.run(againArgs...)
	if r.code != 1 || !strings.Contains(r.stderr, "possible_duplicate") && !strings.Contains(r.stderr, "Possible duplicate") && !strings.Contains(r.stderr, "not sent: the same withdrawal") || !strings.Contains(r.stderr, second) {
		t.Errorf("the printed --again line run a second time: exit %d, want 1 naming %s: %s", r.code, second, r.stderr)
	}
	if n := len(h.withdrawals()); n != 2 {
		t.Errorf("%d withdrawals, want 2: the first and the one the printed line meant", n)
	}
}

// A conversion whose answer was lost is settled by the lines the CLI prints, in order, at once:
// the same conversion again is refused and told how (reconcile, which for a conversion only a
// person can settle, by the balances, once the fence has run; then ops forget); the record is
// forgotten at once after the fence (before, ForgetOp waited out the in-flight bound, and the
// refusal said "when it says not_found", which a conversion never says); the conversion is then
// sent again, on purpose.
func TestALostConversionIsSettledByThePrintedLines(t *testing.T) {
	h := newHarness(t)
	convert := []string{"convert", "--amount", "0.1", "--from", "BTC", "--to", "LTC", "--yes"}
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "convert"}); err != nil {
		t.Fatal(err)
	}
	if r := h.run(convert...); r.code != 4 {
		t.Fatalf("convert, its answer lost: exit %d, want 4\n%s", r.code, r.stderr)
	}
	r := h.run(convert...)
	if r.code != 4 || !strings.Contains(r.stderr, "Nothing was sent") || strings.Contains(r.stderr, "not_found") {
		t.Fatalf("the same conversion again: exit %d, want 4, nothing sent, no promise of not_found\n%s", r.code, r.stderr)
	}
	var forget []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if l = strings.TrimSpace(l); strings.Contains(l, " ops forget ") {
			_, forget = splitEnvLine(l)
		}
	}
	if len(forget) < 4 || !strings.Contains(r.stderr, "wallexkit balances") {
		t.Fatalf("the refusal names no balances check and no ops forget line:\n%s", r.stderr)
	}
	rec := h.run(reconcileLine(t, r.stderr)...)
	if rec.code != 0 || field(t, rec.stdout, "Verdict") != "ambiguous" || !strings.Contains(rec.stdout, "can no longer be carried out") || !strings.Contains(rec.stdout, "ops forget") {
		t.Fatalf("the printed reconcile line: exit %d\n%s%s", rec.code, rec.stdout, rec.stderr)
	}
	// the balances checked (the sandbox carried it out: commit, then drop), the person converts again
	if f := h.run(forget[1:]...); f.code != 0 {
		t.Fatalf("the printed ops forget line, right after the fence: exit %d\n%s", f.code, f.stderr)
	}
	if r := h.run(convert...); r.code != 0 {
		t.Fatalf("the conversion, sent again on purpose: exit %d\n%s", r.code, r.stderr)
	}
}

// reconcile --op of an id the state file has no record of says so in one sentence naming the file
// asked (Next says what to do). Before, its Detail was the core's text about "this store", then
// the file, then what Next says again (600 characters).
func TestReconcileOfAnUnknownOpNamesTheFileOnce(t *testing.T) {
	h := newHarness(t)
	r := h.mustRun("reconcile", "--op", "op_nosuch")
	d := field(t, r, "Detail")
	if !strings.Contains(d, "no record of operation op_nosuch in the state file ") || strings.Contains(d, "this store") || strings.Count(d, "state file") != 1 {
		t.Fatalf("Detail (%d characters): %s", len(d), d)
	}
	if v := field(t, r, "Verdict"); v != "not_found" || field(t, r, "Proven") != "no" {
		t.Fatalf("verdict %s, proven %s: want not_found, not proven", v, field(t, r, "Proven"))
	}
}

// The answer to a withdrawal shows the network fee and what the address receives, as the review
// did (with --yes there was no review; after a confirmed prompt the review has scrolled away).
func TestWithdrawAnswerShowsTheFeeAndWhatArrives(t *testing.T) {
	h := newHarness(t)
	for i, tc := range []struct {
		name  string
		tty   bool
		extra []string
		fee   string
		recv  string
	}{
		{"--yes", false, []string{"--yes"}, "0.00010000 BTC, taken out of the amount", "0.05990000 BTC"},
		{"confirmed", true, nil, "0.00010000 BTC, taken out of the amount", "0.05990000 BTC"},
		{"--add-tx-fee --yes", false, []string{"--add-tx-fee", "--yes"}, "0.00010000 BTC, added on top of the amount", "0.06000000 BTC"},
	} {
		// one address each: the same payment twice would be refused as a possible duplicate
		args := append([]string{"withdraw", "--amount", "0.06", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 107+i)}, tc.extra...)
		var r result
		if tc.tty {
			r = h.runTTY("y\n", args...)
		} else {
			r = h.run(args...)
		}
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.name, r.code, r.stderr)
		}
		if got := field(t, r.stdout, "Network fee"); got != tc.fee {
			t.Errorf("%s: Network fee %q, want %q", tc.name, got, tc.fee)
		}
		if got := field(t, r.stdout, "Address receives"); got != tc.recv {
			t.Errorf("%s: Address receives %q, want %q", tc.name, got, tc.recv)
		}
		if tc.tty && !strings.Contains(r.stderr, "Address receives  "+tc.recv) {
			t.Errorf("%s: the review showed another split:\n%s", tc.name, r.stderr)
		}
	}
}

// A withdrawal of unknown outcome is explained with one warning, and the request block shows the
// amount as every other answer does: with its coin and 8 decimals, on one line.
func TestWithdrawOutcomeUnknownWarnsOnceAndShowsTheAmountWithItsCoin(t *testing.T) {
	h := newHarness(t)
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultReset, Cmd: "create_withdrawal", Key: h.demo.PublicKey}); err != nil {
		t.Fatal(err)
	}
	r := h.run("withdraw", "--amount", "0.06", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 110), "--note", "order-9", "--yes")
	if r.code != 4 {
		t.Fatalf("exit %d, want 4\n%s", r.code, r.stderr)
	}
	if n := strings.Count(strings.ToLower(r.stderr), "do not send it again"); n != 1 {
		t.Errorf("%d warnings not to send it again, want 1:\n%s", n, r.stderr)
	}
	if !regexp.MustCompile(`(?m)^  amount +0\.06000000 BTC$`).MatchString(r.stderr) {
		t.Errorf("no amount line with its coin and 8 decimals:\n%s", r.stderr)
	}
	if regexp.MustCompile(`(?m)^  currency `).MatchString(r.stderr) {
		t.Errorf("the coin on a line of its own:\n%s", r.stderr)
	}
	for _, want := range []string{"note     order-9", "wallexkit reconcile --op op_"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestOutcomeUnknownRefShowsEachAmountWithItsCoin(t *testing.T) {
	got := refShown(map[string]string{"amount": "1.5", "from": "LTC", "to": "BTC",
		"wd[a][amount]": "0.06", "wd[a][currency]": "BTC", "wd[a][address]": "x"})
	want := map[string]string{"amount": "1.50000000 LTC", "to": "BTC", "wd[a][amount]": "0.06000000 BTC", "wd[a][address]": "x"}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// The refusals for want of a confirmation say that nothing was sent, as every other refusal does.
func TestConfirmationRefusalsSayNothingWasSent(t *testing.T) {
	h := newHarness(t)
	args := []string{"withdraw", "--amount", "0.01", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 111)}
	for name, r := range map[string]result{
		"no terminal":  h.run(args...),
		"key on stdin": h.runTTY(h.demo.PrivateKey+"\n", append(args, "--private-key-file", "-")...),
	} {
		if r.code != 2 || !strings.Contains(r.stderr, "pass --yes") || !strings.Contains(r.stderr, "nothing was sent") {
			t.Errorf("%s: exit %d: %s", name, r.code, r.stderr)
		}
	}
	if st := h.srv.Stats(h.demo.PublicKey); st.RequestsSeen != 0 {
		t.Errorf("something reached the sandbox: %+v", st)
	}
}
