package statement_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/nethttp"
	"github.com/wallexkit/wallexkit/core/statement"
	"github.com/wallexkit/wallexkit/sandbox"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func TestStatement(t *testing.T) {
	day1 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	clk := &clock{t: day1}
	sb, err := sandbox.New(sandbox.Config{Now: clk.now, TokenTTL: 24 * 365 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	ts := httptest.NewServer(sb.Handler())
	defer ts.Close()
	demo := sb.Demo()
	c, err := core.New(core.WithAPIURL(ts.URL+"/api"), core.WithKeys(demo.PublicKey, demo.PrivateKey), core.WithTransport(nethttp.New(nil)), core.WithNonces(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	str := func(s string) *string { return &s }
	yes := true
	pay := func(amount, cur1, cur2, invoice string) *core.Transaction {
		tx, err := c.CreateTransaction(ctx, &core.CreateTransactionParams{Amount: amount, Currency1: cur1, Currency2: cur2,
			BuyerEmail: "buyer@example.com", Invoice: str(invoice), ItemName: str("Blue mug, =1+1")})
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	withdraw := func(amount, coin string) string {
		w, err := c.CreateWithdrawal(ctx, &core.WithdrawalParams{Amount: amount, Currency: coin, Address: sandbox.NewAddress(coin), AutoConfirm: &yes, Note: str("order " + amount)})
		if err != nil {
			t.Fatal(err)
		}
		return w.ID
	}

	a := pay("12.50", "USD", "LTCT", "INV-1") // paid in full
	b := pay("20", "USD", "LTCT", "INV-2")    // paid in part: still pending
	pay("0.001", "BTC", "BTC", "INV-3")       // priced in a coin, not paid
	if _, err := sb.PayTransaction(a.TxnID, "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.PayTransaction(b.TxnID, "0.1", false); err != nil {
		t.Fatal(err)
	}
	w1 := withdraw("0.5", "LTCT")
	withdraw("0.25", "LTCT") // left pending
	if _, err := sb.CompleteWithdrawal(w1); err != nil {
		t.Fatal(err)
	}
	clk.set(day1.Add(48 * time.Hour)) // outside the range
	pay("99", "USD", "LTCT", "INV-LATER")
	withdraw("1", "LTCT")

	st, err := statement.Build(ctx, c, statement.Params{From: day1.Truncate(24 * time.Hour), To: day1.Truncate(24 * time.Hour).Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Rows) != 5 {
		t.Fatalf("%d rows, want 5: %+v", len(st.Rows), st.Rows)
	}
	var paid, pending int
	for _, r := range st.Rows {
		if r.Invoice == "INV-LATER" {
			t.Fatal("a payment outside the range is in")
		}
		if r.Kind == statement.Payment && r.State == "paid" {
			paid++
			if r.Invoice != "INV-1" || r.FiatCurrency != "USD" || r.FiatValue.Text() != "12.5" || r.ItemName != "Blue mug, =1+1" {
				t.Fatalf("paid row: %+v %+v", r, r.Details)
			}
		}
		if r.Kind == statement.Payout && r.State == "pending" {
			pending++
		}
		if r.Invoice == "INV-3" && r.FiatCurrency != "" {
			t.Fatalf("a price in BTC is not a fiat value: %+v", r)
		}
	}
	if paid != 1 || pending != 1 {
		t.Fatalf("paid %d, pending payouts %d", paid, pending)
	}
	if len(st.Totals) != 2 { // BTC (an unpaid payment) and LTCT
		t.Fatalf("totals %+v", st.Totals)
	}
	lt := st.Totals[1]
	aInfo, _ := sb.GetTransaction(a.TxnID)
	aAmount := core.MustParseAmount(aInfo.Amount)
	if lt.Coin != "LTCT" || lt.PaidCount != 1 || lt.PaymentsPaid != aAmount ||
		lt.PayoutsSent.Text() != "0.5" || lt.PayoutsPending.Text() != "0.25" || lt.Net.Units() != aAmount.Units()-50_000_000 {
		t.Fatalf("LTCT total %+v (payment a: %s)", lt, aInfo.Amount)
	}
	if len(st.Prices) != 1 || st.Prices[0].Currency != "USD" || st.Prices[0].Paid.Text() != "12.5" {
		t.Fatalf("prices %+v", st.Prices)
	}

	recs, err := csv.NewReader(bytes.NewReader(st.CSV())).ReadAll()
	if err != nil || len(recs) != 6 || strings.Join(recs[0], ",") != strings.Join(statement.Header, ",") {
		t.Fatalf("csv: %v %d rows", err, len(recs))
	}
	for _, rec := range recs[1:] {
		if rec[0] == "payment" && rec[12] != "'Blue mug, =1+1" && rec[12] != "Blue mug, =1+1" {
			t.Fatalf("item cell %q", rec[12])
		}
		if !strings.Contains(rec[6], ".") || len(strings.Split(rec[6], ".")[1]) != 8 {
			t.Fatalf("amount %q not exact to 8 decimals", rec[6])
		}
	}

	// Known details need no get_tx_info; a range that ends before it starts is refused.
	sb.ResetStats(demo.PublicKey)
	if _, err := statement.Build(ctx, c, statement.Params{From: st.From, To: st.To, Payments: true, Details: st.Details}); err != nil {
		t.Fatal(err)
	}
	if n := sb.Stats(demo.PublicKey).ByCmd["get_tx_info"]; n != 0 {
		t.Fatalf("%d get_tx_info calls with every detail known", n)
	}
	if _, err := statement.Build(ctx, c, statement.Params{From: st.To, To: st.From}); core.CodeOf(err) != core.CodeInvalidInput {
		t.Fatalf("reversed range: %v", err)
	}
}
