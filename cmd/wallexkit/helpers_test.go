package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

// harness is one in-process sandbox and the environment the CLI runs with against it.
type harness struct {
	t      *testing.T
	srv    *sandbox.Server
	apiURL string
	demo   sandbox.Demo
	env    map[string]string

	mu      sync.Mutex
	secrets []string // private keys and tokens: never printed
	outputs []string // everything the CLI printed, checked again at cleanup
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	srv, err := sandbox.New(sandbox.Config{})
	if err != nil {
		t.Fatalf("sandbox.New: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	h := &harness{t: t, srv: srv, apiURL: ts.URL + "/api", demo: srv.Demo()}
	h.env = map[string]string{
		"WALLEX_API_URL":     h.apiURL,
		"WALLEX_PUBLIC_KEY":  h.demo.PublicKey,
		"WALLEX_PRIVATE_KEY": h.demo.PrivateKey,
		"WALLEX_STATE":       filepath.Join(t.TempDir(), "wallexkit", "state.json"),
		"WALLEX_FENCE_PAUSE": "10ms",
	}
	h.addSecret(h.demo.PrivateKey)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
		// Tokens are learned after they were issued: check every output once more.
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, out := range h.outputs {
			h.checkClean(out)
		}
	})
	return h
}

func (h *harness) addSecret(s string) {
	h.mu.Lock()
	h.secrets = append(h.secrets, strings.TrimPrefix(s, "Bearer "))
	h.mu.Unlock()
}

// checkClean fails the test if out holds a secret. h.mu is held.
func (h *harness) checkClean(out string) {
	h.t.Helper()
	if strings.Contains(out, "Bearer") {
		h.t.Errorf("output holds a bearer token:\n%s", out)
	}
	for _, s := range h.secrets {
		if s != "" && strings.Contains(out, s) {
			h.t.Errorf("output holds a secret (%d chars):\n%s", len(s), out)
		}
	}
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI in process with the harness environment.
func (h *harness) run(args ...string) result {
	h.t.Helper()
	return h.runWith(h.env, "", args...)
}

// runWith runs the CLI with env and stdin, and checks that nothing secret was printed.
func (h *harness) runWith(env map[string]string, stdin string, args ...string) result {
	h.t.Helper()
	r := runCLI(context.Background(), env, stdin, args...)
	h.mu.Lock()
	h.outputs = append(h.outputs, r.stdout, r.stderr)
	h.checkClean(r.stdout + r.stderr)
	h.mu.Unlock()
	return r
}

// envWith returns a copy of the harness environment with changes ("" deletes).
func (h *harness) envWith(kv ...string) map[string]string {
	env := maps.Clone(h.env)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(env, kv[i])
		} else {
			env[kv[i]] = kv[i+1]
		}
	}
	return env
}

