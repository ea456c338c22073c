package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/sandbox"
)

// A create_withdrawal priced in currency2 (USD) is carried out, its answer lost. Reconcile, fed
// from the OutcomeUnknownError, must not compare the USD amount with the BTC amount in the
// history and say NotFound ("safe to send again"): a resend would pay twice.
func TestReconcileCurrency2SaysNotFound(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	since := time.Now()
	usd := "USD"
	note := "order-77"
	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "100", Currency: "BTC", Currency2: &usd,
		Address: "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", Note: &note})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v, want OutcomeUnknownError", err)
	}
	for _, q := range core.QueriesFromOutcome(ou, since) {
		res, err := c.Reconcile(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict == core.NotFound {
			t.Fatalf("Reconcile = %s (%s), but the withdrawal was carried out: a resend pays twice", res.Verdict, res.Detail)
		}
	}
}
