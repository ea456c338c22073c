package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	s     *Server
	ts    *httptest.Server
	clock *fakeClock
}

// newEnv starts a sandbox behind a real loopback HTTP server with a fake clock.
func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	clock := newClock()
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return &env{t: t, s: s, ts: ts, clock: clock}
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// raw posts a body with the given content type and headers.
func (e *env) raw(method, path, ctype, body string, hdr map[string]string) (resp, error) {
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		return resp{}, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if strings.HasPrefix(path, "/sandbox/") {
		req.Header.Set(AdminHeader, "1")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: data}, err
}

func (e *env) form(path string, f url.Values, hdr map[string]string) resp {
	e.t.Helper()
	r, err := e.raw("POST", path, "application/x-www-form-urlencoded", f.Encode(), hdr)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	return r
}

func (e *env) login(pub, priv string) string {
	e.t.Helper()
	r := e.form("/api/login", url.Values{"version": {"1"}, "cmd": {"login"}, "publickey": {pub}, "privatekey": {priv}}, nil)
	m := r.json(e.t)
	if r.status != 200 || m["success"] != "true" {
		e.t.Fatalf("login failed: %d %s", r.status, r.body)
	}
	return m["result"].(map[string]any)["access_token"].(string)
}

// call posts cmd to /api/{cmd} with the main fields filled in.
func (e *env) call(tok, pub, cmd string, extra url.Values) resp {
	e.t.Helper()
	f := url.Values{"version": {"1"}, "key": {pub}, "cmd": {cmd}}
	for k, v := range extra {
		f[k] = v
	}
	return e.form("/api/"+cmd, f, map[string]string{"Authorization": tok})
}

// ok calls and requires error == "ok", returning result.
func (e *env) ok(tok, pub, cmd string, extra url.Values) any {
	e.t.Helper()
	r := e.call(tok, pub, cmd, extra)
	m := r.json(e.t)
	if r.status != 200 || m["error"] != "ok" {
		e.t.Fatalf("%s: %d %s", cmd, r.status, r.body)
	}
	return m["result"]
}

// apiErr calls and returns the error text (requiring HTTP 200 and not ok).
func (e *env) apiErr(tok, pub, cmd string, extra url.Values) string {
	e.t.Helper()
	r := e.call(tok, pub, cmd, extra)
	m := r.json(e.t)
	if r.status != 200 || m["error"] == "ok" {
		e.t.Fatalf("%s: want API error, got %d %s", cmd, r.status, r.body)
	}
	return m["error"].(string)
}

func (e *env) demo() (tok, pub string) {
	d := e.s.Demo()
	return e.login(d.PublicKey, d.PrivateKey), d.PublicKey
}

// admin sends JSON to an admin endpoint and decodes the JSON answer into out.
func (e *env) admin(method, path string, body any, out any) int {
	e.t.Helper()
	var payload string
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		payload = string(data)
	}
	r, err := e.raw(method, path, "application/json", payload, nil)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			e.t.Fatalf("%s %s: bad JSON %v: %s", method, path, err, r.body)
		}
	}
	return r.status
}

func vals(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}
