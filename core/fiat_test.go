package core_test

import (
	"testing"

	"github.com/wallexkit/wallexkit/core"
)

func TestFiatValue(t *testing.T) {
	rates := &core.Rates{Coins: []core.Rate{
		{Coin: "BTC", RateBTC: "1.00000000"},
		{Coin: "LTC", RateBTC: "0.00125000"},
		{Coin: "USD", RateBTC: "0.00001600", IsFiat: true}, // 1 BTC = 62,500 USD
		{Coin: "EUR", RateBTC: "0.0000175", IsFiat: true},
		{Coin: "IDR", RateBTC: "0.000000000987654321", IsFiat: true},
		{Coin: "ZERO", RateBTC: "0"},
		{Coin: "BAD", RateBTC: "1e-5"},
	}}
	for _, c := range []struct{ coin, amount, fiat, want string }{
		{"BTC", "1", "USD", "62500.00"},
		{"BTC", "0.00000001", "USD", "0.00"},  // 0.000625 USD
		{"BTC", "0.00000008", "USD", "0.01"},  // 0.005 USD: half up
		{"BTC", "0.00000007", "USD", "0.00"},  // 0.004375
		{"LTC", "0.16", "USD", "12.50"},       // the sandbox's 12.50 USD payment
		{"LTC", "-0.16", "USD", "-12.50"},     // a negative amount keeps its sign
		{"BTC", "1", "EUR", "57142.86"},       // 57142.857…
		{"BTC", "0.5", "IDR", "506249999.99"}, // 0.5/0.000000000987654321 = 506249999.9936…
		{"BTC", "21000000", "USD", "1312500000000.00"},
		{"USD", "1", "USD", "1.00"},
	} {
		got, err := rates.FiatValue(c.coin, core.MustParseAmount(c.amount), c.fiat)
		if err != nil || string(got) != c.want {
			t.Errorf("%s %s in %s = %q, %v; want %s", c.amount, c.coin, c.fiat, got, err, c.want)
		}
	}
	for _, c := range []struct{ coin, amount, fiat string }{{"XYZ", "1", "USD"}, {"BTC", "1", "XYZ"}, {"BTC", "1", "ZERO"}, {"BAD", "1", "USD"}, {"BTC", "92233720368.54775807", "USD"}} {
		if _, err := rates.FiatValue(c.coin, core.MustParseAmount(c.amount), c.fiat); core.CodeOf(err) != core.CodeInvalidInput {
			t.Errorf("%s→%s: err = %v", c.coin, c.fiat, err)
		}
	}
}

// A total of fiat values is the sum of the cents shown, written as they are.
func TestFiatSum(t *testing.T) {
	for _, c := range []struct {
		in   []core.Decimal
		want core.Decimal
	}{
		{nil, "0.00"},
		{[]core.Decimal{"93750.00", "7500.00", "1953.13", "7812.50"}, "111015.63"},
		{[]core.Decimal{"0.07", "-0.10"}, "-0.03"},
	} {
		if got, err := core.FiatSum(c.in...); err != nil || got != c.want {
			t.Errorf("FiatSum(%v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := core.FiatSum("12.50", "x"); err == nil {
		t.Error("a value that is not a decimal: no error")
	}
}
