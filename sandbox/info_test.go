package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	pathpkg "path"
	"strings"
	"testing"
	"time"
)

func TestEnvelopeJSONAndXML(t *testing.T) {
	e := newEnv(t, Config{})
	tok, pub := e.demo()
	a, _ := e.s.CreateAccount(AccountSpec{Username: "env"})
	k, _ := e.s.CreateKey(a.MerchantID, nil)
	_ = e.s.SetBalances(a.MerchantID, map[string]string{"BTC": "0.1", "LTC": "2"})
	tok2 := e.login(k.PublicKey, k.PrivateKey)

	tests := []struct {
		name, cmd string
		extra     url.Values
		wantType  string
		want      string
	}{
		{"json balances", "balances", nil, "application/json",
			`{"error":"ok","result":{"BTC":{"balance":10000000,"balancef":0.10000000},"LTC":{"balance":200000000,"balancef":2.00000000}}}`},
		{"xml balances", "balances", vals("format", "xml"), "application/xml",
			`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<response><error>ok</error><result><BTC><balance>10000000</balance><balancef>0.10000000</balancef></BTC><LTC><balance>200000000</balance><balancef>2.00000000</balancef></LTC></result></response>`},
		{"json error", "nope", nil, "application/json", `{"error":"Unknown command: nope","result":[]}`},
		{"xml error", "nope", vals("format", "xml"), "application/xml",
			`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<response><error>Unknown command: nope</error><result></result></response>`},
		{"xml basic info escapes", "get_basic_info", vals("format", "xml"), "application/xml",
			`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<response><error>ok</error><result><email>env@example.com</email><merchant_id>` + a.MerchantID +
				`</merchant_id><public_name></public_name><username>env</username></result></response>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(tok2, k.PublicKey, tc.cmd, tc.extra)
			if r.status != 200 || r.header.Get("Content-Type") != tc.wantType || string(r.body) != tc.want {
				t.Fatalf("got %d %s\n%s\nwant\n%s", r.status, r.header.Get("Content-Type"), r.body, tc.want)
			}
		})
	}
	// rates in XML: arrays are repeated <item>, dotted tickers are valid names.
	r := e.call(tok, pub, "rates", vals("format", "xml"))
	for _, frag := range []string{"<USDT.ERC20>", "<capabilities><item>payments</item><item>wallet</item>", "<capabilities></capabilities>", "<is_fiat>1</is_fiat>"} {
		if !strings.Contains(string(r.body), frag) {
			t.Fatalf("rates xml lacks %q: %s", frag, r.body)
		}
	}
}

func TestXMLEncoder(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"scalar string", "61588", "61588"},
		{"escaping", map[string]any{"a": `<&>"`}, `<a>&lt;&amp;&gt;&#34;</a>`},
		{"invalid names", map[string]any{"1abc": 1, "a b": "x", "xmlns": 2, "ok_1.2-3": int64(3)}, `<entry key="1abc">1</entry><entry key="a b">x</entry><ok_1.2-3>3</ok_1.2-3><entry key="xmlns">2</entry>`},
		{"attr escaping", map[string]any{`k"<`: "v"}, `<entry key="k&#34;&lt;">v</entry>`},
		{"arrays", []any{"a", map[string]any{"b": []any{}}, nil}, `<item>a</item><item><b></b></item><item></item>`},
		{"number", json.Number("0.10000000"), "0.10000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(encodeEnvelopeXML("ok", tc.in))
			want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n<response><error>ok</error><result>" + tc.want + "</result></response>"
			if got != want {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestInfoCommands(t *testing.T) {
	e := newEnv(t, Config{})
	tok, pub := e.demo()

	info := e.ok(tok, pub, "get_basic_info", nil).(map[string]any)
	if info["username"] != "demo" || info["public_name"] != "Demo Store" || info["merchant_id"] != e.s.Demo().MerchantID || info["email"] != "demo@example.com" {
		t.Fatalf("basic info %v", info)
	}

	bal := e.ok(tok, pub, "balances", nil).(map[string]any)
	if len(bal) != 4 || bal["LTCT"].(map[string]any)["balance"] != float64(10_000_000_000) {
		t.Fatalf("balances %v", bal)
	}
	all := e.ok(tok, pub, "balances", vals("all", "1")).(map[string]any)
	if len(all) != 8 || all["DOGE"].(map[string]any)["balance"] != float64(0) || all["USD"] != nil {
		t.Fatalf("balances all=1 %v", all)
	}
	raw := e.call(tok, pub, "balances", vals("all", "1"))
	if !strings.Contains(string(raw.body), `"DOGE":{"balance":0,"balancef":0.00000000}`) || !strings.Contains(string(raw.body), `"BTC":{"balance":150000000,"balancef":1.50000000}`) {
		t.Fatalf("balancef not 8-decimal numbers: %s", raw.body)
	}

	t.Run("deposit address", func(t *testing.T) {
		a1 := e.ok(tok, pub, "get_deposit_address", vals("currency", "BTC")).(map[string]any)["address"].(string)
		a2 := e.ok(tok, pub, "get_deposit_address", vals("currency", "BTC")).(map[string]any)["address"].(string)
		l1 := e.ok(tok, pub, "get_deposit_address", vals("currency", "LTC")).(map[string]any)["address"].(string)
		if a1 == "" || a1 != a2 || l1 == a1 {
			t.Fatalf("addresses %q %q %q", a1, a2, l1)
		}
		for _, tc := range []struct{ cur, want string }{
			{"", "Missing required field: currency"},
			{"XYZ", "Unknown currency: XYZ"},
			{"USD", "USD is a fiat currency and has no wallet"},
		} {
			if got := e.apiErr(tok, pub, "get_deposit_address", vals("currency", tc.cur)); got != tc.want {
				t.Fatalf("%q: %s", tc.cur, got)
			}
		}
	})

	t.Run("rates", func(t *testing.T) {
		full := e.ok(tok, pub, "rates", nil).(map[string]any)
		if len(full) != 10 {
			t.Fatalf("rates has %d coins", len(full))
		}
		btc := full["BTC"].(map[string]any)
		want := map[string]any{"is_fiat": float64(0), "rate_btc": "1.00000000", "tx_fee": "0.00010000", "status": "online",
			"name": "Bitcoin", "confirms": "2", "can_convert": float64(1), "accepted": float64(1),
			"last_update": itoa(int(e.clock.Now().Unix()))}
		for k, v := range want {
			if btc[k] != v {
				t.Fatalf("BTC.%s = %v, want %v", k, btc[k], v)
			}
		}
		if _, ok := btc["capabilities"].([]any); !ok {
			t.Fatalf("capabilities %v", btc["capabilities"])
		}
		if usd := full["USD"].(map[string]any); usd["is_fiat"] != float64(1) || usd["rate_btc"] != "0.00001600" {
			t.Fatalf("USD %v", usd)
		}
		short := e.ok(tok, pub, "rates", vals("short", "1")).(map[string]any)["BTC"].(map[string]any)
		if short["name"] != nil || short["capabilities"] != nil || short["rate_btc"] != "1.00000000" {
			t.Fatalf("short %v", short)
		}
		acc := e.ok(tok, pub, "rates", vals("accepted", "1")).(map[string]any)
		if acc["TRX"] != nil || acc["USD"] != nil || acc["BTC"] == nil {
			t.Fatalf("accepted %v", acc)
		}
	})
}

func TestFaults(t *testing.T) {
	e := newEnv(t, Config{})
	tok, pub := e.demo()

	t.Run("delay", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultDelay, Delay: 150 * time.Millisecond})
		start := time.Now()
		e.ok(tok, pub, "balances", nil)
		if time.Since(start) < 150*time.Millisecond {
			t.Fatal("no delay")
		}
	})
	t.Run("status", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultStatus, Status: 503, Count: 2})
		for range 2 {
			r := e.call(tok, pub, "balances", nil)
			if r.status != 503 || !strings.Contains(r.json(t)["error"].(string), "503") {
				t.Fatalf("got %d %s", r.status, r.body)
			}
		}
		e.ok(tok, pub, "balances", nil)
	})
	t.Run("html", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultHTML})
		r := e.call(tok, pub, "balances", nil)
		if r.status != 502 || !strings.HasPrefix(string(r.body), "<html><head><title>502 Bad Gateway") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
	t.Run("reset", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultReset, Cmd: "get_basic_info"})
		e.ok(tok, pub, "balances", nil) // filtered out by cmd
		f := vals("version", "1", "key", pub, "cmd", "get_basic_info", "nonce", "100")
		if _, err := e.raw("POST", "/api", "application/x-www-form-urlencoded", f.Encode(), map[string]string{"Authorization": tok}); err == nil {
			t.Fatal("reset: no connection error")
		}
		// the command did not run: nonce 100 was not recorded
		e.ok(tok, pub, "get_basic_info", vals("nonce", "100"))
	})
	t.Run("commit_drop", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultCommitDrop, Key: pub})
		f := vals("version", "1", "key", pub, "cmd", "get_basic_info", "nonce", "200")
		if _, err := e.raw("POST", "/api", "application/x-www-form-urlencoded", f.Encode(), map[string]string{"Authorization": tok}); err == nil {
			t.Fatal("commit_drop: no connection error")
		}
		// the command ran: nonce 200 was recorded
		if got := e.apiErr(tok, pub, "get_basic_info", vals("nonce", "200")); got != "Invalid nonce: must be greater than 200" {
			t.Fatal(got)
		}
	})
	t.Run("commit_status", func(t *testing.T) {
		_ = e.s.InjectFault(Fault{Kind: FaultCommitStatus, Key: pub})
		r := e.call(tok, pub, "get_basic_info", vals("nonce", "220"))
		if r.status != 502 || !strings.Contains(string(r.body), "502") {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		// the command ran: nonce 220 was recorded
		if got := e.apiErr(tok, pub, "get_basic_info", vals("nonce", "220")); got != "Invalid nonce: must be greater than 220" {
			t.Fatal(got)
		}
	})
	t.Run("hold", func(t *testing.T) {
		// The client gives up after 50 ms; the sandbox carries the request out after 300 ms anyway.
		_ = e.s.InjectFault(Fault{Kind: FaultHold, Delay: 300 * time.Millisecond, Cmd: "get_basic_info"})
		f := vals("version", "1", "key", pub, "cmd", "get_basic_info", "nonce", "300")
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", e.ts.URL+"/api", strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", tok)
		if _, err := e.ts.Client().Do(req); err == nil {
			t.Fatal("hold: the client got an answer before its deadline")
		}
		// not carried out yet: nonce 300 is not recorded, a lower one still passes
		e.ok(tok, pub, "balances", vals("nonce", "250"))
		time.Sleep(400 * time.Millisecond)
		// carried out after the hold, though the client had gone: nonce 300 is now the mark
		if got := e.apiErr(tok, pub, "get_basic_info", vals("nonce", "300")); got != "Invalid nonce: must be greater than 300" {
			t.Fatal(got)
		}
	})
	t.Run("held, then reset or commit_drop", func(t *testing.T) {
		// With a delay the request is held first, whatever the client does; then the fault
		// acts: reset carries nothing out, commit_drop carries it out.
		for _, c := range []struct {
			kind    string
			nonce   string
			carried bool
		}{{FaultReset, "500", false}, {FaultCommitDrop, "510", true}} {
			_ = e.s.InjectFault(Fault{Kind: c.kind, Delay: 200 * time.Millisecond, Cmd: "get_basic_info"})
			f := vals("version", "1", "key", pub, "cmd", "get_basic_info", "nonce", c.nonce)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			req, _ := http.NewRequestWithContext(ctx, "POST", e.ts.URL+"/api", strings.NewReader(f.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", tok)
			if _, err := e.ts.Client().Do(req); err == nil {
				t.Fatalf("%s: the client got an answer before its deadline", c.kind)
			}
			cancel()
			time.Sleep(300 * time.Millisecond)
			// carried out: its nonce is the mark, the same nonce is refused now
			r := e.call(tok, pub, "get_basic_info", vals("nonce", c.nonce))
			got, _ := r.json(t)["error"].(string)
			if want := "Invalid nonce: must be greater than " + c.nonce; (got == want) != c.carried {
				t.Fatalf("%s: carried out=%v, want %v (%s)", c.kind, got == want, c.carried, got)
			}
		}
	})
	t.Run("login fault and key filter", func(t *testing.T) {
		d := e.s.Demo()
		_ = e.s.InjectFault(Fault{Kind: FaultStatus, Status: 500, Key: "someone-else"})
		_ = e.s.InjectFault(Fault{Kind: FaultStatus, Status: 502, Cmd: "login"})
		r := e.form("/api/login", vals("cmd", "login", "publickey", d.PublicKey, "privatekey", d.PrivateKey), nil)
		if r.status != 502 {
			t.Fatalf("login fault: %d", r.status)
		}
		if pending := e.s.PendingFaults(); len(pending) != 1 || pending[0].Key != "someone-else" {
			t.Fatalf("pending %+v", pending)
		}
		e.s.ClearFaults()
	})
	t.Run("invalid", func(t *testing.T) {
		for _, f := range []Fault{{Kind: "boom"}, {Kind: FaultDelay}, {Kind: FaultStatus, Status: 200}, {Kind: FaultHTML, Cmd: "nope"}, {Kind: FaultHTML, Count: -1}, {Kind: FaultReset, Delay: -time.Second}} {
			if err := e.s.InjectFault(f); !errors.Is(err, ErrInvalid) {
				t.Fatalf("%+v: %v", f, err)
			}
		}
	})
	if st := e.s.Stats(pub); st.Faults != 11 {
		t.Fatalf("faults counted %d: %+v", st.Faults, st)
	}
}

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

func TestAmounts(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"0.1", 10_000_000, false},
		{"12.5", 1_250_000_000, false},
		{"3", 300_000_000, false},
		{"0.00000001", 1, false},
		{"007.10", 710_000_000, false},
		{"92233720368.54775807", 9_223_372_036_854_775_807, false},
		{"92233720368.54775808", 0, true},
		{"0.000000001", 0, true},
		{"-1", 0, true},
		{"1e8", 0, true},
		{".5", 0, true},
		{"5.", 0, true},
		{"", 0, true},
		{"1,5", 0, true},
		{"999999999999", 0, true},
	}
	for _, tc := range tests {
		got, err := parseUnits(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseUnits(%q) = %d, %v", tc.in, got, err)
		}
		if err == nil && tc.in != "007.10" {
			back, _ := parseUnits(formatUnits(got))
			if back != got {
				t.Errorf("round trip %q", tc.in)
			}
		}
	}
	if formatUnits(-150) != "-0.00000150" || formatUnits(0) != "0.00000000" {
		t.Error("formatUnits negative/zero")
	}
	for _, tc := range []struct {
		amt, from, to int64
		up            bool
		want          int64
	}{
		{100 * unitsPerCoin, 1600, 100_000_000, true, 160_000}, // 100 USD -> 0.0016 BTC
		{1 * unitsPerCoin, 1750, 125_000, false, 1_400_000},    // 1 EUR -> 0.014 LTC
		{1, 1600, 100_000_000, true, 1},                        // rounds up
		{1, 1600, 100_000_000, false, 0},                       // rounds down
	} {
		got, err := convertUnits(tc.amt, tc.from, tc.to, tc.up)
		if err != nil || got != tc.want {
			t.Errorf("convertUnits(%+v) = %d, %v", tc, got, err)
		}
	}
}

func FuzzParseUnits(f *testing.F) {
	for _, s := range []string{"0.1", "12.5", "1e3", "00.00000001", "92233720368.54775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseUnits(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("negative %d from %q", n, s)
		}
		if back, err := parseUnits(formatUnits(n)); err != nil || back != n {
			t.Fatalf("round trip %q -> %d -> %v %v", s, n, back, err)
		}
	})
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
