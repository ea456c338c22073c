//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/statement"
)

// statementView is a statement for JS: times as Unix milliseconds, the CSV with it.
type statementView struct {
	FromMs  int64                         `json:"fromMs"`
	ToMs    int64                         `json:"toMs"`
	Rows    []rowView                     `json:"rows"`
	Totals  []statement.Total             `json:"totals"`
	Prices  []statement.PriceTotal        `json:"prices"`
	CSV     string                        `json:"csv"`
	Details map[string]*statement.Details `json:"details"`
}

type rowView struct {
	statement.Row
	TimeMs int64 `json:"timeMs"`
}

// statement({fromMs, toMs, payments?, payouts?, details?}): core/statement.Build, so the
// console's statement is the CLI's. details (from an earlier answer) spares a get_tx_info call
// per payment already known.
func statementOf(c *core.Client, args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	p := statement.Params{From: o.msTime("fromMs"), To: o.msTime("toMs"), Payments: o.flag("payments"), Payouts: o.flag("payouts")}
	if v, ok := o.get("details"); ok && v.Type() == js.TypeObject {
		if err := decodeDetails(jsJSON.Call("stringify", v).String(), &p.Details); err != nil {
			o.fail("details", "must be the details object of an earlier statement")
		}
	}
	if o.err != nil {
		return nil, o.err
	}
	st, err := statement.Build(ctx(), c, p)
	if err != nil {
		return nil, err
	}
	out := statementView{FromMs: st.From.UnixMilli(), ToMs: st.To.UnixMilli(), Totals: st.Totals, Prices: st.Prices,
		CSV: string(st.CSV()), Details: st.Details, Rows: make([]rowView, len(st.Rows))}
	for i, r := range st.Rows {
		out.Rows[i] = rowView{Row: r, TimeMs: r.Time.UnixMilli()}
	}
	if out.Totals == nil {
		out.Totals = []statement.Total{}
	}
	if out.Prices == nil {
		out.Prices = []statement.PriceTotal{}
	}
	return out, nil
}

// ratesArg reads the rates answer (the object rates() resolved with) given back by JS.
func ratesArg(o *opts) *core.Rates {
	v, ok := o.get("rates")
	if !ok || v.Type() != js.TypeObject {
		o.fail("rates", "are required: pass the object rates() resolved with")
		return nil
	}
	r, err := decodeRates(jsJSON.Call("stringify", v).String())
	if err != nil || len(r.Coins) == 0 {
		o.fail("rates", "must be the object rates() resolved with ({coins: [...]})")
		return nil
	}
	return &r
}

type fiatView struct {
	Value       core.Decimal `json:"value"`
	Fiat        string       `json:"fiat"`
	Approximate bool         `json:"approximate"`
}

// fiatValue({coin, amount, fiat, rates}) → {value, fiat, approximate: true}: core's exact
// conversion (amount × rate ÷ rate, rounded half up to cents). Pure: no network.
func fiatValue(args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	coin, amount, fiat := o.text("coin"), o.amount("amount"), o.text("fiat")
	r := ratesArg(o)
	if o.err != nil {
		return nil, o.err
	}
	a, err := core.ParseAmount(amount)
	if err != nil {
		return nil, err
	}
	v, err := r.FiatValue(coin, a, fiat)
	if err != nil {
		return nil, err
	}
	return fiatView{Value: v, Fiat: fiat, Approximate: true}, nil
}

// fiatValues({items: [{coin, amount}], fiat, rates}) → [{value, fiat, approximate} | {error}],
// one per item, for a list of balances in one crossing.
func fiatValues(args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	fiat := o.text("fiat")
	r := ratesArg(o)
	items, ok := o.get("items")
	if ok && !items.InstanceOf(js.Global().Get("Array")) || !ok {
		o.fail("items", "must be an array of {coin, amount}")
	}
	if o.err != nil {
		return nil, o.err
	}
	out := make([]any, items.Length())
	for i := range out {
		it := items.Index(i)
		if it.Type() != js.TypeObject {
			out[i] = map[string]string{"error": "not an object {coin, amount}"}
			continue
		}
		a, err := core.ParseAmount(jsText(it.Get("amount")))
		var v core.Decimal
		if err == nil {
			v, err = r.FiatValue(jsText(it.Get("coin")), a, fiat)
		}
		if err != nil {
			out[i] = map[string]string{"error": err.Error()}
			continue
		}
		out[i] = fiatView{Value: v, Fiat: fiat, Approximate: true}
	}
	return out, nil
}

// fiatTotal({items, fiat, rates}) → {value, fiat, approximate}: the sum of the values fiatValues
// gives (each rounded to cents: the total is what that column adds up to). Items with no value
// (a coin not in the rates: fiatValues' {error}) are left out of it: say so where it is shown.
func fiatTotal(args []js.Value) (any, error) {
	vs, err := fiatValues(args)
	if err != nil {
		return nil, err
	}
	var values []core.Decimal
	for _, v := range vs.([]any) {
		if f, ok := v.(fiatView); ok {
			values = append(values, f.Value)
		}
	}
	sum, err := core.FiatSum(values...)
	if err != nil {
		return nil, err
	}
	return fiatView{sum, args[0].Get("fiat").String(), true}, nil
}

func jsText(v js.Value) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// paymentUri({coin, address, amount}) → {uri, kind, note}: what a payment QR code carries
// (core.PaymentURI): BIP-21 with the amount, an EIP-681 link for ETH, or the address alone.
func paymentURI(args []js.Value) (any, error) {
	o := optsArg(args, 0, "options")
	coin, addr, amount := o.text("coin"), o.text("address"), o.amount("amount")
	if o.err != nil {
		return nil, o.err
	}
	a, err := core.ParseAmount(amount)
	if err != nil {
		return nil, err
	}
	uri, kind, err := core.PaymentURI(coin, addr, a)
	if err != nil {
		return nil, err
	}
	note := "The code carries the address and the amount: the buyer's wallet fills both in."
	if kind == core.URIAddress {
		note = "The code carries the address only (" + coin + " has no payment link with an amount here): the buyer types the amount."
	}
	return map[string]string{"uri": uri, "kind": kind, "note": note}, nil
}