func runCLI(ctx context.Context, env map[string]string, stdin string, args ...string) result {
	var out, errb bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func (h *harness) mustRun(args ...string) string {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("wallexkit %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// cachedToken reads the token the CLI cached in the state file (and records it as a secret).
func (h *harness) cachedToken() (core.Token, bool) {
	h.t.Helper()
	store, err := filestore.New(h.env["WALLEX_STATE"], []byte(h.env["WALLEX_PRIVATE_KEY"]))
	if err != nil {
		h.t.Fatal(err)
	}
	tok, ok, err := store.LoadToken(context.Background(), h.apiURL+"|"+h.env["WALLEX_PUBLIC_KEY"])
	if err != nil {
		h.t.Fatal(err)
	}
	if ok {
		h.addSecret(tok.AccessToken)
	}
	return tok, ok
}

// rawResult logs in and calls cmd directly over HTTP, and returns the `result` member indented
// like `wallexkit call` prints it.
func (h *harness) rawResult(cmd string, fields url.Values) string {
	h.t.Helper()
	post := func(path string, form url.Values, auth string) map[string]json.RawMessage {
		req, _ := http.NewRequest("POST", h.apiURL+"/"+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			h.t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			h.t.Fatalf("%s: %v", path, err)
		}
		return m
	}
	login := post("login", url.Values{"version": {"1"}, "cmd": {"login"}, "publickey": {h.demo.PublicKey}, "privatekey": {h.demo.PrivateKey}}, "")
	var res struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(login["result"], &res); err != nil || res.AccessToken == "" {
		h.t.Fatalf("raw login failed: %v", err)
	}
	h.addSecret(res.AccessToken)
	// Nonces are on by default, so the key needs one: the next above the CLI's mark.
	store, err := filestore.New(h.env["WALLEX_STATE"], nil)
	if err != nil {
		h.t.Fatal(err)
	}
	key := h.apiURL + "|" + h.demo.PublicKey
	last, _ := store.LoadNonce(context.Background(), key)
	nonce := max(last+1, time.Now().UnixMilli())
	if err := store.SaveNonce(context.Background(), key, nonce); err != nil {
		h.t.Fatal(err)
	}
	form := url.Values{"version": {"1"}, "key": {h.demo.PublicKey}, "cmd": {cmd}, "nonce": {strconv.FormatInt(nonce, 10)}}
	for k, v := range fields {
		form[k] = v
	}
	m := post(cmd, form, res.AccessToken)
	if string(m["error"]) != `"ok"` {
		h.t.Fatalf("raw %s: error %s", cmd, m["error"])
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, m["result"], "", "  "); err != nil {
		h.t.Fatal(err)
	}
	return buf.String() + "\n"
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// exportLine finds the `export ...` line the sandbox command prints and returns its variables.
func exportLine(out string) (map[string]string, bool) {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		vars := map[string]string{}
		for _, kv := range strings.Fields(rest) {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
		return vars, true
	}
	return nil, false
}

// runTTY runs the CLI as if stdin and stderr were a terminal.
func (h *harness) runTTY(stdin string, args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(stdin), &out, &errb, func(k string) string { return h.env[k] })
	a.isTerminal = func(any) bool { return true }
	r := result{code: a.main(context.Background(), args), stdout: out.String(), stderr: errb.String()}
	h.mu.Lock()
	h.outputs = append(h.outputs, r.stdout, r.stderr)
	h.checkClean(r.stdout + r.stderr)
	h.mu.Unlock()
	return r
}

// client is a core client for the demo key, to check the sandbox's state through the API. It
// shares the CLI's state file, so its nonces follow the CLI's (nonces are on by default).
func (h *harness) client() *core.Client {
	h.t.Helper()
	store, err := filestore.New(h.env["WALLEX_STATE"], nil)
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := core.New(core.WithAPIURL(h.apiURL), core.WithKeys(h.demo.PublicKey, h.demo.PrivateKey), core.WithTransport(nethttp.New(nil)),
		core.WithNonces(store))
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// withdrawals lists the demo account's whole withdrawal history.
func (h *harness) withdrawals() []core.WithdrawalInfo {
	h.t.Helper()
	var out []core.WithdrawalInfo
	for w, err := range h.client().WithdrawalHistory(context.Background(), nil) {
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, w)
	}
	return out
}

func (h *harness) cmdCount(cmd string) int {
	return h.srv.Stats(h.demo.PublicKey).ByCmd[cmd]
}

// field returns the value of a "Label   value" line of a table output.
func field(t *testing.T, out, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + ` {2,}(.*)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in:\n%s", label, out)
	}
	return strings.TrimSpace(m[1])
}

// shellSplit splits a command line printed with shellQuote.
func shellSplit(s string) []string {
	var args []string
	var cur strings.Builder
	inArg, quoted := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quoted && ch == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(ch)
		case ch == '\'':
			quoted, inArg = true, true
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inArg = true
		case ch == ' ' || ch == '\t':
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(ch)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}

// reconcileLine finds the printed `[WALLEX_STATE=...] wallexkit reconcile ...` line and returns
// its arguments after "wallexkit" (the harness runs them with the same WALLEX_STATE).
func reconcileLine(t *testing.T, stderr string) []string {
	t.Helper()
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "wallexkit ") && !strings.HasPrefix(l, "WALLEX_STATE=") || !strings.Contains(l, " reconcile ") {
			continue
		}
		_, args := splitEnvLine(l)
		if len(args) == 0 || args[0] != "wallexkit" {
			t.Fatalf("reconcile line %q does not run wallexkit", l)
		}
		return args[1:]
	}
	t.Fatalf("no reconcile line in:\n%s", stderr)
	return nil
}

// splitEnvLine splits a printed command line into its leading NAME=value assignments and the
// command's arguments.
func splitEnvLine(l string) (env map[string]string, args []string) {
	env = map[string]string{}
	args = shellSplit(l)
	for len(args) > 0 {
		k, v, ok := strings.Cut(args[0], "=")
		if !ok || k == "" || strings.ToUpper(k) != k || strings.ContainsAny(k, "-/ ") {
			break
		}
		env[k] = v
		args = args[1:]
	}
	return env, args
}
