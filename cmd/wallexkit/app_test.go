package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/sandbox"
)

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

func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
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
	openFile := filepath.Join(dir, "readable") // the right key, readable by every local user
	os.WriteFile(openFile, []byte(h.demo.PrivateKey+"\n"), 0o600)
	os.Chmod(openFile, 0o644)

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
		{"file others can read", "", []string{"--private-key-file", openFile, "info"}, 2},
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
		{"mistyped command", nil, []string{"balance"}, 2, `unknown command "balance": did you mean 'balances'?`},
		{"unknown flag", nil, []string{"balances", "--bogus"}, 2, "unknown flag --bogus"},
		{"mistyped flag", nil, []string{"withdraw", "--curency", "BTC"}, 2, "unknown flag --curency: did you mean --currency?"},
		{"flag given twice", nil, []string{"pay", "create", "--amount", "12.50", "--currency", "USD", "--pay-with", "LTCT", "--email", "b@example.com", "--invoice", "twice-1", "--amount=3"}, 2, "--amount is given twice"},
		{"short flag given twice", nil, []string{"-o", "json", "balances", "-o", "table"}, 2, "--output is given twice"},
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
		// the message says what is missing
		{"URL without scheme", h.envWith("WALLEX_API_URL", "127.0.0.1:8787/api"), []string{"info"}, 2, "it needs https:// and a host name"},
		{"unreachable", h.envWith("WALLEX_API_URL", "http://127.0.0.1:1/api"), []string{"balances"}, 3, "could not reach"},
		{"wrong private key", h.envWith("WALLEX_PRIVATE_KEY", "wrong-private-key"), []string{"info"}, 1, "authentication failed"},
		{"no permission", limitedEnv, []string{"info"}, 1, "permission"},
		{"permitted", limitedEnv, []string{"balances"}, 0, ""},
		{"unknown API command", nil, []string{"call", "no_such_command"}, 1, "no_such_command"},
		{"help", nil, []string{"help"}, 0, ""},
		{"-h", nil, []string{"-h"}, 0, ""},
		{"command -h", nil, []string{"balances", "-h"}, 0, ""},
		{"help unknown", nil, []string{"help", "nope"}, 2, "unknown command"},
		{"help mistyped", nil, []string{"help", "withdrw"}, 2, "did you mean 'withdraw'?"},
		{"version", nil, []string{"version"}, 0, ""},
		// a look-up of an unknown id names it, and where the ids are listed
		{"unknown payment", nil, []string{"tx", "info", "CPNOPE"}, 1, `payment "CPNOPE": Transaction not found (get_tx_info): check the ID ('wallexkit tx list' shows recent ones)`},
		{"unknown withdrawal", nil, []string{"withdrawals", "info", "NOPE"}, 1, `withdrawal "NOPE": Withdrawal not found`},
		// checked before the keys: a typo is named as such, with the nearest event
		{"mistyped trigger event", h.envWith("WALLEX_PUBLIC_KEY", ""), []string{"trigger", "payment.compelte"}, 2, `unknown event "payment.compelte": did you mean 'payment.complete'?`},
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

func TestSuggestCommand(t *testing.T) {
	for name, want := range map[string]string{
		"balance": "balances", "blances": "balances", "Balances2": "balances", "withdrw": "withdraw",
		"sandbx": "sandbox", "reconcil": "reconcile", "tx": "", "frobnicate": "", "ls": "", "ifo": "info",
		"balances": "", // an exact name is not a typo
	} {
		if got := suggestCommand(name); got != want {
			t.Errorf("suggestCommand(%q) = %q, want %q", name, got, want)
		}
	}
}
