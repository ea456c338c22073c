package ipn

import (
	"errors"
	"testing"

	"github.com/wallexkit/wallexkit/core"
)

func TestParse(t *testing.T) {
	base := "ipn_id=i&ipn_type="
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"minimal generic", base + "simple&status=0", true},
		{"negative status", base + "simple&status=-1", true},
		{"status not integer", base + "simple&status=1.0", false},
		{"status overflow", base + "simple&status=99999999999", false},
		{"empty status", base + "simple&status=", false},
		{"empty ipn_id", "ipn_id=&ipn_type=simple&status=0", false},
		{"repeated status", base + "simple&status=0&status=100", false},
		{"repeated unknown field ok", base + "simple&status=0&x=1&x=2", true},
		{"bad escape", base + "simple&status=0&x=%zz", false},
		{"semicolon separator", base + "simple&status=0;x=1", false},
		{"api without txn_id", base + "api&status=0", false},
		{"api amount ok", base + "api&status=0&txn_id=t&amount1=10&amount2=0.00000001&fee=-0.5", true},
		{"api amount float syntax", base + "api&status=0&txn_id=t&amount1=1e-8", false},
		{"api amount trailing dot", base + "api&status=0&txn_id=t&amount1=1.", false},
		{"api amount leading dot", base + "api&status=0&txn_id=t&amount1=.5", false},
		{"api amount comma", base + "api&status=0&txn_id=t&amount1=1,5", false},
		{"api amount NaN", base + "api&status=0&txn_id=t&amount2=NaN", false},
		{"api bad confirms", base + "api&status=0&txn_id=t&received_confirms=x", false},
		{"deposit by txn_id", base + "deposit&status=0&txn_id=t", true},
		{"deposit without ids", base + "deposit&status=0&amount=1", false},
		{"deposit bad amounti", base + "deposit&status=0&deposit_id=d&amounti=1.5", false},
		{"deposit big amounti", base + "deposit&status=0&deposit_id=d&amounti=9223372036854775807", true},
		{"deposit bad feei", base + "deposit&status=0&deposit_id=d&feei=abc", false},
		{"withdrawal without id", base + "withdrawal&status=0&txn_id=t", false},
		{"withdrawal bad amount", base + "withdrawal&status=0&id=w&amount=one", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse([]byte(tt.body))
			if tt.ok != (err == nil) {
				t.Fatalf("Parse(%q) err = %v, want ok=%v", tt.body, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if err == nil && n == nil {
				t.Fatal("nil notification without error")
			}
		})
	}
}

func TestDepositKeyFallsBackToTxnID(t *testing.T) {
	n, err := Parse([]byte("ipn_id=i&ipn_type=deposit&status=0&txn_id=T9"))
	if err != nil {
		t.Fatal(err)
	}
	if n.Key() != "T9" {
		t.Errorf("Key = %q, want T9", n.Key())
	}
	if (*Notification)(nil).Key() != "" {
		t.Error("nil Key")
	}
}

func TestStatusClasses(t *testing.T) {
	tests := []struct {
		status                int
		paid, failed, pending bool
	}{
		{-2, false, true, false},
		{-1, false, true, false},
		{0, false, false, true},
		{1, false, false, true},
		{2, true, false, false},
		{3, false, false, true},
		{99, false, false, true},
		{100, true, false, false},
		{101, true, false, false},
	}
	for _, tt := range tests {
		n := &Notification{Status: core.PaymentStatus(tt.status)}
		if n.Paid() != tt.paid || n.Failed() != tt.failed || n.Pending() != tt.pending {
			t.Errorf("status %d: paid=%v failed=%v pending=%v, want %v %v %v",
				tt.status, n.Paid(), n.Failed(), n.Pending(), tt.paid, tt.failed, tt.pending)
		}
	}
}

func TestAmountIsZero(t *testing.T) {
	for s, want := range map[core.Decimal]bool{"": true, "0": true, "0.00000000": true, "-0.0": true, "0.00000001": false, "10": false} {
		if s.IsZero() != want {
			t.Errorf("Amount(%q).IsZero() = %v", s, !want)
		}
	}
}

func TestSignedTestIPN(t *testing.T) {
	v, _ := NewVerifier(testMerchant, testSecret)
	b1, s1 := SignedTestIPN(testSecret, testMerchant, "withdrawal", map[string]string{"id": "W", "status": "2"})
	b2, _ := SignedTestIPN(testSecret, testMerchant, "withdrawal", map[string]string{"id": "W", "status": "2"})
	n1, err := v.Verify(b1, s1)
	if err != nil {
		t.Fatal(err)
	}
	n2, _ := Parse(b2)
	if n1.ID == "" || n1.ID == n2.ID {
		t.Errorf("ipn_id not unique: %q %q", n1.ID, n2.ID)
	}
	if n1.Version != "1.0" || n1.Mode != "hmac" || n1.Status != 2 || !n1.Paid() {
		t.Errorf("defaults: %+v", n1)
	}
	b3, _ := SignedTestIPN(testSecret, testMerchant, "api", map[string]string{"ipn_id": "fixed", "txn_id": "t"})
	if n3, _ := Parse(b3); n3 == nil || n3.ID != "fixed" {
		t.Errorf("ipn_id override: %+v", n3)
	}
}
