package xmlwire

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
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
		{"references, CDATA, comments, CRLF", "<!DOCTYPE response [<!-- x -->]>\r\n<response>\r\n<!-- c --><error>o&#107;</error>" +
			"<result><a>&#x41;&apos;&quot;&#10;<![CDATA[<&]]>\r\nz</a><b k='v' key=\"&#34;q&#34;\"/></result></response>\r\n",
			`{"error":"ok","result":{"a":"A'\"\n<&\nz","b":""}}`},
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
			if d := sameAsReference([]byte(tt.xml)); d != "" {
				t.Fatal(d)
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

// corpus holds documents, well-formed or not, that ToJSON must read exactly as encoding/xml
// does: the same JSON, or the same error, word for word.
var corpus = []string{
	``, ` `, `x`, `<`, `<>`, `< a>`, `<a`, `<a>`, `<a/>`, `<a></a>`, `<a></b>`, `</a>`, `<a></a></a>`, `<a><b></a>`,
	`<response/>`, `<response></response>`, `<response>x</response>`, "\n\n<response>\n<a>1</a>\n</respons>",
	`<response></response> x`, `x <response/>`, `<response/><response/>`, `<response/><!-- after --><?pi x?>`,
	`<html><body>502 Bad Gateway</body></html>`, "<!DOCTYPE html>\n<html><head></head><body><br></body></html>",
	`<response><error>&nbsp;</error></response>`, `<response><error>&amp</error></response>`, `<response>& x</response>`,
	`<response>&</response>`, `<response>&#</response>`, `<response>&#;</response>`, `<response>&#x;</response>`,
	`<response>&#12a;</response>`, `<response>&#1114111;</response>`, `<response>&#1114112;</response>`,
	`<response>&#xD800;</response>`, `<response>&#0;</response>`, `<response>&#1;</response>`, `<response>&#9;&#xA;&#13;</response>`,
	`<response>&1;</response>`, `<response>&lt</response>`, `<response>&lt;&gt;&amp;&apos;&quot;</response>`, `<response>]]></response>`,
	`<response>]]</response>`, `<response>] ]></response>`, "<response>\x01</response>", "<response>\xff</response>",
	"<response>\xef\xbf\xbe</response>", "<response>caf\xc3\xa9</response>", `<response a></response>`, `<response a=1></response>`,
	`<response a="1></response>`, `<response a="<"></response>`, `<response a="]]>"></response>`, `<response a="&lt;"/>`,
	`<response a="1"b="2"/>`, `<response a = "1" / >`, `<response/ >`, `<response a="1" a="2"/>`, `<1response/>`,
	`<-response/>`, `<.a/>`, `<_a/>`, `<:a/>`, `<a:/>`, `<a:b/>`, `<a:b:c/>`, `<a:b></a:b>`, `<a:b></b>`, `<a:b></c:b>`,
	`<b></a:b>`, `<response x:key="k"/>`, `<response xmlns="u" xmlns:p="v"><p:a></p:a></response>`,
	`<?xml version="1.0" encoding="UTF-8"?><response/>`, `<?xml version="1.1"?><response/>`, `<?xml version='1.0'?><response/>`,
	`<?xml encoding="ISO-8859-1"?><response/>`, `<?xml encoding="utf-8"?><response/>`, `<?xml encoding="Utf-8"?><response/>`,
	`<?xml version=1.1 version="2"?><response/>`, `<?xml version="1.0?><response/>`, `<?xml?><response/>`, `<?xml`, `<?`, `<??>`,
	`<?1?>`, `<? x?>`, `<?x ?><response/>`, `<?x>?>`, `<!`, `<!-`, `<!-x`, `<!--`, `<!-- a -- b --><response/>`, `<!---->`,
	`<!-- a --->`, `<!-->-->`, `<![CDATA[x]]>`, `<response><![CDATA[a]]b]]]></response>`, `<response><![CDATA[x`,
	`<response><![CDAT[x]]></response>`, `<response><![`, `<!DOCTYPE>`, `<!DOCTYPE response>`, `<!DOCTYPE x [<!ENTITY a "b">]><response/>`,
	`<!DOCTYPE x '>'><response/>`, `<!'>`, `<!>`, `<!>>`, `<!x<>>`, `<!x<!-- > -->><response/>`, `<!x<!-- > --`, `<!x<!`,
	`<!x<!-`, `<!x<!-a>>`, `<!x<<>>>`, `<!x"`, "<response>a\r\nb\rc\n\rd</response>", "<response a='x\r\ny'>z</response>",
	"<response>\n<a>\n<b>\n&bad;</b></a></response>", "<response>\n\n<a\n>\n</b>", "<response><a key=\"k\">1</a><entry key=\"e\">2</entry><entry>3</entry></response>",
	`<response><a>1</a><a>2</a><item>3</item></response>`, `<response><item>1</item><item><x/></item></response>`,
	"<response>\u00e9<\u00e9l\u00e9ment/></response>", "<\xff/>", "<a\xffb/>", `<response><a>1</a>x<b/></response>`,
	strings.Repeat("<a>", 65) + strings.Repeat("</a>", 65), `<response>` + strings.Repeat("<a>", 63) + strings.Repeat("</a>", 63) + `</response>`,
}

func TestSameAsEncodingXML(t *testing.T) {
	for _, in := range corpus {
		if d := sameAsReference([]byte(in)); d != "" {
			t.Errorf("%q: %s", in, d)
		}
	}
}

// TestSameAsEncodingXMLRandom puts together documents from pieces that matter to the reader,
// most of them almost well-formed.
func TestSameAsEncodingXMLRandom(t *testing.T) {
	pieces := []string{"<response>", "</response>", "<result>", "</result>", "<a>", "</a>", "<b/>", "<item>", "</item>",
		`<entry key="k &amp; v">`, "</entry>", "<a:b>", "</a:b>", "<c x='1' y=\"2\">", "</c>", "text", " ", "\n", "\r\n", "\r",
		"&amp;", "&lt;", "&#65;", "&#x42;", "&#0;", "&bad;", "&", "]]>", "]]", "<![CDATA[", "]]>", "<!-- c -->", "--", "<?xml version=\"1.0\"?>",
		"<?pi data?>", "<!DOCTYPE x [ <!ENTITY e 'v'> ]>", "<", ">", "/", "=", "\"", "'", "\xff", "\x01", "\u00e9", "<1>", "< a>", "</ a>", "<a b>", "<a/ >"}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 40000; i++ {
		var b strings.Builder
		for n := r.IntN(12); n >= 0; n-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		in := b.String()
		if r.IntN(2) == 0 {
			in = "<response>" + in + "</response>"
		}
		if d := sameAsReference([]byte(in)); d != "" {
			t.Fatalf("%q: %s", in, d)
		}
	}
}

func FuzzSameAsEncodingXML(f *testing.F) {
	for _, in := range corpus {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if d := sameAsReference(b); d != "" {
			t.Fatalf("%q: %s", b, d)
		}
		if out, err := ToJSON(b); err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON %q from %q", out, b)
		}
	})
}
