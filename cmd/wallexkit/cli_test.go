package main

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
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

func TestInfoCommandsTable(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		args    []string
		want    []string // regular expressions, each must match a line
		notWant []string
	}{
		{[]string{"info"}, []string{`^Username +demo$`, `^Merchant ID +` + h.demo.MerchantID + `$`, `^Public name +Demo Store$`}, nil},
		{[]string{"balances"}, []string{`^COIN +BALANCE$`, `^BTC +1\.50000000$`, `^LTCT +100\.00000000$`}, []string{`DOGE`}},
		{[]string{"balances", "--all"}, []string{`^BTC +1\.50000000$`, `^DOGE +0\.00000000$`}, nil},
		{[]string{"deposit-address", "btc"}, []string{`^Currency +BTC$`, `^Address +bc1q\w+$`}, nil},
		{[]string{"rates"}, []string{`^COIN +NAME +RATE \(BTC\) +TX FEE`, `^BTC +Bitcoin +1\.00000000 +0\.00010000 +2 +yes +yes +online`, `^TRX +TRON `}, nil},
		{[]string{"rates", "--accepted", "--short"}, []string{`^BTC +- +1\.00000000 +0\.00010000 +- +yes`}, []string{`TRX`}},
	}
	for _, tc := range tests {
		out := h.mustRun(tc.args...)
		for _, re := range tc.want {
			if !regexp.MustCompile(`(?m)` + re).MatchString(out) {
				t.Errorf("%v: no line matches %s in\n%s", tc.args, re, out)
			}
		}
		for _, s := range tc.notWant {
			if strings.Contains(out, s) {
				t.Errorf("%v: output holds %q:\n%s", tc.args, s, out)
			}
		}
	}
}

func TestInfoCommandsJSON(t *testing.T) {
	h := newHarness(t)

	var info core.BasicInfo
	decode(t, h.mustRun("info", "-o", "json"), &info)
	if info.MerchantID != h.demo.MerchantID || info.Username != "demo" {
		t.Errorf("info = %+v", info)
	}

	var bal core.Balances
	decode(t, h.mustRun("-o", "json", "balances"), &bal)
	want, err := h.srv.Balances(h.demo.MerchantID)
	if err != nil {
		t.Fatal(err)
	}
	if len(bal.Coins) != len(want) {
		t.Errorf("balances = %+v, want %v", bal.Coins, want)
	}
	for _, c := range bal.Coins {
		if want[c.Coin] != c.Amount.String() {
			t.Errorf("%s = %s, want %s", c.Coin, c.Amount, want[c.Coin])
		}
	}
	if out := h.mustRun("balances", "-o", "json"); !strings.Contains(out, `"amount": "1.50000000"`) {
		t.Errorf("amounts must be JSON strings:\n%s", out)
	}

	var dep core.DepositAddress
	decode(t, h.mustRun("deposit-address", "BTC", "-o", "json"), &dep)
	table := h.mustRun("deposit-address", "BTC")
	if dep.Currency != "BTC" || dep.Address == "" || !strings.Contains(table, dep.Address) {
		t.Errorf("deposit address %+v, table %s", dep, table)
	}

	var rates core.Rates
	decode(t, h.mustRun("rates", "--accepted", "-o", "json"), &rates)
	btc, ok := rates.Get("BTC")
	if !ok || btc.RateBTC != "1.00000000" || btc.Name != "Bitcoin" || !btc.Accepted {
		t.Errorf("BTC rate = %+v", btc)
	}
	if _, ok := rates.Get("TRX"); ok {
		t.Error("--accepted listed TRX, which is not accepted")
	}
}

func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
}

func TestXMLWireFormatGivesTheSameOutput(t *testing.T) {
	h := newHarness(t)
	// rates carries last_update = the server's clock, which may tick between two calls.
	lastUpdate := regexp.MustCompile(`"last_update": "[^"]*"`)
	for _, args := range [][]string{
		{"info"}, {"balances", "--all"}, {"deposit-address", "ETH"}, {"rates"}, {"rates", "--short", "--accepted"},
	} {
		args = append(args, "-o", "json")
		j := h.mustRun(args...)
		x := h.mustRun(append(args, "--format", "xml")...)
		j = lastUpdate.ReplaceAllString(j, "")
		x = lastUpdate.ReplaceAllString(x, "")
		if j != x {
			t.Errorf("%v: json and xml differ:\njson: %s\nxml:  %s", args, j, x)
		}
	}
	// call prints the decoded tree; with xml every scalar is text.
	var m map[string]any
	decode(t, h.mustRun("--format", "xml", "call", "get_basic_info"), &m)
	if m["merchant_id"] != h.demo.MerchantID {
		t.Errorf("xml call result = %v", m)
	}
}

