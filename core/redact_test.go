package core_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

// redactor.excerpt cuts the body to 120 characters BEFORE it redacts known secrets, so a private
// key that straddles the cut no longer matches; redactLongRuns then only hides runs of >= 32
// characters, and the key's first up-to-31 characters reach the error text.
func TestExcerptLeaksPrivateKeyPrefix(t *testing.T) {
	const priv = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" // 64 hex, like the sandbox's
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.WriteHeader(500)
		// a proxy / framework debug page echoing the request form
		pad := strings.Repeat("x", 90)
		_, _ = w.Write([]byte("<p>" + pad + " privatekey=" + r.PostForm.Get("privatekey") + "</p>"))
	}))
	defer hs.Close()
	c, err := core.New(core.WithAPIURL(hs.URL+"/api"), core.WithKeys("pub", priv),
		core.WithTransport(nethttp.New(nil)), core.WithRetries(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Login(context.Background())
	if err == nil {
		t.Fatal("login against a 500 succeeded")
	}
	if strings.Contains(err.Error(), priv[:8]) {
		t.Errorf("error text holds a prefix of the private key: %q", err.Error())
	}
}

func TestLoggerNeverSeesSecrets(t *testing.T) {
	e := newEnv(t, sandbox.Config{TokenTTL: time.Second})
	var mu sync.Mutex
	var log strings.Builder
	c := e.client(core.WithLogger(func(ev core.Event) {
		mu.Lock()
		fmt.Fprintf(&log, "%+v %v\n", ev, ev.Err)
		mu.Unlock()
	}))
	ctx := context.Background()
	tok, err := c.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.BasicInfo(ctx)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHTML, Count: 3})
	c.BasicInfo(ctx)
	c.Call(ctx, "nope_cmd", nil)
	out := log.String()
	bare := strings.TrimPrefix(tok.AccessToken, "Bearer ")
	if strings.Contains(out, e.demo.PrivateKey) || strings.Contains(out, bare) {
		t.Fatalf("secret in log:\n%s", out)
	}
	if !strings.Contains(out, "Cmd:login") || !strings.Contains(out, "HTTPStatus:502") {
		t.Fatalf("log lacks events:\n%s", out)
	}
	if s := fmt.Sprintf("%v %+v %#v", tok, tok, tok); strings.Contains(s, bare) {
		t.Fatalf("Token prints itself: %s", s)
	}
}
