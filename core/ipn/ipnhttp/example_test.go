package ipnhttp_test

import (
	"context"
	"log"
	"net/http"

	"github.com/wallexkit/wallexkit/core/ipn"
	"github.com/wallexkit/wallexkit/core/ipn/ipnhttp"
)

func ExampleHandler() {
	v, err := ipn.NewVerifier("MERCHANT-1", "ipn-secret") // from configuration
	if err != nil {
		log.Fatal(err)
	}
	// in memory; in production a database-backed TrackerStore, and a fulfilment that is itself
	// idempotent: with several instances the Tracker does not order them, and in one a
	// notification fulfilled but not recorded (the process killed between the two, or the store
	// failing) is applied again, FirstPaid again, when Wallex sends it again
	tracker := ipn.NewTracker(nil)

	http.Handle("/wallex/ipn", ipnhttp.Handler(v, tracker, func(ctx context.Context, n *ipn.Notification) error {
		if n.API != nil && n.FirstPaid {
			// Mark the order paid (once: a payment queued for payout, 2, is paid again when it
			// completes, 100), finding it by the txn_id create_transaction answered, not by the
			// invoice; returning an error makes Wallex retry.
			log.Printf("payment %s paid: %s %s", n.API.TxnID, n.API.Amount2, n.API.Currency2)
		}
		return nil
	}))
	// http.ListenAndServe(":8080", nil)
}
