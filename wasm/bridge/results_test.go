//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/payout"
	"github.com/wallexkit/wallexkit/core/statement"
	"github.com/wallexkit/wallexkit/internal/jsonw"
)

// filler sets every exported field of a value, recursively, to a value picked by its random
// source: zero often (for omitempty and omitzero), otherwise something JSON has to escape or
// keep exact. A field added to a result type is set here without a change, so encoding/json
// writes it, and the hand-written encoder, which does not know it, fails the comparison.
type filler struct{ r *rand.Rand }

var (
	typeTime    = reflect.TypeFor[time.Time]()
	typeAmount  = reflect.TypeFor[core.Amount]()
	typeValue   = reflect.TypeFor[core.Value]()
	typeRawJSON = reflect.TypeFor[rawJSON]()
)

var sampleStrings = []string{"", "BTC", `say "hi" <b>&</b>`, "caf\u00e9 \u20ac \U0001F600", "line\nbreak\ttab\x01", "\u2028", "bad \xff utf8"}

func (f *filler) zero() bool { return f.r.IntN(3) == 0 }

func (f *filler) fill(v reflect.Value) {
	switch v.Type() {
	case typeTime:
		if !f.zero() {
			ts := time.Date(2026, 11, 27, 13, 5, 9, f.r.IntN(2)*123456789, time.UTC)
			if f.r.IntN(2) == 0 {
				ts = ts.In(time.FixedZone("", -5*3600))
			}
			v.Set(reflect.ValueOf(ts))
		}
		return
	case typeAmount:
		if !f.zero() {
			v.Set(reflect.ValueOf(core.AmountFromUnits([]int64{1, 12345678901, -250000000}[f.r.IntN(3)])))
		}
		return
	case typeValue:
		return // json:"-"
	case typeRawJSON:
		if !f.zero() {
			v.SetString(`{"invoice":"I-1","item_name":"Mug","n":[1,2.5,null]}`)
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(sampleStrings[f.r.IntN(len(sampleStrings))])
	case reflect.Bool:
		v.SetBool(f.r.IntN(2) == 0)
	case reflect.Int, reflect.Int64, reflect.Int32:
		if !f.zero() {
			v.SetInt([]int64{1, -1, 100, 1 << 40}[f.r.IntN(4)])
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if sf := v.Type().Field(i); sf.IsExported() && sf.Tag.Get("json") != "-" {
				f.fill(v.Field(i))
			}
		}
	case reflect.Pointer:
		if !f.zero() {
			v.Set(reflect.New(v.Type().Elem()))
			f.fill(v.Elem())
		}
	case reflect.Slice:
		switch f.r.IntN(3) {
		case 0: // nil
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			f.fill(v.Index(0))
			f.fill(v.Index(1))
		}
	case reflect.Map:
		switch f.r.IntN(3) {
		case 0: // nil
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			v.Set(reflect.MakeMap(v.Type()))
			for _, k := range []string{"b", "a<", ""} {
				e := reflect.New(v.Type().Elem()).Elem()
				f.fill(e)
				v.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
			}
		}
	case reflect.Interface:
		// error fields are json:"-"
	default:
		panic("filler: no rule for " + v.Type().String())
	}
}

// filled returns a T with every field filled from seed.
func filled[T any](seed uint64) T {
	var x T
	(&filler{rand.New(rand.NewPCG(seed, 7))}).fill(reflect.ValueOf(&x).Elem())
	return x
}

// resultSamples returns values of every type the bridge resolves with, filled from seed.
func resultSamples(seed uint64) []any {
	return []any{
		filled[configured](seed),
		filled[map[string]string](seed),
		filled[[]string](seed),
		[]any{filled[fiatView](seed), map[string]string{"error": "not an object {coin, amount}"}},
		ptr(filled[core.BasicInfo](seed)),
		ptr(filled[core.Balances](seed)),
		ptr(filled[core.DepositAddress](seed)),
		ptr(filled[core.CallbackAddress](seed)),
		ptr(filled[core.Rates](seed)),
		transactionView{Transaction: ptr(filled[core.Transaction](seed)), Timeout: filled[int64](seed)},
		txInfoView{TxInfo: ptr(filled[core.TxInfo](seed)), Checkout: filled[rawJSON](seed)},
		withTxInfo(filled[map[string]txInfoItem](seed)),
		ptr(filled[core.Transfer](seed)),
		ptr(filled[core.Withdrawal](seed)),
		filled[[]massItem](seed),
		ptr(filled[core.Conversion](seed)),
		ptr(filled[core.WithdrawalInfo](seed)),
		filled[[]core.WithdrawalInfo](seed),
		filled[reconcileView](seed),
		filled[[]core.Op](seed),
		payoutFileView{ptr(filled[payout.File](seed))},
		filled[runView](seed),
		filled[statementView](seed),
		filled[checkResult](seed),
		filled[core.WithdrawalSplit](seed),
		filled[fiatView](seed),
		filled[ipnView](seed),
	}
}

func ptr[T any](v T) *T { return &v }

// withTxInfo gives every item's info a TxInfo (a txInfoView without one is not a result).
func withTxInfo(m map[string]txInfoItem) map[string]txInfoItem {
	for k, it := range m {
		if it.Info != nil && it.Info.TxInfo == nil {
			it.Info.TxInfo = &core.TxInfo{}
			m[k] = it
		}
	}
	return m
}

func TestResultsAsEncodingJSON(t *testing.T) {
	for seed := uint64(0); seed < 60; seed++ {
		for _, v := range resultSamples(seed) {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%T: %v", v, err)
			}
			got, err := encodeResult(v)
			if err != nil {
				t.Fatalf("%T: %v", v, err)
			}
			if string(got) != string(want) {
				t.Fatalf("seed %d, %T:\n got %s\nwant %s", seed, v, got, want)
			}
		}
	}
}

