package core_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

// A private key pasted with a trailing newline or space is a realistic mistake. The public key
// gets a clear local error for it; the private key should too (or be trimmed), instead of a
// generic "authentication failed" after a round trip.
func TestPrivateKeyWhitespace(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	for _, suffix := range []string{"\n", " ", "\r\n"} {
		c, err := core.New(core.WithAPIURL(e.url()), core.WithKeys(e.demo.PublicKey, e.demo.PrivateKey+suffix),
			core.WithTransport(nethttp.New(nil)))
		if err == nil {
			_, err = c.Login(context.Background())
		}
		if err == nil {
			t.Errorf("private key + %q: login succeeded; want a local error about the whitespace", suffix)
			continue
		}
		var ve *core.ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), "space") {
			t.Errorf("private key + %q: got %T %q; want a ValidationError saying the private key has leading/trailing whitespace", suffix, err, err)
		}
	}
}

// An API URL without the /api path (https://host instead of https://host/api) should be caught
// or at least explained; instead every call hits the wrong path.
func TestAPIURLWithoutAPIPath(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c, err := core.New(core.WithAPIURL(e.http.URL), core.WithKeys(e.demo.PublicKey, e.demo.PrivateKey),
		core.WithTransport(nethttp.New(nil)), core.WithRetries(0, 0, 0))
	if err != nil {
		if strings.Contains(err.Error(), "/api") {
			return
		}
		t.Fatalf("New: %v (does not mention /api)", err)
	}
	_, err = c.BasicInfo(context.Background())
	if err == nil {
		t.Fatal("call without /api succeeded?")
	}
	if !strings.Contains(err.Error(), "/api") {
		t.Errorf("error for an API URL without /api does not say to add /api: %v", err)
	}
}
