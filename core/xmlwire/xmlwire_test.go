package xmlwire

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestToJSON(t *testing.T) {
	tests := []struct{ name, xml, json string }{
		{"balances",
			`<?xml version="1.0" encoding="UTF-8"?>
<response><error>ok</error><result><BTC><balance>10000000</balance><balancef>0.10000000</balancef></BTC></result></response>`,
			`{"error":"ok","result":{"BTC":{"balance":"10000000","balancef":"0.10000000"}}}`},
		{"array", `<response><error>ok</error><result><item>a</item><item>b</item></result></response>`,
			`{"error":"ok","result":["a","b"]}`},
		{"entry key", `<response><error>ok</error><result><entry key="USDT ERC20"><x>1</x></entry><entry key="1abc">2</entry></result></response>`,
			`{"error":"ok","result":{"USDT ERC20":{"x":"1"},"1abc":"2"}}`},
		{"scalar and escapes", `<response><error>Bad &amp; &lt;worse&gt;</error><result>61588</result></response>`,
			`{"error":"Bad & <worse>","result":"61588"}`},
		{"empty", `<response><error>ok</error><result/></response>`, `{"error":"ok","result":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ToJSON([]byte(tt.xml))
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("invalid JSON %s: %v", got, err)
			}
			json.Unmarshal([]byte(tt.json), &w)
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("got %s\nwant %s", got, tt.json)
			}
		})
	}
}

func TestToJSONRejects(t *testing.T) {
	for _, in := range []string{"", "<html><body>502</body></html>", "<response><error>ok</error>", "not xml", "<response></response><response/>"} {
		if out, err := ToJSON([]byte(in)); err == nil {
			t.Errorf("ToJSON(%q) = %s, want error", in, out)
		}
	}
}

func FuzzToJSON(f *testing.F) {
	f.Add([]byte(`<response><error>ok</error><result><BTC><balance>1</balance></BTC></result></response>`))
	f.Add([]byte(`<response><error>x</error><result><item>1</item><entry key="a b">2</entry></result></response>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := ToJSON(b)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON %q from %q", out, b)
		}
	})
}
