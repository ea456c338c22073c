package main

import (
	"context"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

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
