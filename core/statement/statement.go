// Package statement builds a merchant's statement for a date range from the API: payments
// (get_tx_ids, then get_tx_info_multi in groups of 25, then get_tx_info with full=1 once per
// payment for its price and invoice) and payouts (get_withdrawal_history), with totals per coin
// and per pricing currency, and a CSV export with exact amounts. The CLI ('wallexkit statement')
// and the console (the bridge's statement) both use it, so a statement is the same everywhere.
package statement

import (
	"context"
	"github.com/wallexkit/wallexkit/internal/order"
	"strconv"
	"time"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/internal/csvtext"
	"github.com/wallexkit/wallexkit/core/payout"
)

// Kinds of rows.
const (
	Payment = "payment"
	Payout  = "payout"
)

// Params choose the range and what goes in.
type Params struct {
	From, To time.Time // rows created at From or later and before To; both required
	// Payments and Payouts choose the kinds of rows; both false means both.
	Payments, Payouts bool
	// Details are payment details already known (they never change once a payment exists),
	// keyed by txn id: those payments need no get_tx_info call. Statement.Details returns them
	// with the ones it fetched, for the caller to keep.
	Details map[string]*Details
	// MaxRows stops with an error past this many rows (0 = 10000), so that a range too wide
	// is said, not half-shown.
	MaxRows int
}

// Details are what a payment was created with (get_tx_info with full=1).
type Details struct {
	Invoice       string      `json:"invoice,omitempty"`
	ItemName      string      `json:"item_name,omitempty"`
	ItemNumber    string      `json:"item_number,omitempty"`
	Custom        string      `json:"custom,omitempty"`
	BuyerName     string      `json:"buyer_name,omitempty"`
	BuyerEmail    string      `json:"buyer_email,omitempty"`
	Price         core.Amount `json:"price,omitzero"`           // the amount the merchant asked, in PriceCurrency
	PriceCurrency string      `json:"price_currency,omitempty"` // currency1 of create_transaction
}

// Row is one payment or payout.
type Row struct {
	Kind       string      `json:"kind"` // Payment or Payout
	ID         string      `json:"id"`   // txn id or withdrawal id
	Time       time.Time   `json:"time"`
	Status     int64       `json:"status"`      // the API's number
	StatusText string      `json:"status_text"` // in a merchant's words
	State      string      `json:"state"`       // payments: paid, pending, failed; payouts: complete, pending, cancelled
	Coin       string      `json:"coin"`
	Amount     core.Amount `json:"amount"`            // asked (payment) or sent (payout), exact
	Received   core.Amount `json:"received,omitzero"` // payments: received so far
	Address    string      `json:"address"`           // payment address, or the payout's destination
	TxID       string      `json:"txid,omitempty"`    // payouts: the chain transaction once complete
	Note       string      `json:"note,omitempty"`    // payouts: the note it was sent with
	Details                // payments: what it was created with (empty for payouts)
	// FiatValue is the payment's value in a fiat currency at the time it was made, where known:
	// its own price when it was priced in fiat. Empty otherwise.
	FiatValue    core.Amount `json:"fiat_value,omitzero"`
	FiatCurrency string      `json:"fiat_currency,omitempty"`
}

// Total sums one coin's rows: payments paid (their asked amount), payouts complete and payouts
// still pending (awaiting confirmation or on their way); Net is paid minus complete.
type Total struct {
	Coin           string      `json:"coin"`
	PaymentsPaid   core.Amount `json:"payments_paid"`
	PaidCount      int         `json:"paid_count"`
	PayoutsSent    core.Amount `json:"payouts_sent"`
	SentCount      int         `json:"sent_count"`
	PayoutsPending core.Amount `json:"payouts_pending"`
	PendingCount   int         `json:"pending_count"`
	Net            core.Amount `json:"net"`
}

// PriceTotal sums the prices of paid payments in one pricing currency (e.g. USD).
type PriceTotal struct {
	Currency string      `json:"currency"`
	Paid     core.Amount `json:"paid"`
	Count    int         `json:"count"`
}

// Statement is the result: rows newest first, totals sorted by coin and currency.
type Statement struct {
	From    time.Time           `json:"from"`
	To      time.Time           `json:"to"`
	Rows    []Row               `json:"rows"`
	Totals  []Total             `json:"totals"`
	Prices  []PriceTotal        `json:"prices"`
	Details map[string]*Details `json:"-"`
}

