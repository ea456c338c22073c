//go:build js && wasm

package fetch_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"runtime"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/wasm/fetch"
	"github.com/wallexkit/wallexkit/wasm/internal/jsutil"
)

// These tests run under node (go_js_wasm_exec) against a real sandbox started by
// wasm/test/run-go-wasm-tests.sh, reached through node's fetch.

type sandboxEnv struct{ api, admin, pub, priv string }

func env(t *testing.T) sandboxEnv {
	t.Helper()
	e := sandboxEnv{
		api:   os.Getenv("WALLEX_TEST_API_URL"),
		admin: os.Getenv("WALLEX_TEST_ADMIN_URL"),
		pub:   os.Getenv("WALLEX_TEST_PUBLIC_KEY"),
		priv:  os.Getenv("WALLEX_TEST_PRIVATE_KEY"),
	}
	if e.api == "" || e.admin == "" || e.pub == "" || e.priv == "" {
		t.Fatal("WALLEX_TEST_API_URL, WALLEX_TEST_ADMIN_URL, WALLEX_TEST_PUBLIC_KEY and WALLEX_TEST_PRIVATE_KEY must be set: " +
			"run these tests with wasm/test/run-go-wasm-tests.sh, which starts a local sandbox")
	}
	e.admin = strings.TrimRight(e.admin, "/")
	return e
}

func newClient(t *testing.T, e sandboxEnv, opts ...core.Option) *core.Client {
	t.Helper()
	c, err := core.New(append([]core.Option{
		core.WithAPIURL(e.api), core.WithKeys(e.pub, e.priv), core.WithTransport(fetch.New()),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// admin calls a sandbox admin endpoint with the JS fetch (test helper, not the transport).
func admin(t *testing.T, e sandboxEnv, method, path, body string) string {
	t.Helper()
	headers := map[string]any{"X-Wallexkit-Sandbox": "1"}
	init := map[string]any{"method": method, "headers": headers}
	if body != "" {
		init["body"] = body
		headers["Content-Type"] = "application/json"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := jsutil.Await(ctx, js.Global().Call("fetch", e.admin+path, init))
	if err != nil {
		t.Fatalf("admin %s %s: %v", method, path, err)
	}
	text, err := jsutil.Await(ctx, res.Call("text"))
	if err != nil {
		t.Fatalf("admin %s %s: %v", method, path, err)
	}
	if st := res.Get("status").Int(); st >= 300 {
		t.Fatalf("admin %s %s: HTTP %d: %s", method, path, st, text.String())
	}
	return text.String()
}

func clearFaults(t *testing.T, e sandboxEnv) {
	t.Cleanup(func() { admin(t, e, "DELETE", "/faults", "") })
}

func TestLoginAndBasicInfo(t *testing.T) {
	e := env(t)
	c := newClient(t, e)
	ctx := context.Background()
	tok, err := c.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiresAt.After(time.Now()) {
		t.Fatalf("token expires in the past: %v", tok.ExpiresAt)
	}
	info, err := c.BasicInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.MerchantID == "" || info.Username == "" {
		t.Fatalf("basic info incomplete: %+v", info)
	}
	if info.Response.HTTPStatus != 200 {
		t.Fatalf("status %d", info.Response.HTTPStatus)
	}
}

func TestHeadersAndStatus(t *testing.T) {
	e := env(t)
	// No token: the sandbox answers 401 with JSON; the transport returns it, not an error.
	res, err := fetch.New().RoundTrip(context.Background(), &core.Request{
		URL:    e.api + "/get_basic_info",
		Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
		Body:   []byte("version=1&cmd=get_basic_info&key=" + e.pub),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 401 {
		t.Fatalf("status %d, want 401; body %s", res.Status, res.Body)
	}
	if !strings.Contains(res.Header["content-type"], "json") {
		t.Fatalf("content-type header missing or not lower-cased: %v", res.Header)
	}
	for k := range res.Header {
		if k != strings.ToLower(k) {
			t.Fatalf("header %q not lower case", k)
		}
	}
	if !strings.Contains(string(res.Body), "error") {
		t.Fatalf("body %s", res.Body)
	}
}

func TestDeadlineAbortsRequest(t *testing.T) {
	e := env(t)
	clearFaults(t, e)
	c := newClient(t, e)
	if _, err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	admin(t, e, "POST", "/faults", `{"kind":"delay","count":1,"delay_ms":2000,"cmd":"get_basic_info"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.BasicInfo(ctx)
	took := time.Since(start)
	if err == nil {
		t.Fatal("want a deadline error, got success")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want an error wrapping context.DeadlineExceeded, got %T: %v", err, err)
	}
	if took > time.Second {
		t.Fatalf("took %v: the request was not aborted", took)
	}
	// The abort must reach the socket: the sandbox's delayed handler watches the request
	// context, so its in-flight count drops long before the 2 s delay ends.
	for {
		var st struct {
			InFlight int `json:"in_flight"`
		}
		if err := json.Unmarshal([]byte(admin(t, e, "GET", "/stats?key="+e.pub, "")), &st); err != nil {
			t.Fatal(err)
		}
		if st.InFlight == 0 {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatalf("the sandbox still has %d request(s) in flight 1 s later: the fetch was not aborted", st.InFlight)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("aborted after %v, server saw the connection close after %v: %v", took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), err)
}

func TestCanceledBeforeSendIsNotSent(t *testing.T) {
	e := env(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := fetch.New().RoundTrip(ctx, &core.Request{URL: e.api + "/get_basic_info", Body: []byte("x=1")})
	if !core.IsNotSent(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want NotSent wrapping context.Canceled, got %v", err)
	}
}

func TestNetworkErrorIsNotMarkedNotSent(t *testing.T) {
	// Port 1 on loopback: nothing listens there.
	_, err := fetch.New().RoundTrip(context.Background(), &core.Request{URL: "http://127.0.0.1:1/api/balances", Body: []byte("x=1")})
	if err == nil {
		t.Fatal("want a network error")
	}
	if core.IsNotSent(err) {
		t.Fatalf("a failed fetch must not claim NotSent: %v", err)
	}
	var je *jsutil.Error
	if !errors.As(err, &je) || je.Name != "TypeError" {
		t.Fatalf("want a wrapped TypeError, got %T: %v", err, err)
	}
}

func TestHTML502IsTransportError(t *testing.T) {
	e := env(t)
	clearFaults(t, e)
	c := newClient(t, e, core.WithRetries(2, time.Millisecond, 5*time.Millisecond))
	if _, err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	admin(t, e, "POST", "/faults", `{"kind":"html","count":5}`)
	_, err := c.BasicInfo(context.Background())
	var te *core.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("want *core.TransportError, got %T: %v", err, err)
	}
	if te.HTTPStatus != 502 {
		t.Fatalf("HTTP status %d, want 502: %v", te.HTTPStatus, err)
	}
	if core.CodeOf(err) != "transport" || !core.IsRetryable(err) {
		t.Fatalf("code %q retryable %v", core.CodeOf(err), core.IsRetryable(err))
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	e := env(t)
	clearFaults(t, e)
	c := newClient(t, e, core.WithRetries(0, time.Millisecond, time.Millisecond))
	if _, err := c.BasicInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	admin(t, e, "POST", "/faults", `{"kind":"delay","count":5,"delay_ms":300,"cmd":"get_basic_info"}`)
	for i := 0; i < 5; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		if _, err := c.BasicInfo(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("call %d: want deadline, got %v", i, err)
		}
		cancel()
	}
	for i := 0; i < 20; i++ {
		if _, err := c.BasicInfo(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Fatalf("goroutines: %d before, %d after", before, after)
	}
}
