package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	pathpkg "path"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLogin(t *testing.T) {
	e := newEnv(t, Config{TokenTTL: 30 * time.Minute})
	d := e.s.Demo()
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantMsg    string
	}{
		{"ok", vals("version", "1", "cmd", "login", "publickey", d.PublicKey, "privatekey", d.PrivateKey), 200, "Login successfully!"},
		{"no version is fine", vals("cmd", "login", "publickey", d.PublicKey, "privatekey", d.PrivateKey), 200, "Login successfully!"},
		{"wrong private key", vals("version", "1", "cmd", "login", "publickey", d.PublicKey, "privatekey", "nope"), 401, "Invalid API key pair"},
		{"unknown public key", vals("version", "1", "cmd", "login", "publickey", "nope", "privatekey", d.PrivateKey), 401, "Invalid API key pair"},
		{"missing private key", vals("version", "1", "cmd", "login", "publickey", d.PublicKey), 400, "Missing publickey or privatekey field"},
		{"wrong version", vals("version", "2", "cmd", "login", "publickey", d.PublicKey, "privatekey", d.PrivateKey), 400, "Invalid version: must be 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.form("/api/login", tc.form, nil)
			m := r.json(t)
			if r.status != tc.wantStatus || m["message"] != tc.wantMsg {
				t.Fatalf("got %d %s", r.status, r.body)
			}
			if tc.wantStatus != 200 {
				if m["success"] != "false" {
					t.Fatalf("success = %v", m["success"])
				}
				return
			}
			res := m["result"].(map[string]any)
			if m["success"] != "true" || !strings.HasPrefix(res["access_token"].(string), "Bearer ") {
				t.Fatalf("bad success body %s", r.body)
			}
			want := e.clock.Now().Add(30 * time.Minute).UTC().Format("2006-01-02 15:04:05")
			if res["expires_at"] != want {
				t.Fatalf("expires_at = %v, want %s", res["expires_at"], want)
			}
		})
	}
	// also via POST /api with a cmd field
	r := e.form("/api", vals("version", "1", "cmd", "login", "publickey", d.PublicKey, "privatekey", d.PrivateKey), nil)
	if r.status != 200 {
		t.Fatalf("login via /api: %d %s", r.status, r.body)
	}
	st := e.s.Stats(d.PublicKey)
	if st.Logins != 3 || st.ByCmd["login"] != 6 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestAuthErrors(t *testing.T) {
	e := newEnv(t, Config{TokenTTL: 10 * time.Second})
	tok, pub := e.demo()
	acct, err := e.s.CreateAccount(AccountSpec{Username: "other"})
	if err != nil {
		t.Fatal(err)
	}
	k2, err := e.s.CreateKey(acct.MerchantID, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok2 := e.login(k2.PublicKey, k2.PrivateKey)
	bare := strings.TrimPrefix(tok, "Bearer ")

	tests := []struct {
		name, auth, key, want string
	}{
		{"missing header", "", pub, "Missing Authorization header"},
		{"unknown token", "Bearer deadbeef", pub, "Invalid token"},
		{"foreign token", tok2, pub, "Token does not belong to this API key"},
		{"bare token accepted", bare, pub, ""},
		{"lower-case scheme accepted", "bearer " + bare, pub, ""},
		{"own token", tok, pub, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.form("/api/get_basic_info", vals("version", "1", "key", tc.key), map[string]string{"Authorization": tc.auth})
			m := r.json(t)
			if tc.want == "" {
				if r.status != 200 || m["error"] != "ok" {
					t.Fatalf("got %d %s", r.status, r.body)
				}
				return
			}
			if r.status != 401 || m["error"] != tc.want {
				t.Fatalf("got %d %s, want 401 %q", r.status, r.body, tc.want)
			}
			if r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("no WWW-Authenticate header")
			}
		})
	}

	t.Run("expiry", func(t *testing.T) {
		e.clock.Advance(9 * time.Second)
		e.ok(tok, pub, "get_basic_info", nil)
		e.clock.Advance(time.Second)
		r := e.call(tok, pub, "get_basic_info", nil)
		if r.status != 401 || r.json(t)["error"] != "Token expired, log in again" {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		tok3 := e.login(e.s.Demo().PublicKey, e.s.Demo().PrivateKey)
		e.ok(tok3, pub, "get_basic_info", nil)
	})
}

