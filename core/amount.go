package core

import (
	"errors"
	"strconv"
	"strings"

	"github.com/wallexkit/wallexkit/core/internal/errtext"
)

// AmountDecimals is the number of decimal places Wallex Pay uses for coin amounts:
// one base unit is 1e-8 of a coin.
const AmountDecimals = 8

const unitsPerCoin = 100_000_000

// Amount is an exact coin amount held as an integer number of base units (1e-8).
// It never passes through a float. The zero value is 0.
//
// The largest representable amount is about 92 billion coins; parsing anything
// larger fails with a clear error instead of wrapping around.
type Amount struct{ units int64 }

// AmountFromUnits builds an Amount from base units (the integer `balance`/`amount`
// fields of API results).
func AmountFromUnits(units int64) Amount { return Amount{units: units} }

// ParseAmount reads decimal text such as "12.5", "0.00000001" or "21000000.00000000".
// It rejects more than 8 decimals, exponents, signs other than a leading '-',
// and values that do not fit.
func ParseAmount(s string) (Amount, error) {
	a, err := parseAmount(s)
	if err != nil {
		return Amount{}, &ValidationError{Field: "amount", Value: s, Problem: err.Error()}
	}
	return a, nil
}

// MustParseAmount is ParseAmount for constants in tests and examples; it panics on bad input.
func MustParseAmount(s string) Amount {
	a, err := parseAmount(s)
	if err != nil {
		panic("core.MustParseAmount(" + strconv.Quote(s) + "): " + err.Error())
	}
	return a
}

var errAmountEmpty = errors.New("is empty: give a decimal number such as 0.5")

func parseAmount(s string) (Amount, error) {
	if s == "" {
		return Amount{}, errAmountEmpty
	}
	neg := false
	rest := s
	if rest[0] == '-' {
		neg = true
		rest = rest[1:]
	} else if rest[0] == '+' {
		rest = rest[1:]
	}
	intPart, frac, hasDot := strings.Cut(rest, ".")
	if intPart == "" && frac == "" {
		return Amount{}, errors.New(errtext.Q(s) + " is not a decimal number: use digits with an optional '.', e.g. 0.5")
	}
	if hasDot && frac == "" && intPart == "" {
		return Amount{}, errors.New(errtext.Q(s) + " is not a decimal number")
	}
	for i := 0; i < len(intPart); i++ {
		if intPart[i] < '0' || intPart[i] > '9' {
			return Amount{}, errors.New(errtext.Q(s) + " is not a decimal number: use digits with an optional '.', no exponent or separators")
		}
	}
	for i := 0; i < len(frac); i++ {
		if frac[i] < '0' || frac[i] > '9' {
			return Amount{}, errors.New(errtext.Q(s) + " is not a decimal number: use digits with an optional '.', no exponent or separators")
		}
	}
	if len(frac) > AmountDecimals {
		// Trailing zeros beyond 8 places carry no value; anything else would be lost.
		if strings.TrimRight(frac[AmountDecimals:], "0") != "" {
			return Amount{}, errors.New(errtext.Q(s) + " has " + errtext.D(len(frac)) + " decimals; at most " + errtext.D(AmountDecimals) + " are allowed (1 base unit = 0.00000001)")
		}
		frac = frac[:AmountDecimals]
	}
	intPart = strings.TrimLeft(intPart, "0")
	var units int64
	const maxInt = int64(^uint64(0) >> 1)
	for i := 0; i < len(intPart); i++ {
		d := int64(intPart[i] - '0')
		if units > (maxInt/unitsPerCoin-d)/10 {
			return Amount{}, errors.New(errtext.Q(s) + " is too large")
		}
		units = units*10 + d
	}
	units *= unitsPerCoin
	var fracUnits int64
	scale := int64(unitsPerCoin / 10)
	for i := 0; i < len(frac); i++ {
		fracUnits += int64(frac[i]-'0') * scale
		scale /= 10
	}
	if units > maxInt-fracUnits {
		return Amount{}, errors.New(errtext.Q(s) + " is too large")
	}
	units += fracUnits
	if neg {
		units = -units
	}
	return Amount{units: units}, nil
}

// Units returns the amount in base units (1e-8).
func (a Amount) Units() int64 { return a.units }

// IsZero reports whether the amount is 0.
func (a Amount) IsZero() bool { return a.units == 0 }

// Sign returns -1, 0 or +1.
func (a Amount) Sign() int {
	switch {
	case a.units < 0:
		return -1
	case a.units > 0:
		return 1
	}
	return 0
}

// Cmp compares a and b: -1 if a < b, 0 if equal, +1 if a > b.
func (a Amount) Cmp(b Amount) int {
	switch {
	case a.units < b.units:
		return -1
	case a.units > b.units:
		return 1
	}
	return 0
}

// Add returns a+b, or an error if the sum does not fit.
func (a Amount) Add(b Amount) (Amount, error) {
	s := a.units + b.units
	if (b.units > 0 && s < a.units) || (b.units < 0 && s > a.units) {
		return Amount{}, errors.New("amount overflow")
	}
	return Amount{units: s}, nil
}

// String formats the amount with exactly 8 decimals, e.g. "0.10000000".
func (a Amount) String() string {
	var buf [32]byte
	return string(a.appendTo(buf[:0]))
}

func (a Amount) appendTo(b []byte) []byte {
	u := uint64(a.units)
	if a.units < 0 {
		b = append(b, '-')
		u = uint64(-a.units)
	}
	b = strconv.AppendUint(b, u/unitsPerCoin, 10)
	b = append(b, '.')
	frac := u % unitsPerCoin
	var f [AmountDecimals]byte
	for i := AmountDecimals - 1; i >= 0; i-- {
		f[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, f[:]...)
}

// Text formats the amount with trailing zeros removed ("12.5", "1"), the form used in requests.
func (a Amount) Text() string {
	s := a.String()
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// MarshalJSON writes the amount as a JSON string with 8 decimals, so no JSON reader turns it into a float.
func (a Amount) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 24)
	b = append(b, '"')
	b = a.appendTo(b)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts a JSON string or number holding decimal text.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := parseAmount(s)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Decimal is exact decimal text kept as the API sent it: exchange rates, fees with more than 8
// places, and the amounts of IPNs (which arrive as text). Amount converts it to base units.
type Decimal string

// String returns the decimal text.
func (d Decimal) String() string { return string(d) }

// IsZero reports whether the text is absent or numerically zero.
func (d Decimal) IsZero() bool {
	for i := 0; i < len(d); i++ {
		if c := d[i]; c >= '1' && c <= '9' {
			return false
		}
	}
	return true
}

// Amount parses the text as a coin amount (at most 8 decimals).
func (d Decimal) Amount() (Amount, error) { return ParseAmount(string(d)) }
