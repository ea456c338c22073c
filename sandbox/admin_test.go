package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAdminHTTP(t *testing.T) {
	e := newEnv(t, Config{})
	var acct Account
	if st := e.admin("POST", "/sandbox/accounts", map[string]any{"username": "shop", "public_name": "Shop"}, &acct); st != 201 || acct.MerchantID == "" || acct.Email != "shop@example.com" {
		t.Fatalf("create account %d %+v", st, acct)
	}
	var key Key
	if st := e.admin("POST", "/sandbox/accounts/"+acct.MerchantID+"/keys", map[string]any{"permissions": []string{"balances", "rates"}}, &key); st != 201 || key.PrivateKey == "" || len(key.Permissions) != 2 {
		t.Fatalf("create key %d %+v", st, key)
	}
	var bal map[string]string
	if st := e.admin("PUT", "/sandbox/accounts/"+acct.MerchantID+"/balances", map[string]string{"BTC": "0.1", "ETH": "2.5"}, &bal); st != 200 || bal["BTC"] != "0.10000000" || bal["ETH"] != "2.50000000" {
		t.Fatalf("balances %d %v", st, bal)
	}
	if st := e.admin("PUT", "/sandbox/keys/"+key.PublicKey+"/permissions", map[string]any{"permissions": []string{"get_basic_info"}}, &key); st != 200 || len(key.Permissions) != 1 {
		t.Fatalf("perms %d %+v", st, key)
	}
	if st := e.admin("PUT", "/sandbox/accounts/"+acct.MerchantID+"/ipn", map[string]any{"url": "http://127.0.0.1:9/ipn", "secret": "x"}, &acct); st != 200 || !acct.HasIPNSecret {
		t.Fatalf("ipn %d %+v", st, acct)
	}
	tok := e.login(key.PublicKey, key.PrivateKey)
	e.ok(tok, key.PublicKey, "get_basic_info", nil)
	var stats KeyStats
	if st := e.admin("GET", "/sandbox/stats?key="+key.PublicKey, nil, &stats); st != 200 || stats.Logins != 1 || stats.Calls != 1 || stats.ByCmd["get_basic_info"] != 1 {
		t.Fatalf("stats %d %+v", st, stats)
	}
	var faults map[string][]faultJSON
	if st := e.admin("POST", "/sandbox/faults", map[string]any{"kind": "delay", "delay_ms": 5, "count": 3, "cmd": "balances"}, &faults); st != 201 || faults["pending"][0].Count != 3 {
		t.Fatalf("faults %d %v", st, faults)
	}
	if st := e.admin("DELETE", "/sandbox/faults", nil, nil); st != 200 || len(e.s.PendingFaults()) != 0 {
		t.Fatalf("clear faults %d", st)
	}
	var demo map[string]string
	if st := e.admin("GET", "/sandbox/demo", nil, &demo); st != 200 || demo["public_key"] != e.s.Demo().PublicKey || demo["private_key"] == "" || demo["username"] != "demo" {
		t.Fatalf("demo %d %v", st, demo)
	}
	var log []any
	if st := e.admin("GET", "/sandbox/ipn-log", nil, &log); st != 200 || log == nil {
		t.Fatalf("ipn-log %d %v", st, log)
	}

	errs := []struct {
		method, path string
		body         any
		status       int
	}{
		{"POST", "/sandbox/accounts", map[string]any{"username": "shop"}, 409},
		{"POST", "/sandbox/accounts", map[string]any{"username": "bad name"}, 400},
		{"POST", "/sandbox/accounts", map[string]any{"user": "typo"}, 400},
		{"POST", "/sandbox/accounts/nope/keys", nil, 404},
		{"PUT", "/sandbox/accounts/" + acct.MerchantID + "/balances", map[string]string{"BTC": "0.123456789"}, 400},
		{"PUT", "/sandbox/accounts/" + acct.MerchantID + "/balances", map[string]string{"XYZ": "1"}, 400},
		{"PUT", "/sandbox/accounts/" + acct.MerchantID + "/ipn", map[string]any{"url": "ftp://x"}, 400},
		{"PUT", "/sandbox/keys/nope/permissions", map[string]any{}, 404},
		{"POST", "/sandbox/faults", map[string]any{"kind": "explode"}, 400},
		{"GET", "/sandbox/stats", nil, 400},
		{"GET", "/sandbox/accounts", nil, 405},
		{"GET", "/sandbox/nothing", nil, 404},
	}
	for _, tc := range errs {
		var out map[string]any
		if st := e.admin(tc.method, tc.path, tc.body, &out); st != tc.status || out["error"] == "" || out["error"] == nil {
			t.Fatalf("%s %s: %d %v, want %d", tc.method, tc.path, st, out, tc.status)
		}
	}
}

