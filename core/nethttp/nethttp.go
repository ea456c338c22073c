// Package nethttp adapts net/http to core.Transport for native Go programs.
package nethttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

// MaxBody is the largest answer the transport reads (answers are small; this guards memory).
const MaxBody = 8 << 20

// Transport sends core requests with an *http.Client.
type Transport struct{ hc *http.Client }

// New returns a Transport using hc, or a client with sensible pooling when hc is nil. Timeouts
// come from the call's context. The default client dials "localhost" and any "*.localhost"
// name on the loopback address itself, never through DNS: core lets plain http reach those
// names as loopback (core.IsLoopbackHost), so they must not resolve anywhere else.
func New(hc *http.Client) *Transport {
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		tr.IdleConnTimeout = 90 * time.Second
		tr.DialContext = dialLoopbackNames(tr.DialContext)
		hc = &http.Client{Transport: tr}
	}
	// Never follow redirects: a POST carrying keys must not be replayed elsewhere.
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Transport{hc: &c}
}

// RoundTrip implements core.Transport.
func (t *Transport) RoundTrip(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
	// net/http resends a POST carrying Idempotency-Key by itself on a new connection when a
	// reused one fails before any answer byte: if that resend's dial fails, the dial error is
	// returned although the first attempt may have been written. So an error is NotSent only
	// if no attempt got a connection (GotConn comes before any byte of the request is written).
	var gotConn atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) }})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return nil, core.NotSent(err)
	}
	for k, v := range r.Header {
		req.Header[http.CanonicalHeaderKey(k)] = []string{v}
	}
	resp, err := t.hc.Do(req)
	if err != nil {
		if notSent(err) && !gotConn.Load() {
			return nil, core.NotSent(err)
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := readBody(resp)
	if err != nil {
		return nil, err
	}
	// The core reads only a few headers; copying just those keeps a call cheap.
	h := make(map[string]string, len(keptHeaders))
	for _, k := range keptHeaders {
		if v := resp.Header.Get(k); v != "" {
			h[strings.ToLower(k)] = v
		}
	}
	return &core.HTTPResponse{Status: resp.StatusCode, Header: h, Body: body}, nil
}

// dialLoopbackNames dials localhost and *.localhost on 127.0.0.1 (RFC 6761: these names are
// loopback), everything else with dial.
func dialLoopbackNames(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err == nil {
			h := strings.ToLower(strings.TrimSuffix(host, "."))
			if h == "localhost" || strings.HasSuffix(h, ".localhost") {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
		}
		return dial(ctx, network, addr)
	}
}

// keptHeaders are the answer headers passed to the core.
var keptHeaders = [...]string{"Content-Type", "Retry-After", "Location", "Date"}

// readBody reads the whole answer, sized by Content-Length when the server gave it.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 {
		if n > MaxBody {
			return nil, errors.New("answer larger than 8 MiB")
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxBody {
		return nil, errors.New("answer larger than 8 MiB")
	}
	return body, nil
}

// notSent reports errors raised before any byte of the request was written: failed DNS
// lookups and refused connections.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
