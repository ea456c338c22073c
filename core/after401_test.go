package core_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

// After a 401 of a money request that may have been carried out (an HTTP stack's resent copy got
// the 401 after the first copy landed: sandbox FaultCommitStatus 401), the request may only be
// sent again with the SAME nonce, and every way the resend fails must leave the outcome unknown.
// Three ways it did not:
//   - the resend fails before it leaves (NotSent: a dial refused): do() backs off and sends a
//     third attempt with a NEW nonce, which the API carried out: paid twice by the tool itself
//     (the retry now keeps the first copy's nonce);
//   - the resend is answered 429: RateLimitError (retryable), the op is recorded "refused";
//   - the resend is answered 401 again: AuthError, the op is recorded "refused".
//
// In the last two, ReconcileOp answered not_found, proven ("the API refused it, so nothing
// moved"), and the CLI's Next line says "safe to send it again".
func TestMoneyAfter401ResendFailureIsUnknown(t *testing.T) {
	cases := []struct {
		name     string
		notSent  bool           // the resend (2nd create_withdrawal) fails before it leaves
		resendFx *sandbox.Fault // or: what the sandbox answers the resend
	}{
		{name: "resend not sent, then retried with a new nonce", notSent: true},
		{name: "resend answered 429", resendFx: &sandbox.Fault{Kind: sandbox.FaultStatus, Status: 429, Cmd: "create_withdrawal"}},
		{name: "resend answered 401 again", resendFx: &sandbox.Fault{Kind: sandbox.FaultStatus, Status: 401, Cmd: "create_withdrawal"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sandbox.Config{})
			var sends atomic.Int32
			base := nethttp.New(nil)
			tr := core.TransportFunc(func(ctx context.Context, r *core.Request) (*core.HTTPResponse, error) {
				if strings.HasSuffix(r.URL, "/create_withdrawal") && sends.Add(1) == 2 && tc.notSent {
					return nil, core.NotSent(errors.New("dial tcp 127.0.0.1:443: connect: connection refused"))
				}
				return base.RoundTrip(ctx, r)
			})
			c := e.client(core.WithNonces(nil), core.WithTransport(tr), core.WithOpStore(core.NewMemoryStore()),
				core.WithFencePause(10*time.Millisecond))
			ctx := context.Background()
			if _, err := c.Login(ctx); err != nil {
				t.Fatal(err)
			}
			e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitStatus, Status: 401, Cmd: "create_withdrawal"})
			if tc.resendFx != nil {
				e.sb.InjectFault(*tc.resendFx)
			}
			addr := sandbox.NewAddress("BTC")
			note := "order-9"
			_, err := c.CreateWithdrawal(core.WithOperationID(ctx, "op-9"),
				&core.WithdrawalParams{Amount: "0.1", Currency: "BTC", Address: addr, Note: &note})
			n := countTo(t, c, addr)
			var ou *core.OutcomeUnknownError
			if !errors.As(err, &ou) {
				t.Errorf("err = %v (retryable %v), want outcome unknown: the first copy was carried out", err, core.IsRetryable(err))
			}
			if n != 1 {
				t.Errorf("%d withdrawals to the address after one CreateWithdrawal, want 1 (paid twice)", n)
			}
			res, rerr := c.ReconcileOp(ctx, "op-9")
			if rerr != nil {
				t.Fatal(rerr)
			}
			if res.Verdict == core.NotFound {
				t.Errorf("ReconcileOp = not_found (proven %v: %s), but %d withdrawal(s) were carried out: 'safe to send it again' pays twice", res.Proven, res.Detail, n)
			}
		})
	}
}
