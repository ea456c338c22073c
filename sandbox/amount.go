package sandbox

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// unitsPerCoin is the number of base units in one coin (1e-8 precision).
const unitsPerCoin = 100_000_000

var (
	errAmountSyntax   = errors.New("must be a decimal number such as 12.5")
	errAmountDecimals = errors.New("has more than 8 decimal places")
	errAmountRange    = errors.New("is too large")
)

// parseUnits reads decimal text ("12.5", "0.00000001", "3") into base units.
// It accepts no sign, no exponent and at most 8 decimals. Money never goes
// through a float.
func parseUnits(s string) (int64, error) {
	if s == "" {
		return 0, errAmountSyntax
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") {
		return 0, errAmountSyntax
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, errAmountSyntax
			}
		}
	}
	if len(frac) > 8 {
		return 0, errAmountDecimals
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	if len(intPart) > 11 {
		return 0, errAmountRange
	}
	whole, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, errAmountRange
	}
	frac += strings.Repeat("0", 8-len(frac))
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, errAmountSyntax
	}
	if whole > (math.MaxInt64-f)/unitsPerCoin {
		return 0, errAmountRange
	}
	return whole*unitsPerCoin + f, nil
}

// formatUnits renders base units as decimal text with exactly 8 decimals.
func formatUnits(n int64) string {
	sign := ""
	u := uint64(n)
	if n < 0 {
		sign = "-"
		u = uint64(-(n + 1)) + 1
	}
	return fmt.Sprintf("%s%d.%08d", sign, u/unitsPerCoin, u%unitsPerCoin)
}

// addUnits adds with overflow detection.
func addUnits(a, b int64) (int64, error) {
	c := a + b
	if (b > 0 && c < a) || (b < 0 && c > a) {
		return 0, errors.New("amount overflow")
	}
	return c, nil
}

// convertUnits converts amount base units of a coin worth rateFrom (BTC base
// units per whole coin) into base units of a coin worth rateTo. roundUp picks
// ceiling instead of floor for the last base unit.
func convertUnits(amount, rateFrom, rateTo int64, roundUp bool) (int64, error) {
	if rateTo <= 0 || rateFrom <= 0 {
		return 0, errors.New("no conversion rate")
	}
	num := new(big.Int).Mul(big.NewInt(amount), big.NewInt(rateFrom))
	den := big.NewInt(rateTo)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if roundUp && m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, errAmountRange
	}
	return q.Int64(), nil
}