func TestFlagsBeforeOrAfterTheCommand(t *testing.T) {
	h := newHarness(t)
	a := h.mustRun("-o", "json", "balances", "--all")
	b := h.mustRun("balances", "--all", "-o", "json")
	c := h.mustRun("balances", "-o=json", "--all=true")
	if a != b || a != c {
		t.Errorf("outputs differ:\n%s\n%s\n%s", a, b, c)
	}
	env := h.envWith("WALLEX_API_URL", "http://127.0.0.1:1/api")
	for _, args := range [][]string{
		{"--api-url", h.apiURL, "info"},
		{"info", "--api-url", h.apiURL},
	} {
		if r := h.runWith(env, "", args...); r.code != 0 {
			t.Errorf("%v: exit %d: %s", args, r.code, r.stderr)
		}
	}
	// Positional arguments and flags mix; "--" ends the flags.
	if out := h.mustRun("call", "-o", "json", "get_deposit_address", "--", "currency=BTC"); !strings.Contains(out, `"address"`) {
		t.Errorf("call with --: %s", out)
	}
}

func TestLoginCachesTheTokenAndLogoutForgetsIt(t *testing.T) {
	h := newHarness(t)
	out := h.mustRun("login")
	if !regexp.MustCompile(`expires 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in 59m\)`).MatchString(out) {
		t.Errorf("login output: %s", out)
	}
	state := h.env["WALLEX_STATE"]
	fi, err := os.Stat(state)
	if err != nil {
		t.Fatalf("no state file after login: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	if di, err := os.Stat(filepath.Dir(state)); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("state dir mode %v (%v), want 0700", di.Mode().Perm(), err)
	}
	tok, ok := h.cachedToken()
	if !ok || !time.Now().Before(tok.ExpiresAt) {
		t.Fatalf("no valid token in the state file: %v", tok)
	}
	raw, _ := os.ReadFile(state)
	for _, s := range []string{strings.TrimPrefix(tok.AccessToken, "Bearer "), h.demo.PrivateKey, "Bearer"} {
		if strings.Contains(string(raw), s) {
			t.Errorf("state file holds a secret in plain text: %s", raw)
		}
	}

	h.mustRun("balances")
	h.mustRun("info")
	h.mustRun("call", "rates", "short=1")
	if n := h.srv.Stats(h.demo.PublicKey).Logins; n != 1 {
		t.Errorf("logins = %d after login and three commands, want 1 (token reused)", n)
	}

	if out := h.mustRun("logout"); !strings.Contains(out, "Logged out") {
		t.Errorf("logout output: %s", out)
	}
	if _, ok := h.cachedToken(); ok {
		t.Error("logout left the token in the state file")
	}
	h.mustRun("balances")
	if n := h.srv.Stats(h.demo.PublicKey).Logins; n != 2 {
		t.Errorf("logins = %d after logout and a command, want 2", n)
	}
	// Logout needs no private key.
	if r := h.runWith(h.envWith("WALLEX_PRIVATE_KEY", ""), "", "logout"); r.code != 0 {
		t.Errorf("logout without private key: exit %d: %s", r.code, r.stderr)
	}
}

func TestLoginJSONAndNonce(t *testing.T) {
	h := newHarness(t)
	var out struct {
		ExpiresAt        time.Time `json:"expires_at"`
		ExpiresInSeconds int64     `json:"expires_in_seconds"`
	}
	decode(t, h.mustRun("login", "-o", "json", "--nonce"), &out)
	if out.ExpiresInSeconds < 3500 || out.ExpiresAt.Location() != time.UTC {
		t.Errorf("login json = %+v", out)
	}
	env := h.envWith("WALLEX_NONCE", "1")
	for range 3 {
		if r := h.runWith(env, "", "balances"); r.code != 0 {
			t.Fatalf("balances with nonce: exit %d: %s", r.code, r.stderr)
		}
	}
	raw, _ := os.ReadFile(h.env["WALLEX_STATE"])
	if !strings.Contains(string(raw), `"nonces"`) {
		t.Errorf("nonce not kept in the state file: %s", raw)
	}
	if st := h.srv.Stats(h.demo.PublicKey); st.NonceErrors != 0 {
		t.Errorf("nonce errors: %+v", st)
	}
	if r := h.runWith(h.envWith("WALLEX_NONCE", "maybe"), "", "balances"); r.code != 2 {
		t.Errorf("WALLEX_NONCE=maybe: exit %d, want 2", r.code)
	}
}

func TestPrivateKeyFile(t *testing.T) {
	h := newHarness(t)
	env := h.envWith("WALLEX_PRIVATE_KEY", "")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte(h.demo.PrivateKey+"\n"), 0o600)
	emptyFile := filepath.Join(dir, "empty")
	os.WriteFile(emptyFile, nil, 0o600)
	wrongFile := filepath.Join(dir, "wrong")
	os.WriteFile(wrongFile, []byte("not-the-key\r\n"), 0o600)

	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
	}{
		{"file", "", []string{"--private-key-file", keyFile, "balances"}, 0},
		{"file after command", "", []string{"balances", "--private-key-file", keyFile}, 0},
		{"stdin", h.demo.PrivateKey + "\n", []string{"--private-key-file", "-", "info"}, 0},
		{"stdin without newline", h.demo.PrivateKey, []string{"info", "--private-key-file=-"}, 0},
		{"empty file", "", []string{"--private-key-file", emptyFile, "info"}, 2},
		{"missing file", "", []string{"--private-key-file", filepath.Join(dir, "nope"), "info"}, 2},
		{"no key at all", "", []string{"info"}, 2},
		{"wrong key", "", []string{"--private-key-file", wrongFile, "info"}, 1},
		{"flag", "", []string{"info", "--private-key", h.demo.PrivateKey}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.runWith(env, tc.stdin, tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	h := newHarness(t)
	limited, err := h.srv.CreateKey(h.demo.MerchantID, []string{"balances"})
	if err != nil {
		t.Fatal(err)
	}
	h.addSecret(limited.PrivateKey)
	limitedEnv := h.envWith("WALLEX_PUBLIC_KEY", limited.PublicKey, "WALLEX_PRIVATE_KEY", limited.PrivateKey)

	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string // substring of stderr
	}{
		{"ok", nil, []string{"balances"}, 0, ""},
		{"no command", nil, nil, 2, "no command"},
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", nil, []string{"balances", "--bogus"}, 2, "unknown flag --bogus"},
		{"command flag before command", nil, []string{"--all", "balances"}, 2, "after the command name"},
		{"bad output", nil, []string{"-o", "yaml", "info"}, 2, "-o table or -o json"},
		{"bad wire format", nil, []string{"--format", "csv", "info"}, 2, "--format json"},
		{"extra argument", nil, []string{"balances", "BTC"}, 2, "takes no arguments"},
		{"missing currency", nil, []string{"deposit-address"}, 2, "CURRENCY"},
		{"bad currency", nil, []string{"deposit-address", "B$C"}, 2, "ticker"},
		{"call without cmd", nil, []string{"call"}, 2, "command name"},
		{"bad field syntax", nil, []string{"call", "balances", "all"}, 2, "name=value"},
		{"empty field name", nil, []string{"call", "balances", "=1"}, 2, "name=value"},
		{"duplicate field", nil, []string{"call", "balances", "all=1", "all=0"}, 2, "twice"},
		{"bad amount", nil, []string{"call", "create_withdrawal", "amount=0.123456789", "currency=BTC", "address=x"}, 2, "at most 8"},
		{"amount with exponent", nil, []string{"call", "convert", "amount=1e3", "to=BTC"}, 2, "amount"},
		{"reserved field", nil, []string{"call", "balances", "key=x"}, 2, "set by the client"},
		{"missing public key", h.envWith("WALLEX_PUBLIC_KEY", ""), []string{"info"}, 2, "WALLEX_PUBLIC_KEY"},
		{"plain http to non-loopback", h.envWith("WALLEX_API_URL", "http://192.0.2.1/api"), []string{"info"}, 2, "--insecure-http"},
		{"bad URL", h.envWith("WALLEX_API_URL", "wallexpay.io"), []string{"info"}, 2, "API URL"},
		{"unreachable", h.envWith("WALLEX_API_URL", "http://127.0.0.1:1/api"), []string{"balances"}, 3, "could not reach"},
		{"wrong private key", h.envWith("WALLEX_PRIVATE_KEY", "wrong-private-key"), []string{"info"}, 1, "authentication failed"},
		{"no permission", limitedEnv, []string{"info"}, 1, "permission"},
		{"permitted", limitedEnv, []string{"balances"}, 0, ""},
		{"unknown API command", nil, []string{"call", "no_such_command"}, 1, "no_such_command"},
		{"help", nil, []string{"help"}, 0, ""},
		{"-h", nil, []string{"-h"}, 0, ""},
		{"command -h", nil, []string{"balances", "-h"}, 0, ""},
		{"help unknown", nil, []string{"help", "nope"}, 2, "unknown command"},
		{"version", nil, []string{"version"}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			if env == nil {
				env = h.env
			}
			r := h.runWith(env, "", tc.args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tc.code, r.stdout, r.stderr)
			}
			if tc.code != 0 && !strings.HasPrefix(r.stderr, "wallexkit") {
				t.Errorf("stderr does not start with wallexkit: %q", r.stderr)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr lacks %q: %s", tc.stderr, r.stderr)
			}
		})
	}
}

