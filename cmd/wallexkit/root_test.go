package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/sandbox"
)

// Every command and group answers --help on stdout with exit 0, as people expect.
func TestEveryCommandHasHelp(t *testing.T) {
	h := newHarness(t)
	seen := map[string]bool{}
	for _, c := range commandTable() {
		words := strings.Fields(c.name)
		names := []string{c.name}
		if len(words) == 2 && !seen[words[0]] {
			seen[words[0]] = true
			names = append(names, words[0])
		}
		for _, name := range names {
			for _, flag := range []string{"--help", "-h"} {
				r := h.run(append(strings.Fields(name), flag)...)
				if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: wallexkit "+name) || r.stderr != "" {
					t.Errorf("%s %s: exit %d\nstdout: %.200s\nstderr: %s", name, flag, r.code, r.stdout, r.stderr)
				}
			}
		}
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		if r := h.run(args...); r.code != 0 || !strings.HasPrefix(r.stdout, "wallexkit ") || !strings.Contains(r.stdout, "go1.") {
			t.Errorf("%v: exit %d %q", args, r.code, r.stdout)
		}
	}
	var v buildInfoView
	decode(t, h.mustRun("version", "-o", "json"), &v)
	if v.Version == "" || v.Go == "" || v.Platform == "" {
		t.Errorf("version json: %+v", v)
	}
}

// With -o json an error is one JSON object on stderr, whatever failed.
func TestJSONErrors(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{
		{"-o", "json", "balances", "--bogus"},
		{"-o", "json", "tx", "info"},
		{"-o", "json", "withdraw", "--amount", "1", "--currency", "BTC", "--address", "x"},
		{"-o", "json", "reconcile", "--op", "op_x"},
	} {
		r := h.run(args...)
		var out struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Exit    int    `json:"exit"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(r.stderr), &out); err != nil && r.code != 0 {
			t.Errorf("%v: stderr is not JSON (%v): %q", args, err, r.stderr)
			continue
		}
		if r.code != 0 && (out.Error.Code == "" || out.Error.Message == "" || out.Error.Exit != r.code) {
			t.Errorf("%v: exit %d, error %+v", args, r.code, out.Error)
		}
	}
}

// Colour only on a terminal, and never with NO_COLOR.
func TestColourOnlyOnATerminal(t *testing.T) {
	h := newHarness(t)
	if r := h.runTTY("", "balances", "--bogus"); !strings.Contains(r.stderr, "\x1b[1;31m") {
		t.Errorf("no colour on a terminal: %q", r.stderr)
	}
	h.env["NO_COLOR"] = "1"
	if r := h.runTTY("", "balances", "--bogus"); strings.Contains(r.stderr, "\x1b[") {
		t.Errorf("colour with NO_COLOR: %q", r.stderr)
	}
	delete(h.env, "NO_COLOR")
	if r := h.run("balances", "--bogus"); strings.Contains(r.stderr, "\x1b[") {
		t.Errorf("colour without a terminal: %q", r.stderr)
	}
}

// The real binary: completion scripts load in bash, and money with stdin from /dev/null (not a
// terminal, though a character device) is refused without --yes.
func TestCompletionAndNoTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	bin := cliBinary(t)
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		out, err := exec.Command(bin, "completion", sh).Output()
		if err != nil || len(out) < 200 {
			t.Errorf("completion %s: %v (%d bytes)", sh, err, len(out))
		}
	}
	out, err := exec.Command("bash", "-c", `source <("$0" completion bash) && complete -p wallexkit`, bin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "complete -o default -F __start_wallexkit wallexkit") {
		t.Errorf("bash completion does not load: %v\n%s", err, out)
	}
	// What every script asks the binary: the commands and flags that fit.
	out, err = exec.Command(bin, "__complete", "with").Output()
	if err != nil || !strings.Contains(string(out), "withdraw\t") || !strings.Contains(string(out), "withdrawals") {
		t.Errorf("__complete with: %v\n%s", err, out)
	}
	out, _ = exec.Command(bin, "__complete", "withdraw", "--add").Output()
	if !strings.Contains(string(out), "--add-tx-fee") {
		t.Errorf("__complete withdraw --add:\n%s", out)
	}
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	w := exec.Command(bin, "withdraw", "--amount", "0.1", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 1))
	w.Stdin = devnull
	w.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "WALLEX_PUBLIC_KEY=k", "WALLEX_PRIVATE_KEY=p"}
	out, err = w.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "pass --yes") || strings.Contains(string(out), "Proceed?") {
		t.Errorf("withdraw </dev/null: %v\n%s", err, out)
	}
}
