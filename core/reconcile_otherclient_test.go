package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

// An OutcomeUnknownError of client A (key A, no nonces) reconciled on client B (key B, nonces):
// the error names the key that sent it (StoreKey), so B's fence proves nothing of it: in_flight
// until its bound. (A first version marked every outcome "sent with this key", and B's fence
// "proved" not_found while A's request was still held by the network; it then landed. Found by
// a review.)
func TestReconcileOfAnotherClientsOutcomeWaits(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	ctx := context.Background()
	a := e.client(core.WithTimeout(300 * time.Millisecond))
	if _, err := a.Login(ctx); err != nil {
		t.Fatal(err)
	}
	kb := e.newKey(nil)
	b, err := core.New(core.WithAPIURL(e.url()), core.WithKeys(kb.PublicKey, kb.PrivateKey),
		core.WithTransport(nethttp.New(nil)), core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now()
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultHold, Delay: 2 * time.Second, Cmd: "create_withdrawal"})
	_, err = a.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.25", Currency: "BTC", Address: sandbox.TestAddress("BTC", 3), Note: core.String("x-1")})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		t.Fatalf("err = %v", err)
	}
	res, err := b.Reconcile(ctx, core.QueriesFromOutcome(ou, since)[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("B's verdict on A's operation: %s proven=%v: %s", res.Verdict, res.Proven, res.Detail)
	time.Sleep(2500 * time.Millisecond)
	again, _ := a.Reconcile(ctx, core.ReconcileQuery{Cmd: "create_withdrawal", Amount: "0.25", Currency: "BTC", Address: sandbox.TestAddress("BTC", 3), Note: "x-1", Since: since, SentAt: since, Deadline: since})
	t.Logf("later: %s", again.Verdict)
	if res.Verdict != core.InFlight || res.Proven || again.Verdict != core.Found {
		t.Errorf("B's verdict %s (proven %v), then %s: want in_flight while A's request was held, and it found once it landed", res.Verdict, res.Proven, again.Verdict)
	}
}
