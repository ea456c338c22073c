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
	// in memory; in production a database-backed TrackerStore, and (with several instances, which
	// the Tracker does not order between them) a fulfilment that is itself idempotent
	tracker := ipn.NewTracker(nil)

	http.Handle("/wallex/ipn", ipnhttp.Handler(v, tracker, func(ctx context.Context, n *ipn.Notification) error {
		if n.API != nil && n.FirstPaid {
			// Mark the order paid (once: a payment queued for payout, 2, is paid again when it
			// completes, 100); returning an error makes Wallex retry.
			log.Printf("invoice %s paid: %s %s", n.API.Invoice, n.API.Amount2, n.API.Currency2)
		}
		return nil
	}))
	// http.ListenAndServe(":8080", nil)
}
