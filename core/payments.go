package core

import (
	"context"
	"iter"
	"strconv"
	"strings"
	"time"
)

// CreateTransactionParams are the fields of create_transaction.
type CreateTransactionParams struct {
	Amount     string // required: price in Currency1, e.g. "12.5"
	Currency1  string // required: pricing currency, e.g. USD
	Currency2  string // required: currency the buyer pays, e.g. BTC
	BuyerEmail string // required
	Address    *string
	BuyerName  *string
	ItemName   *string
	ItemNumber *string
	Invoice    *string
	Custom     *string
	IPNURL     *string // falls back to the account's IPN URL when unset
	SuccessURL *string
	CancelURL  *string
	Extra      Fields
}

// Transaction is the answer of create_transaction.
type Transaction struct {
	TxnID          string        `json:"txn_id"`
	Amount         Amount        `json:"amount"` // what the buyer pays, in Currency2
	Currency       string        `json:"currency"`
	Address        string        `json:"address"`
	ConfirmsNeeded int64         `json:"confirms_needed"`
	Timeout        time.Duration `json:"timeout"`
	CheckoutURL    string        `json:"checkout_url"`
	StatusURL      string        `json:"status_url"`
	QRCodeURL      string        `json:"qrcode_url"`
	Response       *Response     `json:"-"`
}

// CreateTransaction calls create_transaction. It is not retried once it may have reached the
// server (a second call would create a second payment); an OutcomeUnknownError carries the
// invoice/custom to look it up with Reconcile.
func (c *Client) CreateTransaction(ctx context.Context, p *CreateTransactionParams) (*Transaction, error) {
	if p == nil {
		return nil, &ValidationError{Field: "params", Problem: "are required"}
	}
	s := newFieldSet()
	s.amount("amount", p.Amount)
	s.ticker("currency1", p.Currency1)
	s.ticker("currency2", p.Currency2)
	s.required("buyer_email", p.BuyerEmail)
	if p.BuyerEmail != "" && !strings.Contains(p.BuyerEmail, "@") {
		s.fail("buyer_email", p.BuyerEmail, "is not an email address")
	}
	s.opt("address", p.Address)
	s.opt("buyer_name", p.BuyerName)
	s.opt("item_name", p.ItemName)
	s.opt("item_number", p.ItemNumber)
	s.opt("invoice", p.Invoice)
	s.opt("custom", p.Custom)
	s.opt("ipn_url", p.IPNURL)
	s.opt("success_url", p.SuccessURL)
	s.opt("cancel_url", p.CancelURL)
	s.extra(p.Extra)
	f, err := s.done()
	if err != nil {
		return nil, err
	}
	res, err := c.Call(ctx, "create_transaction", f)
	if err != nil {
		return nil, err
	}
	r := res.Result
	// Call answered an "ok" whose amount or txn_id cannot be read as an outcome unknown
	// (unreadableAnswer): never a retryable error, which would invite a second payment.
	amt, _ := r.Get("amount").Amount()
	return &Transaction{
		TxnID:          r.Get("txn_id").Text(),
		Amount:         amt,
		Currency:       f["currency2"],
		Address:        r.Get("address").Text(),
		ConfirmsNeeded: r.Get("confirms_needed").IntOr(0),
		Timeout:        time.Duration(r.Get("timeout").IntOr(0)) * time.Second,
		CheckoutURL:    r.Get("checkout_url").Text(),
		StatusURL:      r.Get("status_url").Text(),
		QRCodeURL:      r.Get("qrcode_url").Text(),
		Response:       res,
	}, nil
}

// CallbackAddress is the answer of get_callback_address.
type CallbackAddress struct {
	Currency string    `json:"currency"`
	Address  string    `json:"address"`
	DestTag  string    `json:"dest_tag,omitempty"`
	Response *Response `json:"-"`
}

// CallbackAddressParams are the optional fields of get_callback_address.
type CallbackAddressParams struct {
	IPNURL *string
	Label  *string
	Extra  Fields
}

// CallbackAddress calls get_callback_address: an address whose deposits send `deposit` IPNs.
func (c *Client) CallbackAddress(ctx context.Context, currency string, p *CallbackAddressParams) (*CallbackAddress, error) {
	s := newFieldSet()
	s.ticker("currency", currency)
	if p != nil {
		s.opt("ipn_url", p.IPNURL)
		s.opt("label", p.Label)
		s.extra(p.Extra)
	}
	f, err := s.done()
	if err != nil {
		return nil, err
	}
	res, err := c.Call(ctx, "get_callback_address", f)
	if err != nil {
		return nil, err
	}
	return &CallbackAddress{Currency: f["currency"], Address: res.Result.Get("address").Text(), DestTag: res.Result.Get("dest_tag").Text(), Response: res}, nil
}

