package core

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in    string
		units int64
		str   string
		text  string
	}{
		{"0.00000001", 1, "0.00000001", "0.00000001"},
		{"21000000.00000000", 2_100_000_000_000_000, "21000000.00000000", "21000000"},
		{"12.5", 1_250_000_000, "12.50000000", "12.5"},
		{"0", 0, "0.00000000", "0"},
		{".5", 50_000_000, "0.50000000", "0.5"},
		{"7.", 700_000_000, "7.00000000", "7"},
		{"-1.25", -125_000_000, "-1.25000000", "-1.25"},
		{"0.100000000000", 10_000_000, "0.10000000", "0.1"}, // zeros past 8 places carry nothing
		{"92233720368.54775807", 9223372036854775807, "92233720368.54775807", "92233720368.54775807"},
	}
	for _, tt := range tests {
		a, err := ParseAmount(tt.in)
		if err != nil {
			t.Fatalf("ParseAmount(%q): %v", tt.in, err)
		}
		if a.Units() != tt.units || a.String() != tt.str || a.Text() != tt.text {
			t.Errorf("ParseAmount(%q) = %d %q %q, want %d %q %q", tt.in, a.Units(), a.String(), a.Text(), tt.units, tt.str, tt.text)
		}
	}
}

func TestParseAmountRejects(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty"},
		{"0.000000001", "at most 8"},
		{"1e-8", "not a decimal"},
		{"1,5", "not a decimal"},
		{"abc", "not a decimal"},
		{".", "not a decimal"},
		{"-", "not a decimal"},
		{"92233720368.54775808", "too large"},
		{"100000000000", "too large"},
		{" 1", "not a decimal"},
	}
	for _, tt := range tests {
		_, err := ParseAmount(tt.in)
		var ve *ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseAmount(%q) error = %v, want ValidationError containing %q", tt.in, err, tt.want)
		}
	}
}

func TestAmountJSONRoundTrip(t *testing.T) {
	a := MustParseAmount("0.00000001")
	b, _ := json.Marshal(a)
	if string(b) != `"0.00000001"` {
		t.Fatalf("marshal = %s", b)
	}
	var back Amount
	if err := json.Unmarshal([]byte(`0.10000000`), &back); err != nil || back.Units() != 10_000_000 {
		t.Fatalf("unmarshal number = %v %v", back, err)
	}
	if err := json.Unmarshal(b, &back); err != nil || back != a {
		t.Fatalf("unmarshal string = %v %v", back, err)
	}
}

func TestAmountAddOverflow(t *testing.T) {
	big := AmountFromUnits(1<<63 - 1)
	if _, err := big.Add(AmountFromUnits(1)); err == nil {
		t.Fatal("overflow not reported")
	}
	s, err := MustParseAmount("0.1").Add(MustParseAmount("0.2"))
	if err != nil || s.String() != "0.30000000" {
		t.Fatalf("0.1+0.2 = %v %v", s, err)
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "0.00000001", "21000000.00000000", "-3.5", "1e5", "9999999999.99999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAmount(s)
		if err != nil {
			return
		}
		back, err := parseAmount(a.String())
		if err != nil || back != a {
			t.Fatalf("%q -> %q -> %v %v", s, a.String(), back, err)
		}
	})
}
