//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// `./build.sh run` (issue #10): one process serves the sandbox and the console, and however it
// ends — Ctrl-C to the terminal's process group, SIGTERM, SIGKILL — nothing of it is left and
// both ports are free again; a busy port is one line naming the way out; a URL that does not
// parse is a 400 from the console, never a crash.

// freeAddr returns a loopback address that is free now, with its port below the kernel's
// ephemeral range (32768–60999 on Linux). A port picked with ":0" comes from that range, and
// between the pick and build.sh's own listen any outbound connection of a test running alongside
// may take it (CI once failed exactly so); a port under 32768 can only be taken by an explicit
// listen. The address avoids the ones passed in, so one script never gets the same port twice.
func freeAddr(t *testing.T, avoid ...string) string {
	t.Helper()
	for range 200 {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		if slices.Contains(avoid, addr) {
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		return addr
	}
	t.Fatal("no free loopback port found in 20000–31999 after 200 tries")
	return ""
}

type runScript struct {
	cmd            *exec.Cmd
	addr, console  string
	stderr, stdout *bytes.Buffer
	exited         chan error
}

func startRun(t *testing.T, env ...string) *runScript {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	sb := freeAddr(t)
	r := &runScript{addr: sb, console: freeAddr(t, sb), stderr: &bytes.Buffer{}, stdout: &bytes.Buffer{}, exited: make(chan error, 1)}
	_, port, _ := net.SplitHostPort(r.console)
	r.cmd = exec.Command("bash", filepath.Join(root, "build.sh"), "run")
	r.cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"WALLEX_RUN_NO_BUILD=1", "WALLEX_BIN=" + cliBinary(t),
		"WALLEX_SANDBOX_ADDR=" + r.addr, "WALLEX_CONSOLE_PORT=" + port,
		"WALLEX_SANDBOX_DATA=" + filepath.Join(t.TempDir(), "sandbox.db"),
	}, env...)
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a terminal's foreground group
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- r.cmd.Wait() }()
	t.Cleanup(func() { syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL) })
	return r
}

// ready waits until both servers answer.
func (r *runScript) ready(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: time.Second}
		a, errA := c.Get("http://" + r.addr + "/api")
		b, errB := c.Get("http://" + r.console + "/")
		if errA == nil && errB == nil {
			a.Body.Close()
			b.Body.Close()
			if b.StatusCode != http.StatusFound || b.Header.Get("Location") != "/web/index.html" {
				t.Fatalf("console / = %d %q, want 302 to /web/index.html", b.StatusCode, b.Header.Get("Location"))
			}
			return
		}
		select {
		case err := <-r.exited:
			t.Fatalf("build.sh run exited before serving (%v):\n%s", err, r.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("build.sh run did not serve within 15s:\n%s", r.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// gone waits for the script to exit and checks that no process of its group is left and that
// both ports are free.
func (r *runScript) gone(t *testing.T) error {
	t.Helper()
	var err error
	select {
	case err = <-r.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("build.sh run still running 15s after the signal:\n%s", r.stderr)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(-r.cmd.Process.Pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("a process of build.sh run's group is still alive after it exited")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, a := range []string{r.addr, r.console} {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Fatalf("%s still answers after build.sh run ended", a)
		}
	}
	return err
}

// raw sends one request line as written (no client-side URL parsing) and returns the status.
func raw(t *testing.T, addr, line string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "%s\r\nHost: %s\r\nConnection: close\r\n\r\n", line, addr)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestBuildShRunStopsEveryWay(t *testing.T) {
	if testing.Short() {
		t.Skip("runs build.sh")
	}
	stops := []struct {
		name   string
		signal func(pid int) error
	}{
		{"Ctrl-C", func(pid int) error { return syscall.Kill(-pid, syscall.SIGINT) }}, // the terminal signals the whole group
		{"SIGTERM", func(pid int) error { return syscall.Kill(pid, syscall.SIGTERM) }},
		{"SIGKILL", func(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }},
		{"SIGHUP", func(pid int) error { return syscall.Kill(-pid, syscall.SIGHUP) }}, // the terminal closed
	}
	for i, s := range stops {
		t.Run(s.name, func(t *testing.T) {
			r := startRun(t)
			r.ready(t)
			if i == 0 {
				for line, want := range map[string]int{
					"GET /web/%E0%A4%A HTTP/1.1":          http.StatusBadRequest,
					"GET /web/../build.sh HTTP/1.1":       http.StatusNotFound,
					"GET /web/test/csv.test.mjs HTTP/1.1": http.StatusNotFound,
					"POST /web/index.html HTTP/1.1":       http.StatusMethodNotAllowed,
					"GET /web/index.html HTTP/1.1":        http.StatusOK,
				} {
					if got := raw(t, r.console, line); got != want {
						t.Errorf("%s: status %d, want %d", line, got, want)
					}
				}
				// The console still serves after the bad requests.
				if got := raw(t, r.console, "GET /web/console.css HTTP/1.1"); got != http.StatusOK {
					t.Errorf("console.css after bad requests: %d", got)
				}
			}
			if err := s.signal(r.cmd.Process.Pid); err != nil {
				t.Fatal(err)
			}
			r.gone(t)
			if s.name == "Ctrl-C" && !strings.Contains(r.stderr.String(), "Sandbox stopped.") {
				t.Errorf("no orderly stop after Ctrl-C:\n%s", r.stderr)
			}
		})
	}
}

func TestBuildShRunBusyPort(t *testing.T) {
	if testing.Short() {
		t.Skip("runs build.sh")
	}
	for _, which := range []string{"sandbox", "console"} {
		t.Run(which, func(t *testing.T) {
			r := startRun(t)
			busy := r.console
			hint := "WALLEX_CONSOLE_PORT="
			if which == "sandbox" {
				busy, hint = r.addr, "WALLEX_SANDBOX_ADDR="
			}
			// startRun already started; a port taken a moment earlier is the realistic case, so
			// run again with that port held.
			syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
			<-r.exited
			ln, err := net.Listen("tcp", busy)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			r2 := &runScript{addr: r.addr, console: r.console, stderr: &bytes.Buffer{}, stdout: &bytes.Buffer{}, exited: make(chan error, 1)}
			r2.cmd = exec.Command(r.cmd.Path, r.cmd.Args[1:]...)
			r2.cmd.Env = r.cmd.Env
			r2.cmd.Stdout, r2.cmd.Stderr = r2.stdout, r2.stderr
			r2.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := r2.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { r2.exited <- r2.cmd.Wait() }()
			var err2 error
			select {
			case err2 = <-r2.exited:
			case <-time.After(15 * time.Second):
				syscall.Kill(-r2.cmd.Process.Pid, syscall.SIGKILL)
				t.Fatal("build.sh run did not give up on a busy port")
			}
			var ee *exec.ExitError
			if !errors.As(err2, &ee) || ee.ExitCode() != 1 {
				t.Errorf("exit: %v, want status 1", err2)
			}
			msg := strings.TrimSpace(r2.stderr.String())
			if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, busy+" is in use") || !strings.Contains(msg, hint) {
				t.Errorf("want one line naming %s and %s, got:\n%s", busy, hint, msg)
			}
			if syscall.Kill(-r2.cmd.Process.Pid, 0) == nil {
				t.Error("a process was left behind")
			}
		})
	}
}
