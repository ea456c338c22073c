package nethttp

import (
	"context"
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