// Build reads the range from the API. Reads only: it never moves money.
func Build(ctx context.Context, c *core.Client, p Params) (*Statement, error) {
	if p.From.IsZero() || p.To.IsZero() {
		return nil, &core.ValidationError{Field: "range", Problem: "needs a start and an end date, e.g. --from 2026-11-01 --to 2026-12-01"}
	}
	if !p.To.After(p.From) {
		return nil, &core.ValidationError{Field: "range", Value: p.From.UTC().Format(time.DateOnly) + " to " + p.To.UTC().Format(time.DateOnly), Problem: "ends before it starts: the end must be after the start"}
	}
	max := p.MaxRows
	if max <= 0 {
		max = 10000
	}
	both := !p.Payments && !p.Payouts
	s := &Statement{From: p.From.UTC(), To: p.To.UTC(), Details: map[string]*Details{}}
	for id, d := range p.Details {
		s.Details[id] = d
	}
	tooMany := func() error {
		return &core.ValidationError{Field: "range", Problem: "holds more than " + strconv.Itoa(max) + " rows: choose a shorter range"}
	}
	// list: "newer" is strictly after a unix second, so ask from one second before From.
	list := &core.ListParams{Newer: p.From.Add(-time.Second)}
	if both || p.Payments {
		var ids []string
		for id, err := range c.TxIDs(ctx, list) {
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
			if len(ids) > 4*max {
				return nil, tooMany()
			}
		}
		for start := 0; start < len(ids); start += core.MaxTxInfoMulti {
			group := ids[start:min(start+core.MaxTxInfoMulti, len(ids))]
			infos, err := c.TxInfoMulti(ctx, group)
			if err != nil {
				return nil, err
			}
			for _, id := range group {
				it, ok := infos[id]
				if !ok || it.Err != nil || it.Info == nil {
					if it.Err != nil {
						return nil, it.Err
					}
					continue // the answer says nothing of it: not one of ours any more
				}
				t := it.Info
				if t.TimeCreated.Before(p.From) || !t.TimeCreated.Before(p.To) {
					continue
				}
				row := Row{Kind: Payment, ID: id, Time: t.TimeCreated.UTC(), Status: int64(t.Status), StatusText: t.Status.String(),
					State: string(t.Status.State()), Coin: t.Coin, Amount: t.Amount, Received: t.Received, Address: t.PaymentAddress}
				d := s.Details[id]
				if d == nil {
					full, err := c.TxInfo(ctx, id, true)
					if err != nil {
						return nil, err
					}
					d = detailsOf(full.Checkout)
					s.Details[id] = d
				}
				row.Details = *d
				s.Rows = append(s.Rows, row)
				if len(s.Rows) > max {
					return nil, tooMany()
				}
			}
		}
	}
	if both || p.Payouts {
		for w, err := range c.WithdrawalHistory(ctx, list) {
			if err != nil {
				return nil, err
			}
			if w.TimeCreated.Before(p.From) || !w.TimeCreated.Before(p.To) {
				continue
			}
			s.Rows = append(s.Rows, Row{Kind: Payout, ID: w.ID, Time: w.TimeCreated.UTC(), Status: int64(w.Status), StatusText: w.Status.String(),
				State: payoutState(w.Status), Coin: w.Coin, Amount: w.Amount, Address: w.SendAddress, TxID: w.SendTxID, Note: w.Note})
			if len(s.Rows) > max {
				return nil, tooMany()
			}
		}
	}
	rates, err := c.Rates(ctx, &core.RatesParams{Short: true})
	if err != nil {
		return nil, err
	}
	for i := range s.Rows {
		r := &s.Rows[i]
		if r.PriceCurrency != "" {
			if rt, ok := rates.Get(r.PriceCurrency); ok && rt.IsFiat {
				r.FiatValue, r.FiatCurrency = r.Price, r.PriceCurrency
			}
		}
	}
	order.Slice(len(s.Rows), func(i, j int) bool {
		a, b := &s.Rows[i], &s.Rows[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.After(b.Time) // newest first
		}
		return a.ID < b.ID
	}, func(i, j int) { s.Rows[i], s.Rows[j] = s.Rows[j], s.Rows[i] })
	if err := s.total(); err != nil {
		return nil, err
	}
	return s, nil
}

// payoutState is a withdrawal status in three words: complete, cancelled, or pending (awaiting
// email confirmation or on its way).
func payoutState(st core.WithdrawalStatus) string {
	switch {
	case st == core.WithdrawalComplete:
		return "complete"
	case st < 0:
		return "cancelled"
	}
	return "pending"
}

