package ipn

import (
	"reflect"
	"testing"

	"github.com/wallexkit/wallexkit/core/ipn/ipnwire"
)

// TestNotificationIsWire: Notification has ipnwire.Notification's fields, and the conversions
// between the two carry every one of them.
func TestNotificationIsWire(t *testing.T) {
	a, b := reflect.TypeFor[Notification](), reflect.TypeFor[ipnwire.Notification]()
	if a.NumField() != b.NumField() {
		t.Fatalf("%d fields, ipnwire has %d", a.NumField(), b.NumField())
	}
	for i := 0; i < a.NumField(); i++ {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || !fa.Type.ConvertibleTo(fb.Type) {
			t.Fatalf("field %d: %s %s, ipnwire: %s %s", i, fa.Name, fa.Type, fb.Name, fb.Type)
		}
	}
	body, _ := SignedTestIPN(testSecret, testMerchant, "deposit", map[string]string{"deposit_id": "D", "status": "100", "x": "y"})
	w, err := ipnwire.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	w.API, w.Withdrawal = &ipnwire.APIPayment{TxnID: "A"}, &ipnwire.Withdrawal{ID: "W"}
	n := fromWire(w)
	back := n.wire()
	if !reflect.DeepEqual(back, w) {
		t.Fatalf("round trip: %+v, want %+v", back, w)
	}
	va, vb := reflect.ValueOf(n).Elem(), reflect.ValueOf(w).Elem()
	for i := 0; i < va.NumField(); i++ {
		if va.Field(i).IsZero() != vb.Field(i).IsZero() {
			t.Fatalf("field %s not carried", a.Field(i).Name)
		}
	}
}
