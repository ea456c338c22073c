package ipn

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

const (
	testMerchant = "m-7f3a"
	testSecret   = "s3cret-ipn-key"
	oldSecret    = "old-ipn-key"
)

func apiFields(status string) map[string]string {
	return map[string]string{
		"status": status, "status_text": "Complete", "txn_id": "CPTX123",
		"currency1": "USD", "currency2": "BTC", "amount1": "12.50", "amount2": "0.00031250",
		"fee": "0.00000156", "buyer_name": "Ann", "email": "ann@example.com", "item_name": "Mug",
		"item_number": "7", "invoice": "INV-9", "custom": "c=1&d=2", "received_amount": "0.00031250",
		"received_confirms": "3",
	}
}

func TestNewVerifier(t *testing.T) {
	tests := []struct {
		name     string
		merchant string
		secrets  []string
		want     error
	}{
		{"ok", testMerchant, []string{testSecret}, nil},
		{"rotation", testMerchant, []string{testSecret, oldSecret}, nil},
		{"empty secrets skipped", testMerchant, []string{"", testSecret}, nil},
		{"no secret", testMerchant, nil, ErrNoSecret},
		{"only empty secret", testMerchant, []string{""}, ErrNoSecret},
		{"no merchant", "", []string{testSecret}, ErrNoMerchant},
		{"blank merchant", "  ", []string{testSecret}, ErrNoMerchant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(tt.merchant, tt.secrets...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				if v != nil {
					t.Fatal("got a Verifier with an error")
				}
				if !strings.Contains(err.Error(), "NewVerifier") {
					t.Errorf("error %q does not say what to set", err)
				}
			}
		})
	}
}

func TestVerifyNilVerifierFailsClosed(t *testing.T) {
	var v *Verifier
	body, sig := SignedTestIPN(testSecret, testMerchant, "api", apiFields("100"))
	if _, err := v.Verify(body, sig); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("err = %v, want ErrNoSecret", err)
	}
	if _, err := (&Verifier{}).Verify(body, sig); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("zero Verifier: err = %v, want ErrNoSecret", err)
	}
}

