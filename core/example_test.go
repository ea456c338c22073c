package core_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/sandbox"
)

// exampleSandbox starts a local sandbox (wallexkit's emulator of the API) for the examples.
func exampleSandbox() (*sandbox.Server, string, func()) {
	sb, err := sandbox.New(sandbox.Config{})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(sb.Handler())
	return sb, ts.URL + "/api", func() { ts.Close(); sb.Close() }
}

func ExampleNew() {
	sb, apiURL, stop := exampleSandbox()
	defer stop()
	demo := sb.Demo()

	c, err := core.New(
		core.WithAPIURL(apiURL), // default: https://wallexpay.io/api
		core.WithKeys(demo.PublicKey, demo.PrivateKey),
		core.WithTransport(nethttp.New(nil)),
		core.WithNonces(nil), // one nonce-bearing call in flight per key; lets Reconcile prove "not found"
	)
	if err != nil {
		panic(err)
	}
	info, err := c.BasicInfo(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(info.Username, info.PublicName)
	// Output: demo Demo Store
}

func ExampleClient_Balances() {
	sb, apiURL, stop := exampleSandbox()
	defer stop()
	c, _ := core.New(core.WithAPIURL(apiURL), core.WithKeys(sb.Demo().PublicKey, sb.Demo().PrivateKey), core.WithTransport(nethttp.New(nil)))

	bal, err := c.Balances(context.Background(), nil)
	if err != nil {
		panic(err)
	}
	for _, b := range bal.Coins {
		fmt.Println(b.Coin, b.Amount) // exact: base units, printed with 8 decimals
	}
	// Output:
	// BTC 1.50000000
	// ETH 3.00000000
	// LTC 25.00000000
	// LTCT 100.00000000
}

func ExampleClient_CreateTransaction() {
	sb, apiURL, stop := exampleSandbox()
	defer stop()
	c, _ := core.New(core.WithAPIURL(apiURL), core.WithKeys(sb.Demo().PublicKey, sb.Demo().PrivateKey), core.WithTransport(nethttp.New(nil)))
	ctx := context.Background()

	tx, err := c.CreateTransaction(ctx, &core.CreateTransactionParams{
		Amount: "12.50", Currency1: "USD", Currency2: "BTC", BuyerEmail: "buyer@example.com",
		ItemName: core.String("Blue mug"), Invoice: core.String("INV-1001"), // invoice: how Reconcile finds it again
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("buyer pays", tx.Amount, tx.Currency)

	// The sandbox plays the buyer; a real payment arrives from the blockchain.
	if _, err := sb.PayTransaction(tx.TxnID, "", true); err != nil {
		panic(err)
	}
	info, _ := c.TxInfo(ctx, tx.TxnID, false)
	fmt.Println(info.Status, info.Status.State())
	// Output:
	// buyer pays 0.00020000 BTC
	// Complete paid
}

// A withdrawal whose answer is lost (here: the sandbox carries it out, then drops the
// connection). The client never sends it again; Reconcile finds out what happened.
func ExampleClient_Reconcile() {
	sb, apiURL, stop := exampleSandbox()
	defer stop()
	c, _ := core.New(core.WithAPIURL(apiURL), core.WithKeys(sb.Demo().PublicKey, sb.Demo().PrivateKey),
		core.WithTransport(nethttp.New(nil)), core.WithNonces(nil), core.WithFencePause(10*time.Millisecond))
	ctx := context.Background()
	_, _ = c.Login(ctx)
	_ = sb.InjectFault(sandbox.Fault{Kind: sandbox.FaultCommitDrop, Cmd: "create_withdrawal"})

	_, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: "0.25", Currency: "BTC",
		Address: sandbox.TestAddress("BTC", 1), Note: core.String("payout-7")})
	var ou *core.OutcomeUnknownError
	if !errors.As(err, &ou) {
		panic(err)
	}
	fmt.Println(core.CodeOf(err), "retry safe:", core.IsRetryable(err))

	res, err := c.Reconcile(ctx, core.QueriesFromOutcome(ou, time.Now().Add(-time.Minute))[0])
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Verdict, "proven:", res.Proven)
	// Output:
	// outcome_unknown retry safe: false
	// found proven: true
}

// A host that serves many requests, each with its own client (its own token cache, its own turn
// for nonces), checks the options once and derives a client per request.
func ExampleClient_Derive() {
	sb, apiURL, stop := exampleSandbox()
	defer stop()
	base, err := core.New(core.WithAPIURL(apiURL), core.WithKeys(sb.Demo().PublicKey, sb.Demo().PrivateKey), core.WithTransport(nethttp.New(nil)))
	if err != nil {
		panic(err)
	}
	shared := core.NewMemoryStore() // the host's token store: one login serves every request
	for range 2 {
		c, err := base.Derive(core.WithTokenStore(shared))
		if err != nil {
			panic(err)
		}
		info, err := c.BasicInfo(context.Background())
		if err != nil {
			panic(err)
		}
		fmt.Println(info.Username)
	}
	fmt.Println("logins:", sb.Stats(sb.Demo().PublicKey).Logins)
	// Output:
	// demo
	// demo
	// logins: 1
}