// TestCheckoutAsAnswered: a payment's checkout details go to JS as the API sent them, where
// json.Marshal compacts them and escapes <, > and &: JSON.parse reads the same object.
func TestCheckoutAsAnswered(t *testing.T) {
	v := txInfoView{TxInfo: &core.TxInfo{TxnID: "T"}, Checkout: rawJSON("{ \"item_name\": \"Mug <blue> & co\",\n  \"n\": [1, 2.5] }")}
	want, _ := json.Marshal(v)
	got, err := encodeResult(v)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	json.Unmarshal(want, &w)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestKeysExact: keys are matched exactly (json.Unmarshal would also take "Id" for "id"); every
// record read back was written with its exact keys.
func TestKeysExact(t *testing.T) {
	if op, err := decodeOp(`{"Id":"a","id":"b"}`); err != nil || op.ID != "b" {
		t.Fatalf("got %+v, %v", op, err)
	}
}

func TestResultTimeOutOfRange(t *testing.T) {
	v := &core.WithdrawalInfo{TimeCreated: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)}
	_, jerr := json.Marshal(v)
	_, err := encodeResult(v)
	if err == nil || jerr == nil || err.Error() != "internal error: cannot encode the result: "+jerr.Error() {
		t.Fatalf("error %v; encoding/json's %v", err, jerr)
	}
	if _, err := encodeResult(struct{}{}); !errors.Is(err, errNoEncoder) {
		t.Fatalf("an unknown type: %v", err)
	}
}

func TestStoredFormsAsEncodingJSON(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		op, e := filled[core.Op](seed), filled[payout.Entry](seed)
		for _, c := range []struct {
			v     any
			write func(*jsonw.Writer)
		}{
			{op, func(w *jsonw.Writer) { writeOp(w, &op) }},
			{e, func(w *jsonw.Writer) { writeEntry(w, &e) }},
		} {
			want, _ := json.Marshal(c.v)
			var w jsonw.Writer
			c.write(&w)
			if got, _ := w.Bytes(); string(got) != string(want) {
				t.Fatalf("seed %d, %T:\n got %s\nwant %s", seed, c.v, got, want)
			}
		}
	}
}

