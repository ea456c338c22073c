//go:build unix

package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinarySandboxAndSIGTERM builds the real binary, runs `wallexkit sandbox` as a process,
// calls it with `wallexkit balances`, and stops it with SIGTERM.
func TestBinarySandboxAndSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the binary under test: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "wallexkit")
	build := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	addr := freeAddr(t)

	baseEnv := []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	sb := exec.Command(bin, "sandbox", "--addr", addr)
	sb.Env = baseEnv
	var sbErr bytes.Buffer
	sb.Stderr = &sbErr
	stdout, err := sb.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	defer sb.Process.Kill() // if the test fails before SIGTERM

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var vars map[string]string
	timeout := time.After(10 * time.Second)
	for vars == nil {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("sandbox closed stdout early: %s", sbErr.String())
			}
			vars, _ = exportLine(line)
		case <-timeout:
			t.Fatal("sandbox printed no export line")
		}
	}
	drained := make(chan struct{})
	go func() { // read the rest, so the pipe is empty before Wait
		for range lines {
		}
		close(drained)
	}()
	if vars["WALLEX_API_URL"] != "http://"+addr+"/api" {
		t.Fatalf("export line: %v", vars)
	}

	env := append(baseEnv, "WALLEX_STATE="+filepath.Join(dir, "state.json"))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	bal := exec.Command(bin, "balances")
	bal.Env = env
	out, err := bal.Output()
	if err != nil {
		t.Fatalf("wallexkit balances: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "BTC") || !strings.Contains(string(out), "1.50000000") {
		t.Errorf("balances output:\n%s", out)
	}
	if strings.Contains(string(out), vars["WALLEX_PRIVATE_KEY"]) {
		t.Error("balances printed the private key")
	}

	if err := sb.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		<-drained
		waited <- sb.Wait()
	}()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("sandbox after SIGTERM: %v\n%s", err, sbErr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not exit after SIGTERM")
	}
	if !strings.Contains(sbErr.String(), "Sandbox stopped") {
		t.Errorf("stderr: %s", sbErr.String())
	}
}