// TxInfo is a payment as get_tx_info reports it.
type TxInfo struct {
	TxnID          string        `json:"txn_id"`
	TimeCreated    time.Time     `json:"time_created"`
	TimeExpires    time.Time     `json:"time_expires"`
	Status         PaymentStatus `json:"status"`
	StatusText     string        `json:"status_text"`
	Type           string        `json:"type"`
	Coin           string        `json:"coin"`
	Amount         Amount        `json:"amount"`
	Received       Amount        `json:"received"`
	RecvConfirms   int64         `json:"recv_confirms"`
	PaymentAddress string        `json:"payment_address"`
	// Checkout holds the checkout details returned with full=1 (invoice, custom, item_name...),
	// as raw JSON text; empty otherwise.
	Checkout Value `json:"-"`
}

// Paid reports whether the payment is paid (status >= 100 or 2).
func (t *TxInfo) Paid() bool { return t.Status.Paid() }

// Failed reports whether the payment was cancelled or timed out.
func (t *TxInfo) Failed() bool { return t.Status.Failed() }

// Pending reports whether the payment still waits for funds or confirmations.
func (t *TxInfo) Pending() bool { return t.Status.Pending() }

func decodeTxInfo(id string, r Value) (*TxInfo, error) {
	t := &TxInfo{
		TxnID:          id,
		Status:         PaymentStatus(r.Get("status").IntOr(0)),
		StatusText:     r.Get("status_text").Text(),
		Type:           r.Get("type").Text(),
		Coin:           r.Get("coin").Text(),
		RecvConfirms:   r.Get("recv_confirms").IntOr(0),
		PaymentAddress: r.Get("payment_address").Text(),
		Checkout:       r.Get("checkout"),
	}
	if v := r.Get("time_created").IntOr(0); v > 0 {
		t.TimeCreated = time.Unix(v, 0).UTC()
	}
	if v := r.Get("time_expires").IntOr(0); v > 0 {
		t.TimeExpires = time.Unix(v, 0).UTC()
	}
	var err error
	if t.Amount, err = exactAmount(r, "amount", "amountf"); err != nil {
		return nil, err
	}
	if t.Received, err = exactAmount(r, "received", "receivedf"); err != nil {
		return nil, err
	}
	return t, nil
}

// TxInfo calls get_tx_info; full adds the checkout details.
func (c *Client) TxInfo(ctx context.Context, txid string, full bool) (*TxInfo, error) {
	if strings.TrimSpace(txid) == "" {
		return nil, &ValidationError{Field: "txid", Problem: "is required"}
	}
	f := Fields{"txid": txid}
	if full {
		f["full"] = "1"
	}
	res, err := c.Call(ctx, "get_tx_info", f)
	if err != nil {
		return nil, err
	}
	t, err := decodeTxInfo(txid, res.Result)
	if err != nil {
		return nil, &TransportError{Cmd: "get_tx_info", HTTPStatus: res.HTTPStatus, Err: err}
	}
	return t, nil
}

// MaxTxInfoMulti is the most ids get_tx_info_multi takes.
const MaxTxInfoMulti = 25

// TxInfoItem is one id's answer in get_tx_info_multi: Info or Err.
type TxInfoItem struct {
	Info *TxInfo
	Err  error
}

// TxInfoMulti calls get_tx_info_multi for up to 25 ids. Each id succeeds or fails alone.
func (c *Client) TxInfoMulti(ctx context.Context, ids []string) (map[string]TxInfoItem, error) {
	if len(ids) == 0 {
		return nil, &ValidationError{Field: "txid", Problem: "give at least one transaction id"}
	}
	if len(ids) > MaxTxInfoMulti {
		return nil, &ValidationError{Field: "txid", Value: strconv.Itoa(len(ids)) + " ids", Problem: "at most 25 ids per call: split the list"}
	}
	for _, id := range ids {
		if strings.TrimSpace(id) == "" || strings.Contains(id, "|") {
			return nil, &ValidationError{Field: "txid", Value: id, Problem: "ids must be non-empty and must not contain '|'"}
		}
	}
	res, err := c.Call(ctx, "get_tx_info_multi", Fields{"txid": strings.Join(ids, "|")})
	if err != nil {
		return nil, err
	}
	out := make(map[string]TxInfoItem, len(ids))
	res.Result.ForEach(func(id string, v Value) bool {
		if e := v.Get("error").Text(); e != "" && e != "ok" {
			out[id] = TxInfoItem{Err: &APIError{Cmd: "get_tx_info_multi", Message: c.red.text(e), HTTPStatus: res.HTTPStatus}}
			return true
		}
		t, err := decodeTxInfo(id, v)
		if err != nil {
			out[id] = TxInfoItem{Err: &TransportError{Cmd: "get_tx_info_multi", HTTPStatus: res.HTTPStatus, Err: err}}
			return true
		}
		out[id] = TxInfoItem{Info: t}
		return true
	})
	return out, nil
}

// TxIDs iterates over transaction ids, newest first, fetching get_tx_ids page by page.
//
//go:noinline
func (c *Client) TxIDs(ctx context.Context, p *ListParams) iter.Seq2[string, error] {
	return paginate(ctx, c, "get_tx_ids", p, func(s string) string { return s }, func(v Value) ([]string, error) {
		var out []string
		v.ForEach(func(_ string, x Value) bool { out = append(out, x.Text()); return true })
		return out, nil
	})
}