func TestVerify(t *testing.T) {
	v, err := NewVerifier(testMerchant, testSecret, oldSecret)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(secret string, body string) string { return Sign(secret, []byte(body)) }
	apiBody, apiSig := SignedTestIPN(testSecret, testMerchant, "api", apiFields("100"))
	// raw is in wire order, not sorted, with a space sent as '+'.
	raw := "merchant=" + testMerchant + "&ipn_type=api&status=1&ipn_id=r1&ipn_mode=hmac&txn_id=T&ipn_version=1.0&item_name=Blue+mug"
	reencoded := func() []byte {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(vals.Encode())
	}
	tests := []struct {
		name   string
		body   []byte
		header string
		want   error
		check  func(*testing.T, *Notification)
	}{
		{name: "valid api", body: apiBody, header: apiSig, check: func(t *testing.T, n *Notification) {
			if n.API == nil || n.Deposit != nil || n.Withdrawal != nil {
				t.Fatalf("typed views: %+v", n)
			}
			want := APIPayment{TxnID: "CPTX123", Currency1: "USD", Currency2: "BTC", Amount1: "12.50",
				Amount2: "0.00031250", Fee: "0.00000156", BuyerName: "Ann", Email: "ann@example.com",
				ItemName: "Mug", ItemNumber: "7", Invoice: "INV-9", Custom: "c=1&d=2",
				ReceivedAmount: "0.00031250", ReceivedConfirms: 3}
			if *n.API != want {
				t.Errorf("API = %+v\nwant %+v", *n.API, want)
			}
			if n.Status != 100 || n.StatusText != "Complete" || n.Version != "1.0" || n.Mode != "hmac" ||
				n.Merchant != testMerchant || n.Type != "api" || n.ID == "" || !n.Paid() || n.Key() != "CPTX123" {
				t.Errorf("header fields: %+v", n)
			}
		}},
		{name: "valid deposit", body: []byte(raw2("deposit", "deposit_id=D1&txn_id=X&address=addr&dest_tag=9&currency=LTC&confirms=2&amount=1.5&amounti=150000000&fee=0.01&feei=1000000")),
			check: func(t *testing.T, n *Notification) {
				want := Deposit{DepositID: "D1", TxnID: "X", Address: "addr", DestTag: "9", Currency: "LTC",
					Confirms: 2, Amount: "1.5", AmountI: 150000000, Fee: "0.01", FeeI: 1000000}
				if n.Deposit == nil || *n.Deposit != want || n.API != nil || n.Withdrawal != nil {
					t.Errorf("Deposit = %+v", n.Deposit)
				}
				if n.Key() != "D1" {
					t.Errorf("Key = %q", n.Key())
				}
			}},
		{name: "valid withdrawal", body: []byte(raw2("withdrawal", "id=W1&txn_id=chain&address=addr&currency=BTC&amount=0.1&amounti=10000000")),
			check: func(t *testing.T, n *Notification) {
				want := Withdrawal{ID: "W1", TxnID: "chain", Address: "addr", Currency: "BTC", Amount: "0.1", AmountI: 10000000}
				if n.Withdrawal == nil || *n.Withdrawal != want || n.API != nil || n.Deposit != nil {
					t.Errorf("Withdrawal = %+v", n.Withdrawal)
				}
				if n.Key() != "W1" {
					t.Errorf("Key = %q", n.Key())
				}
			}},
		{name: "generic type keeps fields", body: []byte(raw2("button", "txn_id=B1&on1=size&ov1=XL")),
			check: func(t *testing.T, n *Notification) {
				if n.API != nil || n.Deposit != nil || n.Withdrawal != nil {
					t.Error("typed view set for a generic type")
				}
				if n.Fields.Get("ov1") != "XL" || n.Key() != "B1" {
					t.Errorf("Fields = %v", n.Fields)
				}
			}},
		{name: "any field order", body: []byte(raw)},
		{name: "uppercase hex", body: apiBody, header: strings.ToUpper(apiSig)},
		{name: "spaces around header", body: apiBody, header: "  " + apiSig + "\t"},
		{name: "old secret during rotation", body: []byte(raw), header: sign(oldSecret, raw)},
		{name: "tampered body", body: flip(apiBody, 10), header: apiSig, want: ErrBadSignature},
		{name: "tampered last byte", body: flip(apiBody, len(apiBody)-1), header: apiSig, want: ErrBadSignature},
		{name: "appended field", body: append(append([]byte{}, apiBody...), "&status=100"...), header: apiSig, want: ErrBadSignature},
		{name: "wrong secret", body: []byte(raw), header: sign("guess", raw), want: ErrBadSignature},
		{name: "missing header", body: apiBody, header: "", want: ErrMissingSignature},
		{name: "blank header", body: apiBody, header: "   ", want: ErrMissingSignature},
		{name: "bad hex", body: apiBody, header: "zz" + apiSig[2:], want: ErrBadSignature},
		{name: "short", body: apiBody, header: apiSig[:64], want: ErrBadSignature},
		{name: "too long", body: apiBody, header: apiSig + "00", want: ErrBadSignature},
		{name: "re-encoded by a framework", body: reencoded(), header: sign(testSecret, raw), want: ErrBadSignature},
		{name: "merchant mismatch", body: []byte(strings.Replace(raw, testMerchant, "other", 1)), want: ErrMerchantMismatch},
		{name: "no merchant field", body: []byte(strings.Replace(raw, "merchant="+testMerchant+"&", "", 1)), want: ErrMerchantMismatch},
		{name: "mode not hmac", body: []byte(strings.Replace(raw, "ipn_mode=hmac", "ipn_mode=httpauth", 1)), want: ErrMalformed},
		{name: "missing ipn_id", body: []byte(strings.Replace(raw, "ipn_id=r1&", "", 1)), want: ErrMalformed},
		{name: "missing ipn_type", body: []byte(strings.Replace(raw, "ipn_type=api&", "", 1)), want: ErrMalformed},
		{name: "missing status", body: []byte(strings.Replace(raw, "status=1&", "", 1)), want: ErrMalformed},
		{name: "signed garbage", body: []byte("%zz"), want: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == "" && tt.want != ErrMissingSignature {
				h = Sign(testSecret, tt.body)
			}
			n, err := v.Verify(tt.body, h)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				if n != nil {
					t.Error("notification returned with an error")
				}
				msg := err.Error()
				for _, leak := range []string{testSecret, oldSecret, Sign(testSecret, tt.body), Sign(oldSecret, tt.body)} {
					if strings.Contains(msg, leak) {
						t.Errorf("error leaks a secret or the expected HMAC: %q", msg)
					}
				}
				return
			}
			if tt.check != nil {
				tt.check(t, n)
			}
		})
	}
}

// raw2 builds a signed-able body of the given type with extra fields.
func raw2(typ, extra string) string {
	return "ipn_version=1.0&ipn_id=x-" + typ + "&ipn_mode=hmac&ipn_type=" + typ + "&merchant=" + testMerchant +
		"&status=0&status_text=Waiting&" + extra
}

func flip(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 0x01
	return c
}

func BenchmarkVerify(b *testing.B) {
	v, _ := NewVerifier(testMerchant, testSecret)
	body, sig := SignedTestIPN(testSecret, testMerchant, "api", apiFields("100"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(body, sig); err != nil {
			b.Fatal(err)
		}
	}
}