// sameDecoding checks that decode reads text as json.Unmarshal reads it into a T: both refuse
// it, or both give the same value.
func sameDecoding[T any](t *testing.T, text string, decode func(string) (T, error)) {
	t.Helper()
	var want T
	jerr := json.Unmarshal([]byte(text), &want)
	got, err := decode(text)
	if (err != nil) != (jerr != nil) {
		t.Fatalf("%T from %s: error %v, json.Unmarshal's %v", want, text, err, jerr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%T from %s:\n got %#v\nwant %#v", want, text, got, want)
	}
}

func decodeDetailsValue(text string) (map[string]*statement.Details, error) {
	var m map[string]*statement.Details
	err := decodeDetails(text, &m)
	return m, err
}

func TestDecodersAsEncodingJSON(t *testing.T) {
	// What the bridge wrote, and what JS hands back after JSON.stringify: read back the same.
	for seed := uint64(0); seed < 200; seed++ {
		b, _ := json.Marshal(filled[core.Op](seed))
		sameDecoding(t, string(b), decodeOp)
		b, _ = json.Marshal(filled[payout.Entry](seed))
		sameDecoding(t, string(b), decodeEntry)
		b, _ = json.Marshal(filled[core.Rates](seed))
		sameDecoding(t, string(b), decodeRates)
		b, _ = json.Marshal(filled[map[string]*statement.Details](seed))
		sameDecoding(t, string(b), decodeDetailsValue)
	}
	// Damaged or foreign texts: refused when json.Unmarshal refuses them, else read the same.
	texts := []string{``, ` `, `null`, `{}`, `[]`, `"x"`, `1`, `true`, `{"id":1}`, `{"id":null}`, `{"id":"a","id":"b"}`,
		`{"id":"a",}`, `{"id":"a"} x`, `{"ref":{"a":1}}`, `{"ref":[]}`, `{"ref":null}`, `{"ref":{"a":"1"},"ref":{"b":"2"}}`,
		`{"nonce":1.5}`, `{"nonce":"1"}`, `{"nonce":1e3}`, `{"nonce":-0}`, `{"nonce":9223372036854775808}`,
		`{"nonce":-9223372036854775808}`, `{"sent_at":"2026-11-27T13:05:09.5+01:00"}`, `{"sent_at":"2026-11-27"}`,
		`{"sent_at":1}`, `{"sent_at":null}`, `{"state":"done","unknown":{"deep":[1,{"x":null}]}}`,
		`{"line":3,"state":"sending","batch":"op_1","reconciled":"yes"}`, `{"scanned":null,"rows":2}`, `{"v":2.0}`,
		`{"coins":null}`, `{"coins":{}}`, `{"coins":[null,{"coin":"BTC","capabilities":null}]}`, `{"coins":[{"confirms":"3"}]}`,
		`{"coins":[{"capabilities":["a",null,"b"],"rate_btc":"0.1","last_update":"2026-01-02T03:04:05Z"}]}`,
		`{"coins":[{"capabilities":[1]}]}`, `{"coins":[1]}`, `{"coins":[],"coins":[{"coin":"LTC"}]}`,
		`{"t1":null,"t2":{"price":"12.50","price_currency":"USD"}}`, `{"t":{"price":null}}`, `{"t":{"price":12.5}}`,
		`{"t":{"price":"x"}}`, `{"t":5}`, `{"t":{"invoice":"\u00e9\ud83d\ude00\\"}}`, `{"t":{"invoice":"\ud800"}}`,
		"{\"t\":{\"invoice\":\"\xff\"}}", `{"a":"\u0000"}`}
	for _, s := range texts {
		sameDecoding(t, s, decodeOp)
		sameDecoding(t, s, decodeEntry)
		sameDecoding(t, s, decodeRates)
		sameDecoding(t, s, decodeDetailsValue)
	}
}

// TestDecodersRandomTexts feeds objects made of the types' own keys with values of random JSON
// types to both readers.
func TestDecodersRandomTexts(t *testing.T) {
	keys := []string{"id", "cmd", "ref", "nonce", "sent_at", "deadline", "state", "result", "results", "until", "error", "settled",
		"v", "file", "sha256", "rows", "line", "batch", "reconciled", "scanned", "at", "coins", "coin", "is_fiat",
		"rate_btc", "last_update", "confirms", "capabilities", "invoice", "price", "other"}
	values := []string{`null`, `true`, `false`, `0`, `-7`, `1.5`, `12345678901234567890`, `"s"`, `""`, `"12.5"`,
		`"2026-11-27T13:05:09Z"`, `[]`, `["a"]`, `{}`, `{"a":"b"}`, `[{"coin":"BTC"}]`}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		var b strings.Builder
		b.WriteByte('{')
		for j, n := 0, r.IntN(5); j < n; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + keys[r.IntN(len(keys))] + `":` + values[r.IntN(len(values))])
		}
		b.WriteByte('}')
		s := b.String()
		sameDecoding(t, s, decodeOp)
		sameDecoding(t, s, decodeEntry)
		sameDecoding(t, s, decodeRates)
		sameDecoding(t, `{"x":`+s+`}`, decodeDetailsValue)
		sameDecoding(t, `{"coins":[`+s+`]}`, decodeRates)
	}
}
