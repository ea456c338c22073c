package core

import (
	"math/bits"
	"strconv"
	"strings"
)

// FiatPlaces is the number of decimals of a fiat value: cents.
const FiatPlaces = 2

// FiatValue is what amount of coin is worth in fiat (any currency the rates list, usually a
// fiat one such as USD) at these rates: amount × rate_btc(coin) ÷ rate_btc(fiat), computed
// exactly on integers and rounded half up to cents. It is an approximation of a market price
// at the time of the rates, never an amount to charge: show it marked as approximate.
func (r *Rates) FiatValue(coin string, amount Amount, fiat string) (Decimal, error) {
	if r == nil {
		return "", &ValidationError{Field: "rates", Problem: "are required: call rates first"}
	}
	rc, ok := r.Get(coin)
	if !ok {
		return "", &ValidationError{Field: "coin", Value: coin, Problem: strconvQuote(coin) + " is not in the rates: give a coin the rates list, e.g. BTC"}
	}
	rf, ok := r.Get(fiat)
	if !ok {
		return "", &ValidationError{Field: "fiat", Value: fiat, Problem: strconvQuote(fiat) + " is not in the rates: give a currency the rates list, e.g. USD"}
	}
	c, err := rateUnits(rc.RateBTC)
	if err != nil {
		return "", &ValidationError{Field: "rate of " + coin, Value: string(rc.RateBTC), Problem: err.Error()}
	}
	f, err := rateUnits(rf.RateBTC)
	if err != nil || f == 0 {
		if err == nil {
			err = fiatProblem("is zero")
		}
		return "", &ValidationError{Field: "rate of " + fiat, Value: string(rf.RateBTC), Problem: err.Error()}
	}
	neg := amount.units < 0
	a := uint64(amount.units)
	if neg {
		a = uint64(-amount.units)
	}
	// value in units of 10^-(FiatPlaces+1) = a·1e-8 · c·1e-18 / (f·1e-18) · 10^(FiatPlaces+1)
	//   = a · c · 10^(FiatPlaces+1) / f / 1e8; one extra digit for rounding half up.
	hi, lo := bits.Mul64(a, c)
	hi, lo, ok = mul128(hi, lo, pow10(FiatPlaces+1))
	if !ok {
		return "", &ValidationError{Field: "amount", Value: amount.Text(), Problem: "is too large to convert"}
	}
	hi, lo = div128(hi, lo, f)
	hi, lo = div128(hi, lo, unitsPerCoin)
	if hi != 0 || lo > 1<<62 {
		return "", &ValidationError{Field: "amount", Value: amount.Text(), Problem: "is too large to convert"}
	}
	return fiatDecimal((lo+5)/10, neg), nil
}

// FiatSum adds fiat values (FiatValue's, in cents): a total is then what its column adds up to,
// cent for cent.
func FiatSum(values ...Decimal) (Decimal, error) {
	var sum Amount
	for _, v := range values {
		a, err := v.Amount()
		if err == nil {
			sum, err = sum.Add(a)
		}
		if err != nil {
			return "", &ValidationError{Field: "value", Value: clip(string(v), 32), Problem: "is not a fiat value such as \"12.50\", or the sum is too large"}
		}
	}
	cents := sum.units / (unitsPerCoin / int64(pow10(FiatPlaces)))
	if cents < 0 {
		return fiatDecimal(uint64(-cents), true), nil
	}
	return fiatDecimal(uint64(cents), false), nil
}

// fiatDecimal writes cents as a fiat value ("12.50", "-0.07").
func fiatDecimal(cents uint64, neg bool) Decimal {
	s := strconv.FormatUint(cents/pow10(FiatPlaces), 10) + "." + pad(strconv.FormatUint(cents%pow10(FiatPlaces), 10), FiatPlaces)
	if neg && cents != 0 {
		s = "-" + s
	}
	return Decimal(s)
}

func strconvQuote(s string) string { return strconv.Quote(clip(s, 32)) }

type fiatProblem string

func (e fiatProblem) Error() string { return string(e) }

// rateUnits reads a rate_btc as an integer count of 1e-18 BTC.
func rateUnits(d Decimal) (uint64, error) {
	s := strings.TrimSpace(string(d))
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || strings.TrimLeft(whole+frac, "0123456789") != "" {
		return 0, fiatProblem("is not a decimal number")
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > 18 {
		frac = frac[:18] // below 1e-18 BTC: nothing a fiat cent can show
	}
	w, err := strconv.ParseUint("0"+whole, 10, 64)
	if err != nil || w > 18 {
		return 0, fiatProblem("is too large")
	}
	fr, _ := strconv.ParseUint("0"+frac+strings.Repeat("0", 18-len(frac)), 10, 64)
	return w*pow10(18) + fr, nil
}

func pow10(n int) uint64 {
	p := uint64(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

func pad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}

// mul128 multiplies the 128-bit hi:lo by m, reporting overflow.
func mul128(hi, lo, m uint64) (uint64, uint64, bool) {
	h1, l1 := bits.Mul64(lo, m)
	h2, l2 := bits.Mul64(hi, m)
	if h2 != 0 {
		return 0, 0, false
	}
	sum, carry := bits.Add64(h1, l2, 0)
	if carry != 0 {
		return 0, 0, false
	}
	return sum, l1, true
}

// div128 divides the 128-bit hi:lo by d (d > 0), truncating.
func div128(hi, lo, d uint64) (uint64, uint64) {
	qh := hi / d
	ql, _ := bits.Div64(hi%d, lo, d)
	return qh, ql
}
