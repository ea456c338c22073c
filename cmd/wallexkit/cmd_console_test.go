package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The console's /api goes to the API's own path, once, without the page's Origin, Referer or
// cookies; an API that cannot be reached is a 502 that says which.
func TestConsoleAPIProxy(t *testing.T) {
	var calls int
	var got *http.Request
	var gotBody string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		got = r
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		io.WriteString(w, `{"error":"ok"}`)
	}))
	defer up.Close()
	target, _ := url.Parse(up.URL + "/merchant/api/")
	p := httptest.NewServer(apiProxy(target))
	defer p.Close()

	req, _ := http.NewRequest("POST", p.URL+"/api/login", strings.NewReader("cmd=balances"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://127.0.0.1:8080")
	req.Header.Set("Referer", "http://127.0.0.1:8080/web/index.html")
	req.Header.Set("Cookie", "a=b")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if calls != 1 || got.URL.Path != "/merchant/api/login" || gotBody != "cmd=balances" {
		t.Fatalf("calls %d, path %q, body %q", calls, got.URL.Path, gotBody)
	}
	for _, h := range []string{"Origin", "Referer", "Cookie"} {
		if got.Header.Get(h) != "" {
			t.Errorf("%s reached the API", h)
		}
	}

	up.Close()
	resp, err = http.Post(p.URL+"/api", "application/x-www-form-urlencoded", strings.NewReader("cmd=create_withdrawal"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 502 || !strings.Contains(string(b), "cannot reach the API at "+target.Host) || calls != 1 {
		t.Errorf("unreachable API: %d %q (calls %d)", resp.StatusCode, b, calls)
	}
}
