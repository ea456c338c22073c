package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

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