func TestTransport(t *testing.T) {
	e := newEnv(t, Config{})
	tok, pub := e.demo()
	body := vals("version", "1", "key", pub, "cmd", "balances").Encode()
	auth := map[string]string{"Authorization": tok}
	tests := []struct {
		name, method, path, ctype, body string
		wantStatus                      int
		wantErr                         string
	}{
		{"ok", "POST", "/api", "application/x-www-form-urlencoded", body, 200, "ok"},
		{"charset ok", "POST", "/api", "application/x-www-form-urlencoded; charset=UTF-8", body, 200, "ok"},
		{"json body", "POST", "/api", "application/json", `{"cmd":"balances"}`, 400, "Content-Type must be application/x-www-form-urlencoded"},
		{"no content type", "POST", "/api", "", body, 400, "Content-Type must be application/x-www-form-urlencoded"},
		{"latin1", "POST", "/api", "application/x-www-form-urlencoded; charset=latin1", body, 400, "Content-Type charset must be utf-8"},
		{"GET", "GET", "/api/balances", "", "", 405, "Method not allowed: use POST"},
		{"query string", "POST", "/api?key=" + pub, "application/x-www-form-urlencoded", body, 400, "Query parameters are not accepted: send every field in the form body"},
		{"malformed form", "POST", "/api", "application/x-www-form-urlencoded", "cmd=balances&key=%zz", 400, ""},
		{"duplicate field", "POST", "/api", "application/x-www-form-urlencoded", body + "&cmd=balances", 400, `Field "cmd" given more than once`},
		{"too large", "POST", "/api", "application/x-www-form-urlencoded", body + "&pad=" + strings.Repeat("a", 1<<20), 413, "Request body too large (limit 1 MB)"},
		{"path form", "POST", "/api/balances", "application/x-www-form-urlencoded", vals("version", "1", "key", pub).Encode(), 200, "ok"},
		{"path form with cmd", "POST", "/api/balances", "application/x-www-form-urlencoded", body, 200, "ok"},
		{"trailing slash", "POST", "/api/", "application/x-www-form-urlencoded", body, 200, "ok"},
		{"path mismatch", "POST", "/api/rates", "application/x-www-form-urlencoded", body, 400, `cmd field "balances" does not match URL command "rates"`},
		{"missing cmd", "POST", "/api", "application/x-www-form-urlencoded", vals("version", "1", "key", pub).Encode(), 400, "Missing cmd field"},
		{"nested path", "POST", "/api/a/b", "application/x-www-form-urlencoded", body, 404, ""},
		{"unknown command", "POST", "/api/frobnicate", "application/x-www-form-urlencoded", vals("version", "1", "key", pub).Encode(), 200, "Unknown command: frobnicate"},
		{"missing version", "POST", "/api", "application/x-www-form-urlencoded", vals("key", pub, "cmd", "balances").Encode(), 200, "Missing version field (must be 1)"},
		{"version 2", "POST", "/api", "application/x-www-form-urlencoded", vals("version", "2", "key", pub, "cmd", "balances").Encode(), 200, "Invalid version: must be 1"},
		{"missing key", "POST", "/api", "application/x-www-form-urlencoded", vals("version", "1", "cmd", "balances").Encode(), 200, "Missing key field (your public API key)"},
		{"bad format", "POST", "/api", "application/x-www-form-urlencoded", body + "&format=yaml", 200, "Invalid format: must be json or xml"},
		{"bad flag", "POST", "/api", "application/x-www-form-urlencoded", body + "&all=yes", 200, "Invalid all: must be 0 or 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := e.raw(tc.method, tc.path, tc.ctype, tc.body, auth)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", r.status, tc.wantStatus, r.body)
			}
			m := r.json(t)
			if tc.wantErr != "" && m["error"] != tc.wantErr {
				t.Fatalf("error = %q, want %q", m["error"], tc.wantErr)
			}
			if m["error"] == nil {
				t.Fatalf("no error field: %s", r.body)
			}
		})
	}
}

