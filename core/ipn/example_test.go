package ipn_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/wallexkit/wallexkit/core/ipn"
)

func ExampleVerifier_Verify() {
	// In production the secret comes from configuration, never from code.
	v, err := ipn.NewVerifier("MERCHANT-1", "ipn-secret")
	if err != nil {
		panic(err)
	}
	// body is the raw request body and sig the "HMAC" header, as received.
	body, sig := ipn.SignedTestIPN("ipn-secret", "MERCHANT-1", "api", map[string]string{
		"txn_id": "CP123", "status": "100", "status_text": "Complete",
		"currency2": "BTC", "amount2": "0.00031250",
	})

	n, err := v.Verify(body, sig)
	if err != nil {
		panic(err)
	}
	fmt.Println(n.Type, n.API.TxnID, n.API.Amount2, n.API.Currency2, "paid:", n.Paid())

	// One changed byte and the notification is refused.
	body[len(body)-1] ^= 1
	_, err = v.Verify(body, sig)
	fmt.Println(errors.Is(err, ipn.ErrBadSignature))
	// Output:
	// api CP123 0.00031250 BTC paid: true
	// true
}

func ExampleTracker() {
	v, _ := ipn.NewVerifier("MERCHANT-1", "ipn-secret")
	t := ipn.NewTracker(ipn.NewMemoryTrackerStore()) // back it by your database in production

	deliver := func(id, status string) {
		body, sig := ipn.SignedTestIPN("ipn-secret", "MERCHANT-1", "api",
			map[string]string{"ipn_id": id, "txn_id": "CP123", "status": status})
		n, err := v.Verify(body, sig)
		if err != nil {
			fmt.Println("rejected:", err)
			return
		}
		d, err := t.Handle(context.Background(), n, func(ctx context.Context, n *ipn.Notification) error {
			fmt.Println("  order CP123 -> status", int(n.Status))
			return nil // an error here leaves the IPN unrecorded, so Wallex's retry applies
		})
		fmt.Println(id, status, d, err)
	}
	deliver("n1", "0")
	deliver("n3", "100")
	deliver("n3", "100") // retried delivery
	deliver("n2", "1")   // late "pending" after "complete"
	// Output:
	//   order CP123 -> status 0
	// n1 0 apply <nil>
	//   order CP123 -> status 100
	// n3 100 apply <nil>
	// n3 100 duplicate <nil>
	// n2 1 stale <nil>
}

func ExampleSign() {
	fmt.Println(len(ipn.Sign("ipn-secret", []byte("ipn_id=1&ipn_type=api"))))
	// Output: 128
}
