package main

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core/ipn"
)

const testIPNSecret = "ipn-secret-for-tests"

func TestIPNVerify(t *testing.T) {
	h := newHarness(t)
	h.addSecret(testIPNSecret)
	merchant := h.demo.MerchantID
	env := h.envWith("WALLEX_IPN_SECRET", testIPNSecret)
	body, sig := ipn.SignedTestIPN(testIPNSecret, merchant, ipn.TypeAPI, map[string]string{
		"txn_id": "CPSBTEST", "status": "100", "status_text": "Complete", "currency1": "USD", "currency2": "BTC",
		"amount1": "12.5", "amount2": "0.0002", "received_amount": "0.0002", "invoice": "INV-9"})
	tampered := bytes.Replace(body, []byte("0.0002"), []byte("0.0003"), 1)
	_, wrongSig := ipn.SignedTestIPN("another-secret", merchant, ipn.TypeAPI, map[string]string{"txn_id": "X"})
	otherBody, otherSig := ipn.SignedTestIPN(testIPNSecret, "someone-else", ipn.TypeAPI, map[string]string{"txn_id": "X"})

	tests := []struct {
		name   string
		env    map[string]string
		stdin  []byte
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"valid", env, body, []string{"--merchant", merchant, "--hmac", sig}, 0, "Transaction", ""},
		{"valid, upper-case hmac", env, body, []string{"--merchant", merchant, "--hmac", strings.ToUpper(sig)}, 0, "Complete", ""},
		{"tampered", env, tampered, []string{"--merchant", merchant, "--hmac", sig}, 1, "", "invalid IPN: ipn: bad HMAC signature"},
		{"wrong secret", env, body, []string{"--merchant", merchant, "--hmac", wrongSig}, 1, "", "bad HMAC signature"},
		// A body saved by an editor or echo gains a newline: refused, with the cause named (first-hour audit).
		{"trailing newline", env, append(append([]byte{}, body...), '\n'), []string{"--merchant", merchant, "--hmac", sig}, 1, "", "it matches without the line break at the end of the body"},
		{"wrong secret says what to check", env, body, []string{"--merchant", merchant, "--hmac", wrongSig}, 1, "", "is the account's IPN secret and that the body is byte for byte as received"},
		{"other merchant", env, otherBody, []string{"--merchant", merchant, "--hmac", otherSig}, 1, "", "merchant mismatch"},
		{"no secret", h.env, body, []string{"--merchant", merchant, "--hmac", sig}, 2, "", "WALLEX_IPN_SECRET"},
		{"no merchant", env, body, []string{"--hmac", sig}, 2, "", "--merchant"},
		{"no hmac", env, body, []string{"--merchant", merchant}, 2, "", "--hmac"},
		{"secret flag", h.env, body, []string{"--merchant", merchant, "--hmac", sig, "--secret", testIPNSecret}, 0, "Transaction", "visible to other local users"},
		{"merchant from env", h.envWith("WALLEX_IPN_SECRET", testIPNSecret, "WALLEX_MERCHANT_ID", merchant), body, []string{"--hmac", sig}, 0, "Transaction", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.runWith(tc.env, string(tc.stdin), append([]string{"ipn", "verify"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
		})
	}
	out := h.runWith(env, string(body), "ipn", "verify", "--merchant", merchant, "--hmac", sig).stdout
	for label, want := range map[string]string{"Type": "api", "Status": "100 (Complete)", "State": "paid", "Transaction": "CPSBTEST",
		"Buyer pays": "0.00020000 BTC", "Invoice": "INV-9"} {
		if got := field(t, out, label); got != want {
			t.Errorf("%s = %q, want %q\n%s", label, got, want, out)
		}
	}
	var v ipnView
	decode(t, h.runWith(env, string(body), "ipn", "verify", "--merchant", merchant, "--hmac", sig, "-o", "json").stdout, &v)
	if !v.Valid || v.Type != "api" || v.Key != "CPSBTEST" || v.Fields["amount1"] != "12.5" || v.State != "paid" {
		t.Errorf("json: %+v", v)
	}
}

// startListener runs `ipn listen` and returns its URL, its outputs and a stop function that
// returns the exit code.
func startListener(t *testing.T, env map[string]string, args ...string) (string, *syncBuffer, *syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"ipn", "listen", "--addr", "127.0.0.1:0"}, args...), strings.NewReader(""), stdout, stderr,
			func(k string) string { return env[k] })
	}()
	re := regexp.MustCompile(`Listening for IPNs on (http://127\.0\.0\.1:\d+/)`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			stop := func() int {
				cancel()
				select {
				case code := <-done:
					return code
				case <-time.After(10 * time.Second):
					t.Fatal("ipn listen did not stop")
					return -1
				}
			}
			t.Cleanup(func() { cancel() })
			return m[1], stdout, stderr, stop
		}
		select {
		case code := <-done:
			t.Fatalf("ipn listen exited with %d: %s", code, stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("ipn listen did not start: %s", stderr.String())
		}
	}
}