func TestNonce(t *testing.T) {
	e := newEnv(t, Config{})
	tok, pub := e.demo()
	steps := []struct {
		nonce string // "-" = no nonce field
		want  string
	}{
		{"-", "ok"},
		{"5", "ok"},
		{"5", "Invalid nonce: must be greater than 5"},
		{"4", "Invalid nonce: must be greater than 5"},
		{"-", "Nonce required for this API key"},
		{"abc", "Invalid nonce: must be a positive integer"},
		{"-1", "Invalid nonce: must be a positive integer"},
		{"", "Invalid nonce: must be a positive integer"},
		{"6", "ok"},
		{"1700000000000", "ok"},
		{"1700000000000", "Invalid nonce: must be greater than 1700000000000"},
	}
	wantErrs := 0
	for i, st := range steps {
		extra := url.Values{}
		if st.nonce != "-" {
			extra.Set("nonce", st.nonce)
		}
		r := e.call(tok, pub, "get_basic_info", extra)
		if got := r.json(t)["error"]; got != st.want {
			t.Fatalf("step %d nonce %q: error %q, want %q", i, st.nonce, got, st.want)
		}
		if st.want != "ok" {
			wantErrs++
		}
	}
	stats := e.s.Stats(pub)
	if stats.NonceErrors != wantErrs || stats.Overlaps != 0 {
		t.Fatalf("stats %+v, want %d nonce errors and no overlaps", stats, wantErrs)
	}

	t.Run("fresh key accepts zero? no", func(t *testing.T) {
		k, err := e.s.CreateKey(e.s.Demo().MerchantID, nil)
		if err != nil {
			t.Fatal(err)
		}
		tok := e.login(k.PublicKey, k.PrivateKey)
		if got := e.apiErr(tok, k.PublicKey, "get_basic_info", vals("nonce", "0")); got != "Invalid nonce: must be greater than 0" {
			t.Fatal(got)
		}
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestPermissions(t *testing.T) {
	e := newEnv(t, Config{})
	mid := e.s.Demo().MerchantID
	k, err := e.s.CreateKey(mid, []string{"balances"})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Permissions) != 1 || k.Permissions[0] != "balances" {
		t.Fatalf("perms %v", k.Permissions)
	}
	tok := e.login(k.PublicKey, k.PrivateKey)
	e.ok(tok, k.PublicKey, "balances", nil)
	if got := e.apiErr(tok, k.PublicKey, "get_basic_info", nil); got != "This API key has no permission for get_basic_info" {
		t.Fatal(got)
	}
	if got := e.apiErr(tok, k.PublicKey, "nope", nil); got != "Unknown command: nope" {
		t.Fatal(got)
	}
	if err := e.s.SetPermissions(k.PublicKey, []string{}); err != nil {
		t.Fatal(err)
	}
	if got := e.apiErr(tok, k.PublicKey, "balances", nil); got != "This API key has no permission for balances" {
		t.Fatal(got)
	}
	if err := e.s.SetPermissions(k.PublicKey, nil); err != nil {
		t.Fatal(err)
	}
	e.ok(tok, k.PublicKey, "get_basic_info", nil)

	if _, err := e.s.CreateKey(mid, []string{"balances", "withdraw_everything"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown permission: %v", err)
	}
	if err := e.s.SetPermissions("nokey", nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
}

// FuzzForm throws arbitrary bodies at the API handler: it must always answer
// JSON (or XML) and never panic.
func FuzzForm(f *testing.F) {
	s, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	d := s.Demo()
	f.Add("/api", "version=1&cmd=balances&key="+d.PublicKey)
	f.Add("/api/login", "cmd=login&publickey="+d.PublicKey+"&privatekey=x")
	f.Add("/api/rates", "%zz&&==&cmd=rates&format=xml")
	f.Fuzz(func(t *testing.T, path, body string) {
		if !strings.HasPrefix(path, "/api") || strings.ContainsAny(path, "?# \x00") || path != pathpkg.Clean(path) {
			return
		}
		req, err := http.NewRequest("POST", "http://sandbox"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := newRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.code == 0 || len(rec.body) == 0 {
			t.Fatalf("empty answer for %q %q", path, body)
		}
	})
}
