package sandbox

import (
	"strconv"
	"strings"
)

// Request field helpers for commands. All return apiError values, so the
// caller sees {"error": "..."}.

func requiredField(c *call, field string) (string, error) {
	v := c.get(field)
	if v == "" {
		return "", apiErrorf("Missing required field: %s", field)
	}
	return v, nil
}

// amountField reads a required positive decimal amount (at most 8 decimals).
func amountField(c *call, field string) (int64, error) {
	v, err := requiredField(c, field)
	if err != nil {
		return 0, err
	}
	return parsePositive(field, v)
}

func parsePositive(field, v string) (int64, error) {
	n, err := parseUnits(v)
	if err != nil {
		return 0, apiErrorf("Invalid %s: %v", field, err)
	}
	if n == 0 {
		return 0, apiErrorf("Invalid %s: must be greater than zero", field)
	}
	return n, nil
}

// anyCoinField reads a currency that may be fiat (pricing currencies).
func anyCoinField(c *call, field string, required bool) (coin, bool, error) {
	v := c.get(field)
	if v == "" {
		if required {
			return coin{}, false, apiErrorf("Missing required field: %s", field)
		}
		return coin{}, false, nil
	}
	cn, ok := lookupCoin(strings.ToUpper(v))
	if !ok {
		return coin{}, false, apiErrorf("Unknown currency: %s", v)
	}
	return cn, true, nil
}

func textField(c *call, field string, maxLen int) (string, error) {
	v := c.get(field)
	if len(v) > maxLen {
		return "", apiErrorf("Invalid %s: at most %d characters", field, maxLen)
	}
	return v, nil
}

func urlField(c *call, field string) (string, error) {
	v := c.get(field)
	if v != "" && !validHTTPURL(v) {
		return "", apiErrorf("Invalid %s: must be an absolute http or https URL", field)
	}
	return v, nil
}

// intField reads an optional integer within [lo, hi].
func intField(c *call, field string, def, lo, hi int64) (int64, error) {
	v := c.get(field)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, apiErrorf("Invalid %s: must be an integer from %d to %d", field, lo, hi)
	}
	return n, nil
}

func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && len(s) <= 254 && !strings.ContainsAny(s, " \t\r\n<>,;")
}

// validAddress accepts printable ASCII without spaces, at most 128 bytes.
func validAddress(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// page applies limit/start to a newest-first list.
func page[T any](items []T, limit, start int64) []T {
	if start >= int64(len(items)) {
		return items[:0]
	}
	items = items[start:]
	if int64(len(items)) > limit {
		items = items[:limit]
	}
	return items
}
