package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
	"github.com/wallexkit/wallexkit/sandbox"
)

// payoutFile writes n valid rows (with a header) and returns the path.
func payoutFile(t testing.TB, dir string, n int, coin, amount string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("address,currency,amount,memo\n")
	for i := range n {
		memo := ""
		if i%3 == 0 {
			memo = fmt.Sprintf("invoice %d", i)
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", sandbox.TestAddress(coin, i), coin, amount, memo)
	}
	path := filepath.Join(dir, "payouts.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func readResults(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "line,address,currency,amount,memo,note,status,withdrawal_id,error" {
		t.Fatalf("results header %v", recs[0])
	}
	return recs[1:]
}

func countStatus(recs [][]string) map[string]int {
	m := map[string]int{}
	for _, r := range recs {
		m[r[6]]++
	}
	return m
}

func TestMassWithdrawReportsEveryBadRow(t *testing.T) {
	h := newHarness(t)
	ta := sandbox.TestAddress
	csvText := "address,currency,amount,memo\n" + // line 1
		ta("BTC", 1) + ",BTC,0.001\n" + // 2
		ta("BTC", 2) + ",BTC,0.001,first\n" + // 3
		",BTC,0.001\n" + // 4: no address
		"addr4,B$C,0.001\n" + // 5: bad ticker
		ta("LTC", 5) + ",LTC,0.001\n" + // 6
		ta("LTC", 6) + ",LTC,0.123456789\n" + // 7: 9 decimals
		ta("ETH", 7) + ",ETH,0.01\n" + // 8
		ta("BTC", 1) + ",BTC,0.001\n" + // 9: duplicate of line 2 (a warning)
		ta("ETH", 9) + ",ETH,0.02\n" + // 10
		ta("ETH", 10) + ",ETH,0.03,x\n" // 11
	path := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(path, []byte(csvText), 0o600)
	r := h.run("mass-withdraw", path, "--yes")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"line 4: address is empty", "line 5: currency \"B$C\" is not a coin ticker", "line 7: amount",
		"3 problem(s) in " + path, "nothing was sent", "line 9: same address, currency and amount as line 2"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if n := strings.Count(r.stderr, "problem(s)"); n != 1 {
		t.Errorf("the count said %d times, want once:\n%s", n, r.stderr)
	}
	if st := h.srv.Stats(h.demo.PublicKey); st.RequestsSeen != 0 {
		t.Errorf("the sandbox was called: %+v", st)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(h.env["WALLEX_STATE"]), "payouts")); err == nil {
		t.Error("a journal was written for a rejected file")
	}

	// Headerless files, other column orders, zero and negative amounts, too long memos.
	for _, tc := range []struct{ text, want string }{
		{ta("BTC", 1) + ",BTC,0\n", "line 1: amount 0 must be greater than zero"},
		{ta("BTC", 1) + ",BTC,-1\n", "line 1: amount -1 must be greater than zero"},
		{ta("BTC", 1) + ",BTC\n", "line 1: has 2 columns"},
		{ta("BTC", 1)[:20] + "x" + ta("BTC", 1)[21:] + ",BTC,0.01\n", "line 1: address"},
		{ta("BTC", 1) + ",XYZ,0.01\n", "line 1: currency XYZ is not enabled on this account"},
		{ta("BTC", 1) + ",BTC,999999\n", "line 1: amount 999999 BTC is more than the BTC balance"},
		{"amount,address,currency\n1,addr,BTC\n2,,BTC\n", "line 3: address is empty"},
		{"address,currency,amount,colour\n", "unknown columns"},
		{"a b,BTC,1\n", `line 1: address "a b" contains spaces`},
		{ta("BTC", 1) + ",BTC,1," + strings.Repeat("m", 120) + "\n", "line 1: memo is 120 bytes"},
		{"\n\n", "holds no payouts"},
	} {
		os.WriteFile(path, []byte(tc.text), 0o600)
		r := h.run("mass-withdraw", path, "--yes")
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, want 2 with %q:\n%s", tc.text, r.code, tc.want, r.stderr)
		}
	}
	if r := h.run("mass-withdraw", path, "--batch", "101", "--yes"); r.code != 2 {
		t.Errorf("--batch 101: exit %d", r.code)
	}
}

