package sandbox

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
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
