package ipn

import (
	"crypto/hmac"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/wallexkit/wallexkit/core"
)

func seedBodies() [][]byte {
	api, _ := SignedTestIPN(testSecret, testMerchant, "api", apiFields("100"))
	return [][]byte{
		api,
		[]byte(raw2("deposit", "deposit_id=D1&amount=1.5&amounti=150000000&fee=0.01&feei=1000000")),
		[]byte(raw2("withdrawal", "id=W1&amount=0.1&amounti=10000000")),
		[]byte(raw2("simple", "txn_id=S")),
		[]byte("ipn_id=%zz&status=+1"),
		[]byte("status=-1&status=2&ipn_type=api"),
		[]byte(""),
		[]byte("&&&==;"),
	}
}

// decimalText is what Parse accepts as an amount: -?digits(.digits)?
var decimalText = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func FuzzParse(f *testing.F) {
	for _, b := range seedBodies() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := Parse(body)
		if err != nil {
			if n != nil {
				t.Fatal("notification with error")
			}
			return
		}
		typed := 0
		for _, set := range []bool{n.API != nil, n.Deposit != nil, n.Withdrawal != nil} {
			if set {
				typed++
			}
		}
		switch n.Type {
		case TypeAPI, TypeDeposit, TypeWithdrawal:
			if typed != 1 || n.Key() == "" {
				t.Fatalf("type %q: %d typed views, key %q", n.Type, typed, n.Key())
			}
		default:
			if typed != 0 {
				t.Fatalf("type %q has a typed view", n.Type)
			}
		}
		if n.ID == "" || n.Type == "" {
			t.Fatal("required field empty")
		}
		if a := n.API; a != nil {
			for _, x := range []core.Decimal{a.Amount1, a.Amount2, a.Fee, a.ReceivedAmount} {
				if x != "" && !decimalText.MatchString(string(x)) {
					t.Fatalf("invalid amount %q accepted", x)
				}
			}
		}
		_ = n.Paid() || n.Failed() || n.Pending()
	})
}

func FuzzVerify(f *testing.F) {
	v, err := NewVerifier(testMerchant, testSecret)
	if err != nil {
		f.Fatal(err)
	}
	for i, b := range seedBodies() {
		f.Add(b, Sign(testSecret, b), uint(i), byte(0))
		f.Add(b, Sign(testSecret, b), uint(i*7), byte(1))
		f.Add(b, strings.ToUpper(Sign("wrong", b)), uint(0), byte(0))
		f.Add(b, "", uint(0), byte(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, header string, pos uint, xor byte) {
		// 1. Arbitrary (body, header): accepted only with the true signature.
		if _, err := v.Verify(body, header); err == nil {
			got, _ := hex.DecodeString(strings.TrimSpace(header))
			want, _ := hex.DecodeString(Sign(testSecret, body))
			if !hmac.Equal(got, want) {
				t.Fatalf("accepted a body without its signature: %q %q", body, header)
			}
		}
		// 2. A correctly signed body changed in one byte is always rejected.
		if len(body) == 0 || xor == 0 {
			return
		}
		sig := Sign(testSecret, body)
		mod := append([]byte{}, body...)
		mod[pos%uint(len(mod))] ^= xor
		if _, err := v.Verify(mod, sig); err == nil {
			t.Fatalf("accepted a modified body %q", mod)
		}
	})
}
