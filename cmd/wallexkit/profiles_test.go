package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/sandbox"
)

// Profiles: a named connection never holds the private key; it is read from a 0600 file, an
// environment variable or a command when a command needs it.
func TestProfiles(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	pfPath := filepath.Join(dir, "profiles.json")
	keyFile := filepath.Join(dir, "shop.key")
	if err := os.WriteFile(keyFile, []byte(h.demo.PrivateKey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// No keys in the environment: only the profile says who we are.
	env := h.envWith("WALLEX_PUBLIC_KEY", "", "WALLEX_PRIVATE_KEY", "", "WALLEX_API_URL", "", "WALLEX_PROFILES", pfPath, "SHOP_KEY", h.demo.PrivateKey)
	run := func(args ...string) result { return h.runWith(env, "", args...) }

	if r := run("profiles"); r.code != 0 || !strings.Contains(r.stdout, "No profiles yet") {
		t.Fatalf("empty list: %d %s %s", r.code, r.stdout, r.stderr)
	}
	add := []string{"profiles", "add", "shop", "--api-url", h.apiURL, "--public-key", h.demo.PublicKey, "--private-key-file", keyFile}
	if runtime.GOOS != "windows" {
		if r := run(add...); r.code != 2 || !strings.Contains(r.stderr, "chmod 600") {
			t.Fatalf("a world-readable key file: %d %s", r.code, r.stderr)
		}
		os.Chmod(keyFile, 0o600)
	}
	if r := run(add...); r.code != 0 || !strings.Contains(r.stdout, "It is the default") {
		t.Fatalf("add: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := run("profiles", "add", "plain", "--api-url", h.apiURL, "--public-key", "k", "--private-key", "secret"); r.code != 2 || !strings.Contains(r.stderr, "never holds the private key") {
		t.Fatalf("--private-key accepted: %d %s", r.code, r.stderr)
	}
	if r := run("profiles", "add", "BAD NAME", "--api-url", h.apiURL, "--public-key", "k", "--private-key-env", "X"); r.code != 2 {
		t.Fatalf("bad name: %d", r.code)
	}
	if r := run("profiles", "add", "env-shop", "--api-url", h.apiURL, "--public-key", h.demo.PublicKey, "--private-key-env", "SHOP_KEY"); r.code != 0 {
		t.Fatalf("add env: %s", r.stderr)
	}
	if r := run("profiles", "add", "cmd-shop", "--api-url", h.apiURL, "--public-key", h.demo.PublicKey, "--private-key-command", "cat "+shellQuote(keyFile)); r.code != 0 {
		t.Fatalf("add cmd: %s", r.stderr)
	}
	b, _ := os.ReadFile(pfPath)
	if strings.Contains(string(b), h.demo.PrivateKey) {
		t.Fatal("the profiles file holds the private key")
	}
	if st, _ := os.Stat(pfPath); runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Fatalf("profiles file mode %o", st.Mode().Perm())
	}

	// The default profile, then each by name, answers.
	for _, args := range [][]string{{"balances"}, {"--profile", "env-shop", "balances"}, {"balances", "--profile", "cmd-shop"}} {
		if r := run(args...); r.code != 0 || !strings.Contains(r.stdout, "BTC") {
			t.Fatalf("%v: %d %s %s", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := h.runWith(h.envWith("WALLEX_PUBLIC_KEY", "", "WALLEX_PRIVATE_KEY", "", "WALLEX_API_URL", "", "WALLEX_PROFILES", pfPath, "WALLEX_PROFILE", "env-shop"), "", "balances"); r.code != 2 || !strings.Contains(r.stderr, "$SHOP_KEY, which is not set") {
		t.Fatalf("missing env key: %d %s", r.code, r.stderr)
	}
	if r := run("--profile", "nope", "balances"); r.code != 2 || !strings.Contains(r.stderr, `no profile "nope"`) {
		t.Fatalf("unknown profile: %d %s", r.code, r.stderr)
	}

	var list []map[string]any
	r := run("profiles", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 3 || list[2]["name"] != "shop" || list[2]["default"] != true {
		t.Fatalf("list: %v %s", err, r.stdout)
	}
	if r := run("profiles", "use", "env-shop"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := run("profiles", "remove", "shop"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r = run("profiles")
	if strings.Contains(r.stdout, " shop ") || !strings.Contains(r.stdout, "*\tenv-shop") && !strings.Contains(r.stdout, "*  env-shop") {
		t.Fatalf("after use and remove:\n%s", r.stdout)
	}
	// The environment still wins over the default profile.
	if r := h.runWith(h.envWith("WALLEX_PROFILES", pfPath), "", "balances"); r.code != 0 {
		t.Fatalf("env keys with a default profile: %s", r.stderr)
	}
}

// The lines a run printed (reconcile --op after a lost answer, mass-withdraw's "run it again")
// are run with the same environment. When a profile gave the keys, the line must name the profile:
// a line that names only the profile's API URL and public key has no private key, and the public
// key it names stops the default profile from being applied (found by a wording audit).
func TestPrintedLinesOfAProfileRunWork(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	pfPath := filepath.Join(dir, "profiles.json")
	keyFile := filepath.Join(dir, "shop.key")
	if err := os.WriteFile(keyFile, []byte(h.demo.PrivateKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := h.envWith("WALLEX_PUBLIC_KEY", "", "WALLEX_PRIVATE_KEY", "", "WALLEX_API_URL", "", "WALLEX_PROFILES", pfPath, "SHOP_KEY", h.demo.PrivateKey)
	run := func(args ...string) result { return h.runWith(env, "", args...) }
	if r := run("profiles", "add", "shop", "--api-url", h.apiURL, "--public-key", h.demo.PublicKey, "--private-key-file", keyFile); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := run("profiles", "add", "env-shop", "--api-url", h.apiURL, "--public-key", h.demo.PublicKey, "--private-key-env", "SHOP_KEY"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for i, pre := range [][]string{nil, {"--profile", "env-shop"}} {
		if r := run(append(pre, "login")...); r.code != 0 {
			t.Fatal(r.stderr)
		}
		if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"}); err != nil {
			t.Fatal(err)
		}
		r := run(append(pre, "withdraw", "--amount", "0.25", "--currency", "BTC", "--address", sandbox.TestAddress("BTC", 140+i), "--note", "profile line", "--yes")...)
		if r.code != 4 {
			t.Fatalf("%v: exit %d, want 4\n%s", pre, r.code, r.stderr)
		}
		args := reconcileLine(t, r.stderr)
		out := run(args...)
		if out.code != 0 || field(t, out.stdout, "Verdict") != "found" {
			t.Errorf("%v: the printed line %q, run as printed: exit %d\n%s%s", pre, args, out.code, out.stdout, out.stderr)
		}
	}
}

// A new developer pastes the sandbox's export line (WALLEX_PRIVATE_KEY among it), then follows the
// README's 'profiles add shop ... --private-key-file ~/.wallex/shop.key': the key in the
// environment is not saved anyway, so it must not make the add fail with a message that asks for
// the very flag that was given (found by a first-hour audit).
func TestProfilesAddWithTheExportLineSet(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	pfPath := filepath.Join(dir, "profiles.json")
	keyFile := filepath.Join(dir, "shop.key")
	if err := os.WriteFile(keyFile, []byte(h.demo.PrivateKey), 0o600); err != nil {
		t.Fatal(err)
	}
	// h's environment is the export line: WALLEX_API_URL, WALLEX_PUBLIC_KEY and WALLEX_PRIVATE_KEY.
	env := h.envWith("WALLEX_PROFILES", pfPath)
	run := func(args ...string) result { return h.runWith(env, "", args...) }
	if r := run("profiles", "add", "shop", "--private-key-file", keyFile); r.code != 0 {
		t.Fatalf("add --private-key-file with WALLEX_PRIVATE_KEY set: %d %s", r.code, r.stderr)
	}
	if r := run("profiles", "add", "env-shop", "--private-key-env", "WALLEX_PRIVATE_KEY"); r.code != 0 {
		t.Fatalf("add --private-key-env with WALLEX_PRIVATE_KEY set: %d %s", r.code, r.stderr)
	}
	// No source given: the message names the variable and the flag that would read it.
	if r := run("profiles", "add", "bare"); r.code != 2 || !strings.Contains(r.stderr, "--private-key-env WALLEX_PRIVATE_KEY") {
		t.Fatalf("no source, WALLEX_PRIVATE_KEY set: %d %s", r.code, r.stderr)
	}
	// --private-key on the command line is still refused, by its name.
	if r := run("profiles", "add", "plain", "--private-key", "secret", "--private-key-env", "X"); r.code != 2 || !strings.Contains(r.stderr, "--private-key ") {
		t.Fatalf("--private-key accepted: %d %s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(pfPath)
	if strings.Contains(string(b), h.demo.PrivateKey) {
		t.Fatal("the profiles file holds the private key")
	}
}

// '--profile shop' with the export line (or live keys) still in the environment: the environment
// wins, as documented, but not without a word, or the command talks to another account than the
// one named (found by a first-hour audit).
func TestExplicitProfileOverriddenByTheEnvironmentIsSaid(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	pfPath := filepath.Join(dir, "profiles.json")
	clean := h.envWith("WALLEX_PUBLIC_KEY", "", "WALLEX_PRIVATE_KEY", "", "WALLEX_API_URL", "", "WALLEX_PROFILES", pfPath, "SHOP_KEY", h.demo.PrivateKey)
	if r := h.runWith(clean, "", "profiles", "add", "shop", "--api-url", h.apiURL, "--public-key", h.demo.PublicKey, "--private-key-env", "SHOP_KEY"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := h.runWith(clean, "", "--profile", "shop", "balances"); r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Fatalf("profile alone: %d %s", r.code, r.stderr)
	}
	env := h.envWith("WALLEX_PROFILES", pfPath) // the export line is set
	r := h.runWith(env, "", "--profile", "shop", "balances")
	if r.code != 0 || !strings.Contains(r.stderr, "profile shop: WALLEX_API_URL, WALLEX_PUBLIC_KEY, WALLEX_PRIVATE_KEY from the environment are used instead") {
		t.Fatalf("env over --profile: %d %s", r.code, r.stderr)
	}
	// The default profile is not asked for by name: the environment wins quietly.
	if r := h.runWith(env, "", "balances"); r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Fatalf("env with a default profile: %d %s", r.code, r.stderr)
	}
}