// holdBriefly shortens the hold of a payout file's first run (the client's timeout plus its
// in-flight window) to about 3 s.
func holdBriefly(h *harness) {
	h.env["WALLEX_TIMEOUT"] = "2s"
	h.env["WALLEX_IN_FLIGHT_WINDOW"] = "1s"
}

func TestMassWithdrawCommitDropResumes(t *testing.T) {
	h := newHarness(t)
	holdBriefly(h)
	dir := t.TempDir()
	path := payoutFile(t, dir, 30, "BTC", "0.001")
	data, _ := os.ReadFile(path)
	sum := sha256.Sum256(data)
	tag := hex.EncodeToString(sum[:])[:8]
	results := path + ".results.csv"

	h.mustRun("login")
	// The first batch passes (a 1ms delay), the second is carried out but its answer dropped.
	for _, f := range []sandbox.Fault{
		{Kind: sandbox.FaultDelay, Delay: time.Millisecond, Cmd: "create_mass_withdrawal"},
		{Kind: sandbox.FaultCommitDrop, Cmd: "create_mass_withdrawal"},
	} {
		if err := h.srv.InjectFault(f); err != nil {
			t.Fatal(err)
		}
	}
	// The lost batch is looked up (behind a nonce fence) in the same run before anything else is
	// sent, found, and the run goes on: every row once.
	r := h.run("mass-withdraw", path, "--batch", "10", "--yes")
	if r.code != 0 {
		t.Fatalf("first run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "Looking up 10 payout(s) whose outcome is unknown") {
		t.Errorf("first run stderr:\n%s", r.stderr)
	}
	if got := field(t, r.stdout, "Sent"); got != "30 (20 now, 10 confirmed by lookup, 0 earlier)" {
		t.Errorf("first run summary: %s\n%s", got, r.stdout)
	}
	if n := h.cmdCount("create_mass_withdrawal"); n != 3 {
		t.Errorf("%d mass calls, want 3 (the lost batch is not sent again)", n)
	}
	ws := h.withdrawals()
	if len(ws) != 30 {
		t.Fatalf("%d withdrawals, want exactly 30", len(ws))
	}
	byNote := map[string]core.WithdrawalInfo{}
	for _, w := range ws {
		byNote[w.Note] = w
	}
	recs := readResults(t, results)
	if len(recs) != 30 {
		t.Fatalf("%d result rows", len(recs))
	}
	ids := map[string]bool{}
	for _, rec := range recs {
		line, note, status, id := rec[0], rec[5], rec[6], rec[7]
		want := "wk:" + tag + ":" + line
		if rec[4] != "" {
			want = rec[4] + " (" + want + ")"
		}
		if note != want || status != "sent" || id == "" || ids[id] || byNote[note].ID != id {
			t.Errorf("result row %v: withdrawal with note %q is %q", rec, want, byNote[want].ID)
		}
		ids[id] = true
	}

	// Running it again sends nothing.
	r = h.run("mass-withdraw", path, "--batch", "10", "--yes")
	if r.code != 0 || field(t, r.stdout, "Sent") != "30 (0 now, 10 confirmed by lookup, 20 earlier)" {
		t.Errorf("second run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// So does a renamed copy: the journal is the content's, not the path's.
	copyPath := filepath.Join(t.TempDir(), "renamed.csv")
	os.WriteFile(copyPath, data, 0o600)
	r = h.run("mass-withdraw", copyPath, "--yes")
	if r.code != 0 || field(t, r.stdout, "Sent") != "30 (0 now, 10 confirmed by lookup, 20 earlier)" {
		t.Errorf("renamed copy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := h.cmdCount("create_mass_withdrawal"); n != 3 || len(h.withdrawals()) != 30 {
		t.Errorf("a re-run sent something: %d calls", n)
	}
	if got := countStatus(readResults(t, results)); got["sent"] != 30 {
		t.Errorf("results after the second run: %v", got)
	}

	// The file changed in place: a new list, refused at the same path (its matching rows would each be left to check).
	os.WriteFile(path, append(data, sandbox.TestAddress("BTC", 9999)+",BTC,0.001\n"...), 0o600)
	if r := h.run("mass-withdraw", path, "--yes"); r.code != 2 || !strings.Contains(r.stderr, "changed since it was paid from") {
		t.Errorf("changed file: exit %d: %s", r.code, r.stderr)
	}
	if len(h.withdrawals()) != 30 {
		t.Error("the changed file was paid")
	}
}

func TestMassWithdrawAfterCrashAndAmbiguity(t *testing.T) {
	h := newHarness(t)
	holdBriefly(h)
	dir := t.TempDir()
	path := filepath.Join(dir, "p.csv")
	addrA, addrB, addrC, addrD := sandbox.TestAddress("LTC", 1), sandbox.TestAddress("LTC", 2), sandbox.TestAddress("LTC", 3), sandbox.TestAddress("LTC", 4)
	text := addrA + ",LTC,1\n" + addrB + ",LTC,2\n" + addrC + ",LTC,3\n" + addrD + ",LTC,4\n"
	os.WriteFile(path, []byte(text), 0o600)
	sum := sha256.Sum256([]byte(text))
	hash := hex.EncodeToString(sum[:])
	c := h.client()
	ctx := context.Background()

	// A crash a minute ago: the journal says lines 1-3 were "sending" (with no nonce: no fence
	// covers them, but their in-flight bound has passed), and only line 1 reached the API,
	// twice for line 3 (someone paid it by hand with the same note), never for line 2.
	for _, p := range []struct{ addr, amount, line string }{{addrA, "1", "1"}, {addrC, "3", "3"}, {addrC, "3", "3"}} {
		note := "wk:" + hash[:8] + ":" + p.line
		if _, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: p.amount, Currency: "LTC", Address: p.addr, Note: &note}); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	journal := fmt.Sprintf(`{"v":2,"file":"p.csv","sha256":"%s","rows":4}`+"\n"+`{"scanned":true}`+"\n", hash)
	for _, l := range []string{"1", "2", "3"} {
		journal += fmt.Sprintf(`{"line":%s,"state":"sending","sent_at":"%s"}`+"\n", l, at)
	}
	journal += `{"line":1,"state":"se` // torn by the crash
	jpath := filepath.Join(filepath.Dir(h.env["WALLEX_STATE"]), "payouts", hash+".jsonl")
	os.MkdirAll(filepath.Dir(jpath), 0o700)
	os.WriteFile(jpath, []byte(journal), 0o600)

	r := h.run("mass-withdraw", path, "--yes", "-o", "json")
	if r.code != 4 {
		t.Fatalf("exit %d, want 4\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "ambiguous (lines 3)") || !strings.Contains(r.stderr, "never sent again") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	recs := readResults(t, path+".results.csv")
	want := []string{"sent", "sent", "ambiguous", "sent"}
	for i, rec := range recs {
		if rec[6] != want[i] {
			t.Errorf("line %s: %s (%s), want %s", rec[0], rec[6], rec[8], want[i])
		}
	}
	if n := len(h.withdrawals()); n != 5 { // 3 by hand + lines 2 and 4
		t.Errorf("%d withdrawals, want 5", n)
	}
	var sum2 struct {
		Sent       int `json:"sent"`
		Reconciled int `json:"reconciled"`
		SentNow    int `json:"sent_now"`
		Ambiguous  int `json:"ambiguous"`
	}
	decode(t, r.stdout, &sum2)
	if sum2.Sent != 3 || sum2.Reconciled != 1 || sum2.SentNow != 2 || sum2.Ambiguous != 1 {
		t.Errorf("summary %+v", sum2)
	}
	// Running again never sends line 3; it stays ambiguous.
	if r := h.run("mass-withdraw", path, "--yes"); r.code != 4 || len(h.withdrawals()) != 5 {
		t.Errorf("second run: exit %d, %d withdrawals", r.code, len(h.withdrawals()))
	}
}

func TestMassWithdrawRefusesAConcurrentRun(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(t.TempDir(), "p.csv")
	os.WriteFile(path, []byte(sandbox.TestAddress("LTC", 1)+",LTC,1\n"), 0o600)
	data, _ := os.ReadFile(path)
	sum := sha256.Sum256(data)
	j := filestore.NewJournal(filestore.JournalPath(filepath.Dir(h.env["WALLEX_STATE"]), hex.EncodeToString(sum[:]), h.apiURL+"|"+h.demo.PublicKey))
	unlock, err := j.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	r := h.run("mass-withdraw", path, "--yes")
	if r.code != 2 || !strings.Contains(r.stderr, "another run is paying this file") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
	if n := h.cmdCount("create_mass_withdrawal"); n != 0 {
		t.Errorf("%d mass calls", n)
	}
}

func TestMassWithdrawFailuresAndConfirmation(t *testing.T) {
	h := newHarness(t)
	holdBriefly(h)
	dir := t.TempDir()
	path := filepath.Join(dir, "p.csv")
	// Each row fits the LTC balance (25) alone, but lines 1 and 2 together do not, so the API
	// refuses line 2; line 3 is below the network fee.
	ta := sandbox.TestAddress
	os.WriteFile(path, []byte(ta("LTC", 1)+",LTC,1\n"+ta("LTC", 2)+",LTC,24.5\n"+ta("LTC", 3)+",LTC,0.0001\n"+ta("BTC", 4)+",BTC,0.01\n"), 0o600)
	if r := h.run("mass-withdraw", path); r.code != 2 || !strings.Contains(r.stderr, "pass --yes") {
		t.Fatalf("without --yes: exit %d: %s", r.code, r.stderr)
	}
	r := h.runTTY("n\n", "mass-withdraw", path)
	if r.code != 2 || !strings.Contains(r.stderr, "Total LTC") || !strings.Contains(r.stderr, "25.5001") || !strings.Contains(r.stderr, "more than the LTC balance") {
		t.Fatalf("answer n: exit %d: %s", r.code, r.stderr)
	}
	if st := h.srv.Stats(h.demo.PublicKey); st.ByCmd["create_mass_withdrawal"] != 0 {
		t.Fatal("sent before confirmation")
	}
	r = h.runTTY("y\n", "mass-withdraw", path)
	if r.code != 1 || !strings.Contains(r.stderr, "2 payout(s) were refused (lines 2, 3; nothing moved)") {
		t.Fatalf("answer y: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "[##############################] 4/4") {
		t.Errorf("no progress bar on a terminal:\n%q", r.stderr)
	}
	recs := readResults(t, path+".results.csv")
	if recs[1][6] != "failed" || !strings.Contains(recs[1][8], "Insufficient funds") || recs[0][6] != "sent" || recs[3][6] != "sent" {
		t.Errorf("results %v", recs)
	}
	// Top up and run again: only the failed rows are retried.
	h.srv.SetBalance(h.demo.MerchantID, "LTC", "10000")
	r = h.run("mass-withdraw", path, "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "1 payout(s) were refused (lines 3; nothing moved)") {
		t.Errorf("second run: exit %d: %s", r.code, r.stderr)
	}
	if n := len(h.withdrawals()); n != 3 {
		t.Errorf("%d withdrawals, want 3", n)
	}
}

// The line a run prints to run it again is safe to follow at once: it names the journal the run
// used (and WALLEX_STATE when it was set), so the rows it sent are looked up before anything is
// sent. It named neither: pasted, it started a new journal, found nothing yet (nonces off, the
// batch still held by the network), and paid every row again.
func TestPrintedAgainLineKeepsTheJournal(t *testing.T) {
	h := newHarness(t)
	h.env["WALLEX_NONCE"] = "0"
	state := filepath.Join(t.TempDir(), "shop state", "state.json")
	h.env["WALLEX_STATE"] = state
	dir := t.TempDir()
	path := payoutFile(t, dir, 3, "BTC", "0.001")
	journal := filepath.Join(dir, "my journal.jsonl")
	h.mustRun("login")
	for _, f := range []sandbox.Fault{
		// the look-ups before the batch pass: the first run's (one read, and one for rows of
		// other versions of the file), then after the hold the held rows' (the same two) and the
		// one just before the batch leaves
		{Kind: sandbox.FaultDelay, Delay: time.Millisecond, Cmd: "get_withdrawal_history", Count: 5},
		{Kind: sandbox.FaultHold, Delay: 1500 * time.Millisecond, Cmd: "create_mass_withdrawal"},
		{Kind: sandbox.FaultReset, Cmd: "get_withdrawal_history", Count: 30},
	} {
		if err := h.srv.InjectFault(f); err != nil {
			t.Fatal(err)
		}
	}
	r := h.run("--timeout", "300ms", "--in-flight-window", "2s", "mass-withdraw", path, "--journal", journal, "--yes")
	h.srv.ClearFaults()
	if r.code != 4 {
		t.Fatalf("first run: exit %d, want 4 (unknown)\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	env, args := splitEnvLine(strings.TrimSpace(lines[len(lines)-1]))
	if env["WALLEX_STATE"] != state || len(args) < 4 || args[len(args)-2] != "--journal" || args[len(args)-1] != journal {
		t.Fatalf("printed line %q: env %v, args %q", lines[len(lines)-1], env, args)
	}
	// Followed at once, as printed (with --yes, as a script would).
	r2 := h.runWith(h.envWith("WALLEX_STATE", env["WALLEX_STATE"]), "", append(append([]string{"--timeout", "300ms"}, args[1:]...), "--yes")...)
	time.Sleep(1700 * time.Millisecond) // the held batch lands
	if n := len(h.withdrawals()); n != 3 {
		t.Fatalf("%d withdrawals for 3 rows (second run exit %d)\n%s%s\nfirst run:\n%s", n, r2.code, r2.stdout, r2.stderr, r.stderr)
	}
}

// A file paid from one account, then run against another (the sandbox, then the live API; another
// merchant): each account has a journal of its own. They shared one, and the second account's run
// said "every payout is sent" and paid nothing.
func TestMassWithdrawJournalPerAccount(t *testing.T) {
	h := newHarness(t)
	holdBriefly(h)
	path := payoutFile(t, t.TempDir(), 3, "LTC", "0.5")
	if r := h.run("mass-withdraw", path, "--yes"); r.code != 0 {
		t.Fatalf("first account: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	acct, err := h.srv.CreateAccount(sandbox.AccountSpec{Username: "second", Email: "second@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := h.srv.CreateKey(acct.MerchantID, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.SetBalance(acct.MerchantID, "LTC", "100")
	h.addSecret(key.PrivateKey)
	h.env["WALLEX_PUBLIC_KEY"], h.env["WALLEX_PRIVATE_KEY"] = key.PublicKey, key.PrivateKey
	r := h.run("mass-withdraw", path, "--yes")
	if r.code != 0 || field(t, r.stdout, "Sent") != "3 (3 now, 0 confirmed by lookup, 0 earlier)" {
		t.Fatalf("second account: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := h.srv.Stats(key.PublicKey).ByCmd["create_mass_withdrawal"]; n != 1 {
		t.Fatalf("%d mass withdrawal calls from the second account, want 1", n)
	}
}
