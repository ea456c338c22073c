package core_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

func TestMassWithdrawalPerItem(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	mw, err := c.CreateMassWithdrawal(ctx, []core.MassWithdrawalItem{
		{Key: "a", Amount: "0.1", Currency: "BTC", Address: "bc1qa", Note: core.String("a")},
		{Key: "b", Amount: "5000", Currency: "BTC", Address: "bc1qb"}, // more than the balance
		{Key: "c", Amount: "1", Currency: "LTC", Address: "Lc"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res := mw.Results
	if res[0].Withdrawal == nil || res[0].Withdrawal.ID == "" || res[1].Err == nil || res[2].Withdrawal == nil {
		t.Fatalf("results = %+v", res)
	}
	w, err := c.WithdrawalInfo(ctx, res[0].Withdrawal.ID)
	if err != nil || w.Amount.String() != "0.10000000" || w.SendAddress != "bc1qa" || w.Coin != "BTC" {
		t.Fatalf("info = %+v %v", w, err)
	}
}

func TestTransferAndConvert(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client()
	ctx := context.Background()
	other, err := e.sb.CreateAccount(sandbox.AccountSpec{Username: "other"})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := c.CreateTransfer(ctx, &core.TransferParams{Amount: "0.5", Currency: "BTC", Merchant: core.String(other.MerchantID), AutoConfirm: core.Bool(true)})
	if err != nil || tr.ID == "" {
		t.Fatalf("transfer = %+v %v", tr, err)
	}
	bals, _ := e.sb.Balances(other.MerchantID)
	if bals["BTC"] != "0.50000000" {
		t.Fatalf("receiver balances = %v", bals)
	}
	cv, err := c.Convert(ctx, &core.ConvertParams{Amount: "0.1", From: "BTC", To: "LTC"})
	if err != nil || cv.ID == "" || cv.Response == nil {
		t.Fatalf("convert = %+v %v", cv, err)
	}
	bal, _ := c.Balances(ctx, nil)
	if bal.Get("BTC").String() != "0.90000000" {
		t.Fatalf("BTC after transfer and convert = %s", bal.Get("BTC"))
	}
	if _, err := c.CallbackAddress(ctx, "LTC", &core.CallbackAddressParams{Label: core.String("shop")}); err != nil {
		t.Fatal(err)
	}
}

// replayOnDrop stands for a browser's HTTP stack: when a request on a reused connection dies
// without an answer, it sends the same bytes again and hands back the second answer.
type replayOnDrop struct{ next core.Transport }

func (r replayOnDrop) RoundTrip(ctx context.Context, req *core.Request) (*core.HTTPResponse, error) {
	res, err := r.next.RoundTrip(ctx, req)
	if err != nil && !core.IsNotSent(err) {
		return r.next.RoundTrip(ctx, req)
	}
	return res, err
}

func TestReplayedMoneyCallIsNotPaidTwice(t *testing.T) {
	e := newEnv(t, sandbox.Config{})
	c := e.client(core.WithNonces(nil), core.WithTransport(replayOnDrop{next: nethttp.New(nil)}))
	ctx := context.Background()
	c.Login(ctx)
	e.sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})
	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.2", Currency: "BTC", Address: "bc1qreplay"})
	var ou *core.OutcomeUnknownError
	var ne *core.NonceError
	if !errors.As(err, &ou) || !errors.As(err, &ne) {
		t.Fatalf("err = %v, want outcome unknown wrapping the nonce refusal of the replayed copy", err)
	}
	n := 0
	for w, err := range c.WithdrawalHistory(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if w.SendAddress == "bc1qreplay" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d withdrawals, want exactly 1", n)
	}
	// Reads are still resent after a nonce refusal.
	if _, err := c.BasicInfo(ctx); err != nil {
		t.Fatal(err)
	}
}
