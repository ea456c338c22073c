package nethttp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
)

func TestRefusedConnectionIsNotSent(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	for _, h := range []map[string]string{nil, {"Idempotency-Key": "op-1"}} {
		_, err := New(nil).RoundTrip(context.Background(), &core.Request{URL: url + "/api/x", Header: h, Body: []byte("a=1")})
		if err == nil || !core.IsNotSent(err) {
			t.Fatalf("headers %v: err = %v, want a NotSent error", h, err)
		}
	}
}

// net/http resends a POST carrying Idempotency-Key on a new connection when a reused one fails
// before any answer byte. Here the first attempt is written in full and the server hangs up;
// the resend's dial is refused. The request may have been acted on: it must not be NotSent.
func TestWrittenThenRetryRefusedIsNotNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		served <- func() error {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for i := 0; i < 2; i++ {
				req, err := http.ReadRequest(br)
				if err != nil {
					return err
				}
				if _, err := io.Copy(io.Discard, req.Body); err != nil {
					return err
				}
				if i == 0 {
					if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
						return err
					}
					continue
				}
				if req.Header.Get("Idempotency-Key") != "op-1" {
					return errors.New("second request without its Idempotency-Key")
				}
			}
			ln.Close() // the client's resend finds nothing listening
			return nil // and c closes without an answer
		}()
	}()
	tr := New(nil)
	defer tr.hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "http://" + ln.Addr().String() + "/api"
	resp, err := tr.RoundTrip(ctx, &core.Request{URL: url, Body: []byte("a=1")})
	if err != nil || resp.Status != 200 {
		t.Fatalf("first request: %v %+v", err, resp)
	}
	_, err = tr.RoundTrip(ctx, &core.Request{URL: url, Header: map[string]string{"Idempotency-Key": "op-1"}, Body: []byte("a=2")})
	if serr := <-served; serr != nil {
		t.Fatalf("server: %v", serr)
	}
	var op *net.OpError
	if err == nil || !errors.As(err, &op) || op.Op != "dial" {
		t.Fatalf("err = %v, want the resend's dial error (else this test no longer covers net/http's resend)", err)
	}
	if core.IsNotSent(err) {
		t.Fatalf("err = %v is NotSent, but the request was written: the outcome is unknown", err)
	}
}

func TestNoRedirectsAndHeaders(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			t.Error("redirect followed: keys would be replayed")
		}
		got = r.Header.Clone()
		w.Header().Set("Retry-After", "3")
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	resp, err := New(nil).RoundTrip(context.Background(), &core.Request{URL: srv.URL + "/api", Header: map[string]string{"Authorization": "Bearer x"}, Body: []byte("a=1")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusTemporaryRedirect || resp.Header["retry-after"] != "3" || got.Get("Authorization") != "Bearer x" {
		t.Fatalf("status %d headers %v sent %v", resp.Status, resp.Header, got)
	}
}

// core lets plain http reach *.localhost as loopback, so the transport must dial it there and
// never ask DNS (which could answer with any address).
func TestLocalhostNamesDialLoopback(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.Host))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, host := range []string{"localhost", "shop.localhost", "a.b.LOCALHOST"} {
		resp, err := New(nil).RoundTrip(context.Background(), &core.Request{URL: "http://" + host + ":" + port + "/api", Body: []byte("a=1")})
		if err != nil || resp.Status != 200 || string(resp.Body) != host+":"+port {
			t.Fatalf("%s: %v %+v", host, err, resp)
		}
	}
	if !core.IsLoopbackHost("shop.localhost") {
		t.Fatal("core no longer treats *.localhost as loopback; then this dialer is not needed")
	}
}