func detailsOf(v core.Value) *Details {
	d := &Details{
		Invoice: v.Get("invoice").Text(), ItemName: v.Get("item_name").Text(), ItemNumber: v.Get("item_number").Text(),
		Custom: v.Get("custom").Text(), BuyerName: v.Get("buyer_name").Text(), BuyerEmail: v.Get("buyer_email").Text(),
		PriceCurrency: v.Get("currency").Text(),
	}
	if a, err := core.ParseAmount(v.Get("amountf").Text()); err == nil {
		d.Price = a
	} else if a, err := v.Get("amount").Units(); err == nil {
		d.Price = a
	}
	return d
}

func (s *Statement) total() error {
	coins := map[string]*Total{}
	prices := map[string]*PriceTotal{}
	add := func(dst *core.Amount, a core.Amount) error {
		sum, err := dst.Add(a)
		*dst = sum
		return err
	}
	for _, r := range s.Rows {
		t := coins[r.Coin]
		if t == nil {
			t = &Total{Coin: r.Coin}
			coins[r.Coin] = t
		}
		var err error
		switch {
		case r.Kind == Payment && r.State == string(core.StatePaid):
			t.PaidCount++
			err = add(&t.PaymentsPaid, r.Amount)
			if err == nil && r.PriceCurrency != "" {
				pt := prices[r.PriceCurrency]
				if pt == nil {
					pt = &PriceTotal{Currency: r.PriceCurrency}
					prices[r.PriceCurrency] = pt
				}
				pt.Count++
				err = add(&pt.Paid, r.Price)
			}
		case r.Kind == Payout && r.State == "complete":
			t.SentCount++
			err = add(&t.PayoutsSent, r.Amount)
		case r.Kind == Payout && r.State == "pending":
			t.PendingCount++
			err = add(&t.PayoutsPending, r.Amount)
		}
		if err != nil {
			return &core.ValidationError{Field: "totals", Problem: "do not fit: " + err.Error()}
		}
	}
	for _, t := range coins {
		neg := core.AmountFromUnits(-t.PayoutsSent.Units())
		net, err := t.PaymentsPaid.Add(neg)
		if err != nil {
			return &core.ValidationError{Field: "totals", Problem: "do not fit: " + err.Error()}
		}
		t.Net = net
		s.Totals = append(s.Totals, *t)
	}
	order.Slice(len(s.Totals), func(i, j int) bool { return s.Totals[i].Coin < s.Totals[j].Coin }, func(i, j int) { s.Totals[i], s.Totals[j] = s.Totals[j], s.Totals[i] })
	for _, p := range prices {
		s.Prices = append(s.Prices, *p)
	}
	order.Slice(len(s.Prices), func(i, j int) bool { return s.Prices[i].Currency < s.Prices[j].Currency }, func(i, j int) { s.Prices[i], s.Prices[j] = s.Prices[j], s.Prices[i] })
	return nil
}

// Header is the first line of CSV.
var Header = []string{"kind", "id", "time_utc", "status", "state", "coin", "amount", "received", "address", "txid", "note",
	"invoice", "item_name", "item_number", "custom", "buyer_email", "price", "price_currency", "fiat_value", "fiat_currency"}

// CSV is the statement as a spreadsheet: one line per row in the order of Rows, amounts with
// the 8 decimals the API uses, times in UTC (RFC 3339), every cell defused against formulas.
func (s *Statement) CSV() []byte {
	buf := csvtext.AppendRecord(nil, Header)
	for _, r := range s.Rows {
		d := r.Details
		received, price, fiat := "", "", ""
		if r.Kind == Payment {
			received = r.Received.String()
			if d.PriceCurrency != "" {
				price = d.Price.String()
			}
		}
		if r.FiatCurrency != "" {
			fiat = r.FiatValue.String()
		}
		rec := []string{r.Kind, r.ID, r.Time.Format(time.RFC3339), strconv.FormatInt(r.Status, 10), r.State, r.Coin, r.Amount.String(),
			received, r.Address, r.TxID, r.Note, d.Invoice, d.ItemName, d.ItemNumber, d.Custom, d.BuyerEmail, price, d.PriceCurrency, fiat, r.FiatCurrency}
		for i := range rec {
			rec[i] = payout.DefuseCell(rec[i])
		}
		buf = csvtext.AppendRecord(buf, rec)
	}
	return buf
}