func TestDisableAdmin(t *testing.T) {
	e := newEnv(t, Config{DisableAdmin: true, DemoPublicKey: "pub1", DemoPrivateKey: "priv1"})
	for _, p := range []string{"/sandbox/demo", "/sandbox/accounts"} {
		r, err := e.raw("GET", p, "", "", nil)
		if err != nil || r.status != http.StatusNotFound {
			t.Fatalf("%s: %v %d", p, err, r.status)
		}
	}
	tok := e.login("pub1", "priv1")
	e.ok(tok, "pub1", "balances", nil)
}

// A web page must not be able to drive the sandbox: the admin endpoints need a header no page can
// send cross-site without a preflight, refuse a foreign Origin, and answer only on a loopback Host
// (against DNS rebinding).
func TestAdminRefusesCrossSite(t *testing.T) {
	e := newEnv(t, Config{})
	post := func(hdr map[string]string, host string) resp {
		req, _ := http.NewRequest("POST", e.ts.URL+"/sandbox/faults", strings.NewReader(`{"kind":"reset"}`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if host != "" {
			req.Host = host
		}
		res, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r resp
		r.status = res.StatusCode
		r.body, _ = io.ReadAll(res.Body)
		return r
	}
	cases := []struct {
		name string
		hdr  map[string]string
		host string
		want int
		msg  string
	}{
		{"no header (a form post from a page)", nil, "", 403, "Missing header X-Wallexkit-Sandbox"},
		{"foreign origin", map[string]string{AdminHeader: "1", "Origin": "https://evil.example"}, "", 403, "Cross-site"},
		{"rebound host name", map[string]string{AdminHeader: "1"}, "evil.example:8787", 403, "loopback host"},
		{"same origin with the header", map[string]string{AdminHeader: "1", "Origin": e.ts.URL}, "", 201, ""},
		{"a tool with the header", map[string]string{AdminHeader: "1"}, "localhost", 201, ""},
	}
	for _, c := range cases {
		r := post(c.hdr, c.host)
		if r.status != c.want || !strings.Contains(string(r.body), c.msg) {
			t.Errorf("%s: got %d %s, want %d %q", c.name, r.status, r.body, c.want, c.msg)
		}
	}
	if n := len(e.s.PendingFaults()); n != 2 {
		t.Fatalf("%d faults queued, want 2 (only the allowed requests)", n)
	}
	// The index stays readable in a browser (no header needed); a preflight is never granted.
	if r, _ := e.raw("GET", "/sandbox/", "", "", nil); r.status != 200 {
		t.Fatalf("index: %d", r.status)
	}
	if r, _ := e.raw("OPTIONS", "/sandbox/faults", "", "", map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}); r.status < 400 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight: %d %v", r.status, r.header)
	}
	// Config.AdminHosts admits a named host (a sandbox shared on a LAN).
	e2 := newEnv(t, Config{AdminHosts: []string{"sandbox.lan"}})
	req, _ := http.NewRequest("GET", e2.ts.URL+"/sandbox/demo", nil)
	req.Host = "sandbox.lan"
	req.Header.Set(AdminHeader, "1")
	res, err := e2.ts.Client().Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("AdminHosts: %v %v", err, res)
	}
	res.Body.Close()
}

func TestAdminAddresses(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	get := func(q string) (int, map[string]any) {
		r := httptest.NewRequest("GET", "http://127.0.0.1/sandbox/addresses"+q, nil)
		r.Header.Set("X-Wallexkit-Sandbox", "1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var m map[string]any
		json.Unmarshal(w.Body.Bytes(), &m)
		return w.Code, m
	}
	code, m := get("?coin=ltct&count=3")
	list, _ := m["addresses"].([]any)
	if code != 200 || len(list) != 3 || list[0] == list[1] {
		t.Fatalf("%d %v", code, m)
	}
	for _, a := range list {
		if !strings.HasPrefix(a.(string), "tltc1q") {
			t.Fatalf("not an LTCT address: %v", a)
		}
	}
	for _, q := range []string{"", "?coin=USD", "?coin=XYZ", "?coin=BTC&count=0", "?coin=BTC&count=x"} {
		if code, m := get(q); code != 400 || m["error"] == "" {
			t.Errorf("%s: %d %v", q, code, m)
		}
	}
}
