//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/sandbox"
)

// The fault matrix for the CLI (issue #8): every cell runs the real binary as separate processes
// against a sandbox, injects one fault, then follows every instruction the CLI prints — run the
// printed reconcile line, wait until the time it names, run the same command again — exactly as
// a hurried merchant would, at once. It then counts the payments the sandbox recorded: exactly
// one per intended payment, with nonces on and off. The counts are written to
// dist/reliability/cli.json for docs/reliability.md.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// cliBinary builds the CLI once per test run.
func cliBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			binErr = fmt.Errorf("the go command is needed to build the binary under test: %w", err)
			return
		}
		dir, err := os.MkdirTemp("", "wallexkit-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "wallexkit")
		if out, err := exec.Command(goBin, "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc runs the binary with the harness environment (plus extra variables).
type proc struct {
	t    *testing.T
	h    *harness
	bin  string
	env  []string
	dir  string
	logs *bytes.Buffer
}

func newProc(t *testing.T, h *harness, nonces bool) *proc {
	p := &proc{t: t, h: h, bin: cliBinary(t), dir: t.TempDir(), logs: &bytes.Buffer{}}
	p.env = []string{"HOME=" + p.dir, "PATH=" + os.Getenv("PATH"), "WALLEX_TIMEOUT=1s", "WALLEX_IN_FLIGHT_WINDOW=2s"}
	for k, v := range h.env {
		p.env = append(p.env, k+"="+v)
	}
	if !nonces {
		p.env = append(p.env, "WALLEX_NONCE=0")
	}
	return p
}

type procResult struct {
	code           int
	stdout, stderr string
}

func (p *proc) cmd(args ...string) *exec.Cmd {
	c := exec.Command(p.bin, args...)
	c.Env = p.env
	c.Dir = p.dir
	return c
}

func (p *proc) run(args ...string) procResult {
	p.t.Helper()
	c := p.cmd(args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(p.logs, "$ wallexkit %s\n-> exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	p.h.mu.Lock()
	p.h.checkClean(out.String() + errb.String())
	p.h.mu.Unlock()
	return procResult{code, out.String(), errb.String()}
}

// startKilled starts the command and kills it (SIGKILL) once the sandbox holds its request.
func (p *proc) startKilled(cmd string, args ...string) {
	p.t.Helper()
	c := p.cmd(args...)
	if err := c.Start(); err != nil {
		p.t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.h.srv.Stats(p.h.demo.PublicKey).ByCmd[cmd] == 0 {
		if time.Now().After(deadline) {
			c.Process.Kill()
			p.t.Fatalf("%s never reached the sandbox", cmd)
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	_ = c.Process.Signal(syscall.SIGKILL)
	_ = c.Wait()
	fmt.Fprintf(p.logs, "$ wallexkit %s   (killed with SIGKILL mid-call)\n", strings.Join(args, " "))
}

var (
	reconcileLineRe = regexp.MustCompile(`(?m)^\s+((?:WALLEX_STATE=(?:'[^']*'|\S+) )?wallexkit .*reconcile --op \S+)\s*$`)
	waitUntilRe     = regexp.MustCompile(`before (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)`)
)

// followWithdraw runs the withdrawal and then does what the CLI says until it is settled.
// It returns the instructions followed.
func (p *proc) followWithdraw(args []string) []string {
	p.t.Helper()
	var steps []string
	r := p.run(args...)
	for i := 0; i < 12; i++ {
		switch r.code {
		case 0:
			return append(steps, "paid")
		case 4:
			m := reconcileLineRe.FindStringSubmatch(r.stderr)
			if m == nil {
				p.t.Fatalf("exit 4 without a reconcile line:\n%s", r.stderr)
			}
			env, line := splitEnvLine(m[1])
			if env["WALLEX_STATE"] != p.h.env["WALLEX_STATE"] {
				p.t.Fatalf("the reconcile line names state file %q, want %q:\n%s", env["WALLEX_STATE"], p.h.env["WALLEX_STATE"], m[1])
			}
			line = line[1:]
			steps = append(steps, "reconcile --op")
			for j := 0; ; j++ {
				v := p.run(append(line, "-o", "json")...)
				var res struct {
					Verdict string    `json:"verdict"`
					Until   time.Time `json:"until"`
				}
				if v.code != 0 || json.Unmarshal([]byte(v.stdout), &res) != nil {
					p.t.Fatalf("reconcile: exit %d\n%s%s", v.code, v.stdout, v.stderr)
				}
				steps = append(steps, "verdict "+res.Verdict)
				switch res.Verdict {
				case "found":
					return steps
				case "not_found":
					steps = append(steps, "send again")
					r = p.run(args...)
				case "in_flight":
					if j > 5 {
						p.t.Fatal("in flight for ever")
					}
					steps = append(steps, "wait until "+res.Until.Format("15:04:05"))
					time.Sleep(time.Until(res.Until) + 50*time.Millisecond)
					continue
				default:
					p.t.Fatalf("verdict %s:\n%s", res.Verdict, v.stdout)
				}
				break
			}
		case 3:
			steps = append(steps, "not reached: run again")
			r = p.run(args...)
		default:
			p.t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	p.t.Fatal("never settled")
	return nil
}

// followMass runs the payout file again and again as the CLI says (waiting where it names a
// time) until every row is sent.
func (p *proc) followMass(args []string) []string {
	p.t.Helper()
	var steps []string
	for i := 0; i < 10; i++ {
		r := p.run(args...)
		if r.code == 0 {
			return append(steps, "done")
		}
		if r.code != 4 && r.code != 3 && r.code != 1 {
			p.t.Fatalf("mass-withdraw: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if m := waitUntilRe.FindStringSubmatch(r.stderr); m != nil {
			until, _ := time.Parse(time.RFC3339, m[1])
			steps = append(steps, "wait until "+until.Format("15:04:05")+", run again")
			time.Sleep(time.Until(until) + 1100*time.Millisecond) // the printed time is whole seconds
			continue
		}
		steps = append(steps, "run again")
	}
	p.t.Fatal("the file never finished")
	return nil
}

type cell struct {
	Path         string   `json:"path"`
	Fault        string   `json:"fault"`
	Nonces       bool     `json:"nonces"`
	Intended     int      `json:"intended"`
	Recorded     int      `json:"recorded"`
	Instructions []string `json:"instructions_followed"`
}

var (
	cellsMu sync.Mutex
	cells   []cell
)

func record(c cell) {
	cellsMu.Lock()
	cells = append(cells, c)
	cellsMu.Unlock()
}

// writeCells writes dist/reliability/cli.json (at the repository root).
func writeCells(t *testing.T) {
	cellsMu.Lock()
	defer cellsMu.Unlock()
	sort.Slice(cells, func(i, j int) bool {
		a, b := cells[i], cells[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Fault != b.Fault {
			return a.Fault < b.Fault
		}
		return a.Nonces && !b.Nonces
	})
	b, _ := json.MarshalIndent(cells, "", "  ")
	dir := filepath.Join("..", "..", "dist", "reliability")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "cli.json"), b, 0o644)
	}
}

var matrixFaults = []struct {
	name  string
	fault sandbox.Fault
	kill  bool
}{
	{"reset before the API acts", sandbox.Fault{Kind: sandbox.FaultReset}, false},
	{"commit, then drop", sandbox.Fault{Kind: sandbox.FaultCommitDrop}, false},
	{"hold past timeout, then deliver", sandbox.Fault{Kind: sandbox.FaultHold, Delay: 2500 * time.Millisecond}, false},
	{"5xx after commit", sandbox.Fault{Kind: sandbox.FaultCommitStatus, Status: 502}, false},
	{"process killed mid-call", sandbox.Fault{Kind: sandbox.FaultHold, Delay: 2500 * time.Millisecond}, true},
}

var matrixDest = sandbox.TestAddress("BTC", 102)

func TestMatrixCLIWithdraw(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	cliBinary(t)
	t.Cleanup(func() { writeCells(t) })
	for _, nonces := range []bool{true, false} {
		for _, f := range matrixFaults {
			t.Run(fmt.Sprintf("%s/nonces=%v", f.name, nonces), func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				p := newProc(t, h, nonces)
				if r := p.run("login"); r.code != 0 {
					t.Fatalf("login: %s", r.stderr)
				}
				fault := f.fault
				fault.Cmd = "create_withdrawal"
				if err := h.srv.InjectFault(fault); err != nil {
					t.Fatal(err)
				}
				args := []string{"withdraw", "--amount", "0.05", "--currency", "BTC", "--address", matrixDest, "--note", "order-77", "--yes"}
				var steps []string
				if f.kill {
					p.startKilled("create_withdrawal", args...)
					steps = append(steps, "killed; run the same command again")
				}
				steps = append(steps, p.followWithdraw(args)...)
				if fault.Kind == sandbox.FaultHold {
					time.Sleep(time.Until(time.Now().Add(2600 * time.Millisecond))) // the held copy has landed or bounced
				}
				n := 0
				for _, w := range h.withdrawals() {
					if w.SendAddress == matrixDest {
						n++
					}
				}
				record(cell{Path: "CLI withdraw", Fault: f.name, Nonces: nonces, Intended: 1, Recorded: n, Instructions: steps})
				if n != 1 {
					t.Fatalf("%d withdrawals recorded, want exactly 1\n%s", n, p.logs)
				}
			})
		}
	}
}

func TestMatrixCLIMassWithdraw(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	cliBinary(t)
	t.Cleanup(func() { writeCells(t) })
	type mcase struct {
		name   string
		fault  *sandbox.Fault
		kill   bool
		rename bool
	}
	cases := []mcase{{name: "file renamed / copied", rename: true}}
	for _, f := range matrixFaults {
		fault := f.fault
		cases = append(cases, mcase{name: f.name, fault: &fault, kill: f.kill})
	}
	for _, nonces := range []bool{true, false} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/nonces=%v", c.name, nonces), func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				p := newProc(t, h, nonces)
				path := payoutFile(t, p.dir, 6, "LTC", "0.5")
				args := []string{"mass-withdraw", path, "--batch", "3", "--yes"}
				var steps []string
				switch {
				case c.rename:
					// Half the file is paid, the run stops (killed between batches), then the
					// merchant renames the file and copies it, and runs both.
					h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 1500 * time.Millisecond, Cmd: "create_mass_withdrawal", Count: 1})
					p.startKilled("create_mass_withdrawal", args...)
					renamed := filepath.Join(p.dir, "renamed.csv")
					if err := os.Rename(path, renamed); err != nil {
						t.Fatal(err)
					}
					data, _ := os.ReadFile(renamed)
					copied := filepath.Join(t.TempDir(), "copy of payouts.csv")
					os.WriteFile(copied, data, 0o600)
					steps = append(steps, "killed; file renamed")
					steps = append(steps, p.followMass([]string{"mass-withdraw", renamed, "--batch", "3", "--yes"})...)
					steps = append(steps, "copy run")
					steps = append(steps, p.followMass([]string{"mass-withdraw", copied, "--batch", "3", "--yes"})...)
				default:
					fault := *c.fault
					fault.Cmd = "create_mass_withdrawal"
					if err := h.srv.InjectFault(fault); err != nil {
						t.Fatal(err)
					}
					if c.kill {
						p.startKilled("create_mass_withdrawal", args...)
						steps = append(steps, "killed; run the same command again")
					}
					steps = append(steps, p.followMass(args)...)
				}
				time.Sleep(2600 * time.Millisecond) // any held copy has landed or bounced
				perNote := map[string]int{}
				for _, w := range h.withdrawals() {
					perNote[w.SendAddress]++
				}
				recorded, bad := 0, false
				for i := range 6 {
					n := perNote[sandbox.TestAddress("LTC", i)]
					recorded += n
					bad = bad || n != 1
				}
				record(cell{Path: "CLI mass-withdraw", Fault: c.name, Nonces: nonces, Intended: 6, Recorded: recorded, Instructions: steps})
				if bad {
					t.Fatalf("payouts per row %v, want exactly 1 each\n%s", perNote, p.logs)
				}
			})
		}
	}
}

// Three CLI processes with nonces on, 40 calls each, at once: the per-key lock in the state file
// keeps one nonce-bearing request in flight (spec §4): no overlap, no nonce refused.
func TestThreeProcessesShareOneNonceSequence(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	h := newHarness(t)
	p := newProc(t, h, true)
	p.env = append(p.env, "WALLEX_TIMEOUT=30s") // waiting for the other processes' turns counts
	if r := p.run("login"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	fails := 0
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				c := p.cmd("balances")
				if out, err := c.CombinedOutput(); err != nil {
					mu.Lock()
					fails++
					if fails == 1 {
						t.Errorf("balances: %v\n%s", err, out)
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	st := h.srv.Stats(h.demo.PublicKey)
	t.Logf("120 calls from 3 processes: %d calls seen, %d overlaps, %d nonce errors, %d logins", st.ByCmd["balances"], st.Overlaps, st.NonceErrors, st.Logins)
	if fails != 0 || st.ByCmd["balances"] != 120 || st.Overlaps != 0 || st.NonceErrors != 0 {
		t.Fatalf("fails=%d calls=%d overlaps=%d nonce errors=%d", fails, st.ByCmd["balances"], st.Overlaps, st.NonceErrors)
	}
}

// A withdrawal killed while the network holds it, then run again, as a merchant would, after the
// environment changed: another key of the same account (WALLEX_PUBLIC_KEY), or the same API under
// another spelling of its URL. One state file holds the record of the first: the second is refused
// until it is settled, and the line it prints settles it. Without that, the state file looked up
// the new key's records only, found none, and the withdrawal was paid twice.
func TestWithdrawKilledThenRunWithAnotherKeyOrURL(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	cliBinary(t)
	// (with nonces on, a request sent with the same key under another URL spelling fences the
	// held one: only without them does the other spelling pay twice)
	for _, c := range []struct {
		change string
		nonces bool
	}{{"another key", true}, {"another key", false}, {"another URL", false}} {
		change := c.change
		t.Run(fmt.Sprintf("%s/nonces=%v", change, c.nonces), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			p := newProc(t, h, c.nonces)
			if err := h.srv.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 2500 * time.Millisecond, Cmd: "create_withdrawal"}); err != nil {
				t.Fatal(err)
			}
			args := []string{"withdraw", "--amount", "0.05", "--currency", "BTC", "--address", matrixDest, "--note", "order-78", "--yes"}
			p.startKilled("create_withdrawal", args...)
			switch change {
			case "another key":
				key, err := h.srv.CreateKey(h.demo.MerchantID, nil)
				if err != nil {
					t.Fatal(err)
				}
				h.addSecret(key.PrivateKey)
				p.env = append(p.env, "WALLEX_PUBLIC_KEY="+key.PublicKey, "WALLEX_PRIVATE_KEY="+key.PrivateKey)
			case "another URL":
				p.env = append(p.env, "WALLEX_API_URL="+strings.Replace(h.apiURL, "127.0.0.1", "localhost", 1))
			}
			r := p.run(args...)
			if r.code != 4 {
				t.Fatalf("run again with %s: exit %d, want 4 (refused: the first may have been carried out)\n%s", change, r.code, p.logs)
			}
			// The printed line settles it: it names the key and URL the first was sent with (run
			// with that key's private key, which the merchant gives).
			m := reconcileLineRe.FindStringSubmatch(r.stderr)
			if m == nil {
				t.Fatalf("no reconcile line:\n%s", r.stderr)
			}
			_, line := splitEnvLine(m[1])
			envNow := p.env
			p.env = append(slices.Clone(envNow), "WALLEX_PRIVATE_KEY="+h.demo.PrivateKey)
			for i := 0; ; i++ {
				v := p.run(append(line[1:], "-o", "json")...)
				var res struct {
					Verdict string
					Until   time.Time
				}
				if v.code != 0 || json.Unmarshal([]byte(v.stdout), &res) != nil {
					t.Fatalf("the printed line %q: exit %d\n%s", m[1], v.code, p.logs)
				}
				if res.Verdict == "in_flight" && i < 5 {
					time.Sleep(time.Until(res.Until) + 50*time.Millisecond)
					continue
				}
				switch res.Verdict {
				case "found":
				case "not_found": // fenced (nonces): "run your command again", as it was run
					p.env = envNow
					if r := p.run(args...); r.code != 0 {
						t.Fatalf("sent again after not_found: exit %d\n%s", r.code, p.logs)
					}
				default:
					t.Fatalf("the printed line %q: verdict %q\n%s", m[1], res.Verdict, p.logs)
				}
				break
			}
			time.Sleep(2600 * time.Millisecond) // the held copy has landed or bounced
			n := 0
			for _, w := range h.withdrawals() {
				if w.SendAddress == matrixDest {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d withdrawals recorded, want exactly 1\n%s", n, p.logs)
			}
		})
	}
}