func TestRateLimitedExitsThree(t *testing.T) {
	h := newHarness(t)
	h.mustRun("login")
	if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultStatus, Status: 429, Count: 5, Cmd: "balances"}); err != nil {
		t.Fatal(err)
	}
	r := h.run("balances")
	if r.code != 3 || !strings.Contains(r.stderr, "rate limited") {
		t.Errorf("exit %d, stderr %s", r.code, r.stderr)
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
	for _, want := range []string{"wallexkit: wallex create_withdrawal: outcome unknown", "amount    0.25", "note      order-7", "Do NOT send it again", "wallexkit reconcile --op op_"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("stdout: %s", r.stdout)
	}
}

func TestHelpListsEveryCommandAndVariable(t *testing.T) {
	h := newHarness(t)
	out := h.mustRun("help")
	if dash := h.mustRun("-h"); dash != out {
		t.Error("-h and help differ")
	}
	for _, c := range commandTable() {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c.name) + `\b`).MatchString(out) {
			t.Errorf("help does not list %s", c.name)
		}
		ch := h.mustRun("help", c.name)
		if !strings.HasPrefix(ch, "Usage: wallexkit "+c.name) {
			t.Errorf("help %s:\n%s", c.name, ch)
		}
	}
	for _, s := range []string{"WALLEX_API_URL", "WALLEX_PUBLIC_KEY", "WALLEX_PRIVATE_KEY", "WALLEX_NONCE=0", "WALLEX_STATE",
		"--api-url", "--public-key", "--private-key", "--private-key-file", "--nonce", "--format", "--insecure-http", "-o table|json"} {
		if !strings.Contains(out, s) {
			t.Errorf("help lacks %s", s)
		}
	}
	if sb := h.mustRun("sandbox", "--help"); !strings.Contains(sb, "--token-ttl") || !strings.Contains(sb, "--demo-private-key") {
		t.Errorf("sandbox help:\n%s", sb)
	}
	if lh := h.mustRun("help", "login"); !strings.Contains(lh, "key derived from the") {
		t.Errorf("login help does not explain the sealing:\n%s", lh)
	}
}

func TestSandboxCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	args := []string{"sandbox", "--addr", "127.0.0.1:0", "--token-ttl", "30m", "--demo-public-key", "sbx-demo-public", "--demo-private-key", "sbx-demo-private"}
	go func() {
		done <- run(ctx, args, strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	}()

	var vars map[string]string
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ok bool
		if vars, ok = exportLine(stdout.String()); ok {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("sandbox exited early with %d: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no export line: %s", stdout.String())
		}
	}
	if vars["WALLEX_PUBLIC_KEY"] != "sbx-demo-public" || vars["WALLEX_PRIVATE_KEY"] != "sbx-demo-private" ||
		!regexp.MustCompile(`^http://127\.0\.0\.1:\d+/api$`).MatchString(vars["WALLEX_API_URL"]) {
		t.Fatalf("export line: %v", vars)
	}
	if !regexp.MustCompile(`(?m)^  Merchant ID +[0-9a-f]+$`).MatchString(stdout.String()) {
		t.Errorf("no merchant ID in:\n%s", stdout.String())
	}

	env := map[string]string{"WALLEX_STATE": filepath.Join(t.TempDir(), "state.json")}
	for k, v := range vars {
		env[k] = v
	}
	r := runCLI(ctx, env, "", "login")
	if r.code != 0 || !strings.Contains(r.stdout, "(in 29m)") {
		t.Fatalf("login against the sandbox command: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The port is taken now: a second sandbox fails with exit 2.
	addr := strings.TrimSuffix(strings.TrimPrefix(vars["WALLEX_API_URL"], "http://"), "/api")
	r = runCLI(context.Background(), nil, "", "sandbox", "--addr", addr)
	if r.code != 2 || !strings.Contains(r.stderr, "already in use") {
		t.Errorf("second sandbox on %s: exit %d: %s", addr, r.code, r.stderr)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("sandbox exit %d: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop after cancel")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("sandbox still listening after it returned")
	}
}

func TestSandboxCommandBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"sandbox", "--token-ttl", "0s"},
		{"sandbox", "--token-ttl", "soon"},
		{"sandbox", "--addr", "127.0.0.1:notaport"},
		{"sandbox", "extra"},
	} {
		r := runCLI(context.Background(), nil, "", args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, r.code, r.stderr)
		}
	}
}
