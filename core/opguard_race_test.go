package core_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/filestore"
	"github.com/wallexkit/wallexkit/sandbox"
)

// Two CLI processes on one state file, nonces off (WALLEX_NONCE=0), the same withdrawal: the
// first process is slow (login, then its withdrawal), the merchant runs the same command again in
// a second terminal. The second process's beginOp looks for an identical unresolved operation
// before its own (slow) login, finds none yet, and writes its record and sends after the login
// without looking again, although by then the first process's record is there, "sending": the
// identical-request guard ("refused while one is unsettled") never fired: paid twice. The first
// write of a record now checks again, in one step under the state file's lock (OpClaimer).
func TestIdenticalRequestGuardHoldsAcrossProcesses(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	path := filepath.Join(t.TempDir(), "state.json")
	proc := func() *core.Client { // one CLI process: its own Store on the shared file
		s, err := filestore.New(path, []byte(e.demo.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		return e.client(core.WithTokenStore(s), core.WithOpStore(s))
	}
	a, b := proc(), proc()
	ctx := context.Background()
	params := func() *core.WithdrawalParams {
		return &core.WithdrawalParams{Amount: "0.3", Currency: "BTC", Address: "bc1qrace", Note: core.String("order-11")}
	}
	// Both processes must log in (no token yet, or it expired), over a slow network; the first
	// one's withdrawal is slow too (still unsettled while the second process gets to send).
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: 400 * time.Millisecond, Cmd: "login"})
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: 600 * time.Millisecond, Cmd: "login"})
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultDelay, Delay: time.Second, Cmd: "create_withdrawal"})
	var wg sync.WaitGroup
	var errA error
	wg.Add(1)
	go func() { defer wg.Done(); _, errA = a.CreateWithdrawal(ctx, params()) }()
	time.Sleep(150 * time.Millisecond) // the merchant, impatient, runs it again
	_, errB := b.CreateWithdrawal(ctx, params())
	wg.Wait()
	var pe *core.PendingOpError
	refused := errors.As(errA, &pe) || errors.As(errB, &pe)
	if n := countTo(t, a, "bc1qrace"); n != 1 || !refused {
		t.Fatalf("%d withdrawals to the address (first: %v, second: %v); want 1, the second refused as pending", n, errA, errB)
	}
}
