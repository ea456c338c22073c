package core

import (
	"github.com/wallexkit/wallexkit/internal/order"
	"strconv"
	"strings"
)

// String returns a pointer to s, for optional parameters: nil means "not sent", String("")
// means "sent empty".
func String(s string) *string { return &s }

// Bool returns a pointer to b, for optional parameters.
func Bool(b bool) *bool { return &b }

// Int returns a pointer to n, for optional parameters.
func Int(n int) *int { return &n }

// fieldSet builds request fields and collects validation errors as it goes.
type fieldSet struct {
	f   Fields
	err error
}

func newFieldSet() *fieldSet { return &fieldSet{f: Fields{}} }

func (s *fieldSet) fail(field, value, problem string) {
	if s.err == nil {
		s.err = &ValidationError{Field: field, Value: value, Problem: problem}
	}
}

// required adds a non-empty string.
func (s *fieldSet) required(name, v string) {
	if strings.TrimSpace(v) == "" {
		s.fail(name, "", "is required")
		return
	}
	s.f[name] = v
}

func (s *fieldSet) opt(name string, v *string) {
	if v != nil {
		s.f[name] = *v
	}
}

func (s *fieldSet) optBool(name string, v *bool) {
	if v != nil {
		if *v {
			s.f[name] = "1"
		} else {
			s.f[name] = "0"
		}
	}
}

// amount adds a positive amount with at most 8 decimals, normalised.
func (s *fieldSet) amount(name, v string) {
	if strings.TrimSpace(v) == "" {
		s.fail(name, "", "is required: give a positive decimal such as 0.5")
		return
	}
	a, err := parseAmount(v)
	if err != nil {
		s.fail(name, v, err.Error())
		return
	}
	if a.Sign() <= 0 {
		s.fail(name, v, "must be greater than zero")
		return
	}
	s.f[name] = a.Text()
}

func (s *fieldSet) ticker(name, v string) {
	t, err := CheckTicker(name, v)
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		return
	}
	s.f[name] = t
}

func (s *fieldSet) optTicker(name string, v *string) {
	if v != nil {
		s.ticker(name, *v)
	}
}

func (s *fieldSet) intRange(name string, v *int, lo, hi int) {
	if v == nil {
		return
	}
	if *v < lo || *v > hi {
		s.fail(name, strconv.Itoa(*v), "must be between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
		return
	}
	s.f[name] = strconv.Itoa(*v)
}

func (s *fieldSet) extra(extra Fields) {
	for k, v := range extra {
		if isReserved(k) {
			s.fail(k, "", "is set by the client; remove it from Extra")
			return
		}
		if _, dup := s.f[k]; dup {
			s.fail(k, "", "is already set by a typed parameter; remove it from Extra")
			return
		}
		s.f[k] = v
	}
}

func (s *fieldSet) done() (Fields, error) { return s.f, s.err }

// CheckTicker validates a coin ticker such as BTC, LTCT or USDT.ERC20 and returns it in upper case.
func CheckTicker(field, s string) (string, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	if t == "" {
		return "", &ValidationError{Field: field, Problem: "is empty: give a coin ticker such as BTC"}
	}
	if len(t) > 16 {
		return "", &ValidationError{Field: field, Value: clip(s, 20), Problem: "is too long for a coin ticker (at most 16 characters)"}
	}
	for i := 0; i < len(t); i++ {
		ch := t[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' && i > 0 && i < len(t)-1) {
			return "", &ValidationError{Field: field, Value: s, Problem: "is not a coin ticker: use letters and digits, with an optional network suffix like USDT.ERC20"}
		}
	}
	return t, nil
}

// sortedKeys is used for stable output.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	order.Strings(keys)
	return keys
}