func postIPN(t *testing.T, url string, body []byte, sig string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HMAC", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestIPNListen(t *testing.T) {
	h := newHarness(t)
	h.addSecret(testIPNSecret)
	merchant := h.demo.MerchantID
	url, stdout, stderr, stop := startListener(t, h.envWith("WALLEX_IPN_SECRET", testIPNSecret), "--merchant", merchant)

	body, sig := ipn.SignedTestIPN(testIPNSecret, merchant, ipn.TypeWithdrawal, map[string]string{
		"id": "CWSBX", "status": "2", "status_text": "Complete", "address": "bc1qx", "currency": "BTC", "amount": "0.5"})
	if code := postIPN(t, url, body, sig); code != 200 {
		t.Errorf("signed IPN: HTTP %d", code)
	}
	if code := postIPN(t, url, body, sig); code != 200 { // a repeat: acknowledged, not printed
		t.Errorf("repeated IPN: HTTP %d", code)
	}
	tampered := bytes.Replace(body, []byte("0.5"), []byte("5.0"), 1)
	if code := postIPN(t, url, tampered, sig); code != 401 {
		t.Errorf("tampered IPN: HTTP %d, want 401", code)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 1 || !regexp.MustCompile(`^\S+Z withdrawal ipn_id=\w+ status=2 \(Complete\) withdrawal=CWSBX address=bc1qx amount="0.50000000 BTC" first_paid$`).MatchString(lines[0]) {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "wallexkit: ipn rejected status=401 err=") || !strings.Contains(stderr.String(), "bad HMAC signature") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	h.mu.Lock()
	h.checkClean(stdout.String() + stderr.String())
	h.mu.Unlock()
}

// TestIPNListenFromSandbox has the sandbox deliver real IPNs to `ipn listen`.
func TestIPNListenFromSandbox(t *testing.T) {
	h := newHarness(t)
	h.addSecret(testIPNSecret)
	url, stdout, stderr, stop := startListener(t, h.envWith("WALLEX_IPN_SECRET", testIPNSecret), "--merchant", h.demo.MerchantID, "-o", "json")
	if err := h.srv.SetIPN(h.demo.MerchantID, url, testIPNSecret); err != nil {
		t.Fatal(err)
	}
	txid := field(t, h.mustRun("pay", "create", "--amount", "10", "--currency", "USD", "--pay-with", "LTC", "--email", "b@example.com", "--invoice", "INV-77"), "Transaction")
	h.mustRun("sandbox", "pay", txid)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stdout.String(), `"status":100`) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	var statuses []int
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var v ipnView
		decode(t, l, &v)
		if v.Key != txid || v.Fields["invoice"] != "INV-77" {
			t.Errorf("IPN %+v", v)
		}
		if v.FirstPaid != (v.Status == 100) {
			t.Errorf("IPN status %d: first_paid %v (want it on the one that makes the payment paid)", v.Status, v.FirstPaid)
		}
		statuses = append(statuses, int(v.Status))
	}
	if len(statuses) != 3 || statuses[0] != 0 || statuses[2] != 100 {
		t.Errorf("statuses %v (want 0, 1, 100)\nstderr: %s", statuses, stderr.String())
	}
}
