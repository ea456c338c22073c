package core

import (
	"errors"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Value is a read-only view of a piece of a JSON answer (a decoded XML answer is converted to
// the same JSON tree). Getters tolerate the API's habits: numbers sent as strings, booleans sent
// as 0/1, and `[]` where an object was expected. A missing value is the zero Value.
type Value struct{ r gjson.Result }

// ParseValue wraps JSON bytes. It does not copy them.
func ParseValue(json []byte) Value { return Value{r: gjson.ParseBytes(json)} }

// Get returns the member at path (gjson path syntax, e.g. "BTC.balancef"). Keys containing
// '.', '*', '?' or '|' must be escaped with '\'; use Member for arbitrary keys.
func (v Value) Get(path string) Value { return Value{r: v.r.Get(path)} }

// Member returns the object member named key, whatever characters key holds.
func (v Value) Member(key string) Value {
	var out Value
	if !v.r.IsObject() {
		return out
	}
	v.r.ForEach(func(k, val gjson.Result) bool {
		if k.Str == key {
			out = Value{r: val}
			return false
		}
		return true
	})
	return out
}

// Exists reports whether the value is present (and not JSON null).
func (v Value) Exists() bool { return v.r.Exists() && v.r.Type != gjson.Null }

// IsObject reports whether the value is a JSON object.
func (v Value) IsObject() bool { return v.r.IsObject() }

// IsArray reports whether the value is a JSON array.
func (v Value) IsArray() bool { return v.r.IsArray() }

// Raw returns the exact JSON text of the value.
func (v Value) Raw() string { return v.r.Raw }

// Text returns a scalar's text: a string's value, a number's exact digits, "true" or "false"; "" for
// anything else.
func (v Value) Text() string {
	switch v.r.Type {
	case gjson.String:
		return v.r.Str
	case gjson.Number:
		return v.r.Raw
	case gjson.True:
		return "true"
	case gjson.False:
		return "false"
	}
	return ""
}

// Int reads an integer sent as a JSON number or as a numeric string.
func (v Value) Int() (int64, error) {
	s, err := v.numText()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, errors.New("expected an integer, got " + clip(v.r.Raw, 40))
	}
	return n, nil
}

// IntOr reads an integer, returning def when the value is missing or not an integer.
func (v Value) IntOr(def int64) int64 {
	n, err := v.Int()
	if err != nil {
		return def
	}
	return n
}

// Amount reads exact decimal text (a JSON number such as 0.10000000 or a string such as
// "0.40000000") without going through a float.
func (v Value) Amount() (Amount, error) {
	s, err := v.numText()
	if err != nil {
		return Amount{}, err
	}
	return parseAmount(s)
}

// Units reads an integer amount in base units (1e-8) and returns it as an Amount.
func (v Value) Units() (Amount, error) {
	n, err := v.Int()
	if err != nil {
		return Amount{}, err
	}
	return AmountFromUnits(n), nil
}

// Decimal returns exact decimal text from a number or a string.
func (v Value) Decimal() Decimal {
	s, _ := v.numText()
	return Decimal(s)
}

// Bool reads true/false, 1/0 and "1"/"0"/"true"/"false".
func (v Value) Bool() bool {
	switch v.r.Type {
	case gjson.True:
		return true
	case gjson.Number:
		return v.r.Raw != "0" && v.r.Num != 0
	case gjson.String:
		s := strings.TrimSpace(v.r.Str)
		return s == "1" || strings.EqualFold(s, "true") || strings.EqualFold(s, "yes")
	}
	return false
}

// Strings returns an array of strings (non-strings are returned as their text).
func (v Value) Strings() []string {
	if !v.r.IsArray() {
		return nil
	}
	var out []string
	v.r.ForEach(func(_, x gjson.Result) bool {
		out = append(out, Value{r: x}.Text())
		return true
	})
	return out
}

// ForEach calls fn for each member of an object (key set) or item of an array (key "").
// It stops when fn returns false. A scalar or missing value calls nothing.
func (v Value) ForEach(fn func(key string, val Value) bool) {
	if !v.r.IsObject() && !v.r.IsArray() {
		return
	}
	v.r.ForEach(func(k, x gjson.Result) bool { return fn(k.Str, Value{r: x}) })
}

// Len returns the number of members of an object or items of an array.
func (v Value) Len() int {
	n := 0
	v.ForEach(func(string, Value) bool { n++; return true })
	return n
}

func (v Value) numText() (string, error) {
	switch v.r.Type {
	case gjson.Number:
		return v.r.Raw, nil
	case gjson.String:
		s := strings.TrimSpace(v.r.Str)
		if s == "" {
			return "", errors.New("expected a number, got an empty string")
		}
		return s, nil
	case gjson.Null:
		return "", errors.New("expected a number, got nothing")
	}
	if !v.r.Exists() {
		return "", errors.New("expected a number, got nothing")
	}
	return "", errors.New("expected a number, got " + clip(v.r.Raw, 40))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// exactAmount reads the integer base-unit field, falling back to the decimal-text one.
func exactAmount(r Value, intField, decField string) (Amount, error) {
	if v := r.Get(intField); v.Exists() {
		if a, err := v.Units(); err == nil {
			return a, nil
		}
	}
	if v := r.Get(decField); v.Exists() {
		return v.Amount()
	}
	return Amount{}, nil
}
