package sandbox

import "testing"

func TestAmounts(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"0.1", 10_000_000, false},
		{"12.5", 1_250_000_000, false},
		{"3", 300_000_000, false},
		{"0.00000001", 1, false},
		{"007.10", 710_000_000, false},
		{"92233720368.54775807", 9_223_372_036_854_775_807, false},
		{"92233720368.54775808", 0, true},
		{"0.000000001", 0, true},
		{"-1", 0, true},
		{"1e8", 0, true},
		{".5", 0, true},
		{"5.", 0, true},
		{"", 0, true},
		{"1,5", 0, true},
		{"999999999999", 0, true},
	}
	for _, tc := range tests {
		got, err := parseUnits(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseUnits(%q) = %d, %v", tc.in, got, err)
		}
		if err == nil && tc.in != "007.10" {
			back, _ := parseUnits(formatUnits(got))
			if back != got {
				t.Errorf("round trip %q", tc.in)
			}
		}
	}
	if formatUnits(-150) != "-0.00000150" || formatUnits(0) != "0.00000000" {
		t.Error("formatUnits negative/zero")
	}
	for _, tc := range []struct {
		amt, from, to int64
		up            bool
		want          int64
	}{
		{100 * unitsPerCoin, 1600, 100_000_000, true, 160_000}, // 100 USD -> 0.0016 BTC
		{1 * unitsPerCoin, 1750, 125_000, false, 1_400_000},    // 1 EUR -> 0.014 LTC
		{1, 1600, 100_000_000, true, 1},                        // rounds up
		{1, 1600, 100_000_000, false, 0},                       // rounds down
	} {
		got, err := convertUnits(tc.amt, tc.from, tc.to, tc.up)
		if err != nil || got != tc.want {
			t.Errorf("convertUnits(%+v) = %d, %v", tc, got, err)
		}
	}
}

func FuzzParseUnits(f *testing.F) {
	for _, s := range []string{"0.1", "12.5", "1e3", "00.00000001", "92233720368.54775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseUnits(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("negative %d from %q", n, s)
		}
		if back, err := parseUnits(formatUnits(n)); err != nil || back != n {
			t.Fatalf("round trip %q -> %d -> %v %v", s, n, back, err)
		}
	})
}
