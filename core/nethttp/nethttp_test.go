package nethttp

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wallexkit/wallexkit/core"
)

func TestRefusedConnectionIsNotSent(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	_, err := New(nil).RoundTrip(context.Background(), &core.Request{URL: url + "/api/x", Body: []byte("a=1")})
	if err == nil || !core.IsNotSent(err) {
		t.Fatalf("err = %v, want a NotSent error", err)
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
