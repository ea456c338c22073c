package main

import (
	"regexp"
	"strings"
	"testing"
)

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
