package core

import (
	"context"
	"errors"
	"iter"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// TransferParams are the fields of create_transfer. Exactly one of Merchant and ToAddress.
type TransferParams struct {
	Amount      string  // required
	Currency    string  // required
	Merchant    *string // merchant ID (not username) of another Wallex merchant
	ToAddress   *string // or an address, where the coin needs a withdrawal
	AutoConfirm *bool   // skip the email confirmation
	Extra       Fields
}

// Transfer is the answer of create_transfer.
type Transfer struct {
	ID       string         `json:"id"`
	Status   TransferStatus `json:"status"` // 0 awaiting email confirmation, 1 created
	Response *Response      `json:"-"`
}

// CreateTransfer calls create_transfer. It moves money: it is never resent once it may have
// reached the server.
func (c *Client) CreateTransfer(ctx context.Context, p *TransferParams) (*Transfer, error) {
	if p == nil {
		return nil, &ValidationError{Field: "params", Problem: "are required"}
	}
	s := newFieldSet()
	s.amount("amount", p.Amount)
	s.ticker("currency", p.Currency)
	switch {
	case p.Merchant != nil && p.ToAddress != nil:
		s.fail("merchant/toaddress", "", "give exactly one of merchant and toaddress, not both")
	case p.Merchant == nil && p.ToAddress == nil:
		s.fail("merchant/toaddress", "", "give exactly one of merchant (a merchant ID) and toaddress")
	case p.Merchant != nil:
		s.required("merchant", *p.Merchant)
	default:
		s.required("toaddress", *p.ToAddress)
	}
	s.optBool("auto_confirm", p.AutoConfirm)
	s.extra(p.Extra)
	f, err := s.done()
	if err != nil {
		return nil, err
	}
	res, err := c.Call(ctx, "create_transfer", f)
	if err != nil {
		return nil, err
	}
	return &Transfer{ID: res.Result.Get("id").Text(), Status: TransferStatus(res.Result.Get("status").IntOr(0)), Response: res}, nil
}

// WithdrawalParams are the fields of create_withdrawal.
type WithdrawalParams struct {
	Amount      string // required
	Currency    string // required
	Address     string // required unless PBNTag is set
	PBNTag      *string
	AddTxFee    *bool   // add the coin's fee to the amount instead of taking it out
	Currency2   *string // send the value of Amount given in Currency2
	DestTag     *string
	IPNURL      *string
	AutoConfirm *bool
	Note        *string // kept with the withdrawal; also how Reconcile tells payouts apart
	Extra       Fields
}

// NewReference is a note for a withdrawal the person gave none: "wk:" and 10 random hex digits
// (the console's and the CLI's default). Reconcile finds an operation of unknown outcome by its
// note (ReconcileQuery.Note): without one, two withdrawals of the same amount of a coin to the
// same address are told apart by nothing, and the verdict is "ambiguous" where it could be
// "found". The guards do not depend on it: an unsettled or recently paid withdrawal like this one
// is the same operation whatever the notes (sameOperation, WithDuplicateCheck).
//
// It needs to be unique, not secret: math/rand/v2's generator (seeded from the system's
// randomness, already in the wasm build) keeps crypto/rand out of the bridge's size budget.
func NewReference() string {
	h := strconv.FormatUint(rand.Uint64()>>24|1<<40, 16) // 40 random bits, and a leading 1 to keep the zeros
	return "wk:" + h[1:]
}

// WithdrawalSplit is what one withdrawal takes from the balance and what its address receives.
// Debited or Received is nil when it depends on a network fee that is not known.
type WithdrawalSplit struct {
	Debited  *Amount `json:"debited,omitempty"`  // taken from the balance: the amount, plus the fee with add_tx_fee
	Fee      *Amount `json:"fee,omitempty"`      // the coin's network fee (rates' tx_fee); nil when not known
	Received *Amount `json:"received,omitempty"` // what the address receives: the amount, less the fee without add_tx_fee
}

// SplitWithdrawal is the one rule for a withdrawal of amount with the coin's network fee
// (nil when not known; a fee of zero or less counts as not known, as rates lists no fee for
// some coins): without add_tx_fee the fee is taken out of the amount (the address receives
// less); with it the fee is added on top (the balance pays more). An amount that does not
// cover the fee taken out of it is an error: the address would receive nothing.
func SplitWithdrawal(amount Amount, fee *Amount, addTxFee bool) (WithdrawalSplit, error) {
	if fee != nil && fee.Sign() <= 0 {
		fee = nil
	}
	s := WithdrawalSplit{Fee: fee}
	if addTxFee {
		s.Received = &amount
		if fee != nil {
			d, err := amount.Add(*fee)
			if err != nil {
				return s, err
			}
			s.Debited = &d
		}
		return s, nil
	}
	s.Debited = &amount
	if fee != nil {
		r := Amount{units: amount.units - fee.units}
		if r.Sign() <= 0 {
			return s, &ValidationError{Field: "amount", Value: amount.Text(),
				Problem: "does not cover the network fee (" + fee.Text() + ") taken out of it: the address would receive nothing; send more, or add the fee on top"}
		}
		s.Received = &r
	}
	return s, nil
}

// Withdrawal is the answer of create_withdrawal.
type Withdrawal struct {
	ID       string           `json:"id"`
	Status   WithdrawalStatus `json:"status"`
	Amount   Amount           `json:"amount"`
	Response *Response        `json:"-"`
}

func (p *WithdrawalParams) fields(prefix func(string) string, s *fieldSet) {
	s.amount(prefix("amount"), p.Amount)
	s.ticker(prefix("currency"), p.Currency)
	if p.PBNTag != nil {
		s.required(prefix("pbntag"), *p.PBNTag)
		if p.Address != "" {
			s.fail(prefix("address"), "", "give an address or a pbntag, not both")
		}
	} else {
		s.required(prefix("address"), p.Address)
	}
	s.optBool(prefix("add_tx_fee"), p.AddTxFee)
	s.optTicker(prefix("currency2"), p.Currency2)
	if p.DestTag != nil && *p.DestTag != "" && takesNoTag(p.Currency) {
		// a tag the coin has no use for is a mistake (a memo meant for the note?), and as part
		// of the destination it would make a payment look unlike the same one made without it
		s.fail(prefix("dest_tag"), *p.DestTag, "is for coins such as XRP: "+strings.ToUpper(p.Currency)+" addresses take no destination tag, leave it out")
	}
	s.opt(prefix("dest_tag"), p.DestTag)
	s.opt(prefix("ipn_url"), p.IPNURL)
	s.optBool(prefix("auto_confirm"), p.AutoConfirm)
	s.opt(prefix("note"), p.Note)
}

// CreateWithdrawal calls create_withdrawal. It moves money: it is never resent once it may
// have reached the server; an OutcomeUnknownError carries what Reconcile needs.
func (c *Client) CreateWithdrawal(ctx context.Context, p *WithdrawalParams) (*Withdrawal, error) {
	if p == nil {
		return nil, &ValidationError{Field: "params", Problem: "are required"}
	}
	s := newFieldSet()
	p.fields(func(k string) string { return k }, s)
	s.extra(p.Extra)
	f, err := s.done()
	if err != nil {
		return nil, err
	}
	res, err := c.Call(ctx, "create_withdrawal", f)
	if err != nil {
		return nil, err
	}
	w := &Withdrawal{ID: res.Result.Get("id").Text(), Status: WithdrawalStatus(res.Result.Get("status").IntOr(0)), Response: res}
	w.Amount, _ = res.Result.Get("amount").Amount()
	return w, nil
}

// MassWithdrawalItem is one payout of create_mass_withdrawal. Key names it in the request
// (wd[Key][…]) and in the answer.
type MassWithdrawalItem struct {
	Key       string
	Amount    string
	Currency  string
	Address   string
	DestTag   *string
	Currency2 *string
	Note      *string
}

// MassWithdrawalResult is one item's outcome: a withdrawal or an error.
type MassWithdrawalResult struct {
	Key        string      `json:"key"`
	Withdrawal *Withdrawal `json:"withdrawal,omitempty"`
	Err        error       `json:"-"`
	// Missing is true when the answer says nothing about this item: it may have been carried
	// out (Err says so too). Reconcile it; never send it again blindly.
	Missing bool `json:"missing,omitempty"`
}

// MassWithdrawal is the answer of create_mass_withdrawal: one result per item, in the order of
// the items.
type MassWithdrawal struct {
	Results  []MassWithdrawalResult `json:"results"`
	Response *Response              `json:"-"`
}

// validMassKey: letters, digits, '_' and '-' (no brackets, which would break wd[KEY][field]).
func validMassKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		ch := k[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-') {
			return false
		}
	}
	return true
}

// MassWithdrawalFields validates items and returns the wd[KEY][field] form fields.
func MassWithdrawalFields(items []MassWithdrawalItem) (Fields, error) {
	if len(items) == 0 {
		return nil, &ValidationError{Field: "wd", Problem: "give at least one payout"}
	}
	s := newFieldSet()
	seen := map[string]bool{}
	for _, it := range items {
		if !validMassKey(it.Key) {
			s.fail("wd key", it.Key, "payout keys must be 1–64 letters, digits, '_' or '-'")
			break
		}
		if seen[it.Key] {
			s.fail("wd key", it.Key, "is used twice: payout keys must be unique")
			break
		}
		seen[it.Key] = true
		pre := func(f string) string { return "wd[" + it.Key + "][" + f + "]" }
		wp := WithdrawalParams{Amount: it.Amount, Currency: it.Currency, Address: it.Address, DestTag: it.DestTag, Currency2: it.Currency2, Note: it.Note}
		wp.fields(pre, s)
	}
	return s.done()
}

// CreateMassWithdrawal calls create_mass_withdrawal. Each item succeeds or fails alone; the
// results are in the order of items. It moves money: it is never resent.
func (c *Client) CreateMassWithdrawal(ctx context.Context, items []MassWithdrawalItem) (*MassWithdrawal, error) {
	f, err := MassWithdrawalFields(items)
	if err != nil {
		return nil, err
	}
	res, err := c.Call(ctx, "create_mass_withdrawal", f)
	if err != nil {
		return nil, err
	}
	out := make([]MassWithdrawalResult, len(items))
	for i, it := range items {
		out[i].Key = it.Key
		v := res.Result.Member(it.Key)
		// unknown is this payout's outcome unknown, with its fields and the batch's operation (id,
		// nonce, send time, deadline, store key) for reconcile: it may have been carried out, which
		// an APIError ("refused") would deny
		unknown := func(why string) error {
			ref := map[string]string{}
			for k, v := range refOf(f) {
				if strings.HasPrefix(k, "wd["+it.Key+"][") {
					ref[k] = v
				}
			}
			// The batch's operation: the batch was answered, so with nonces its nonce is the fence
			// (no copy of the request can land once a call above it has completed)
			o := res.op
			return &OutcomeUnknownError{Cmd: "create_mass_withdrawal", Ref: ref, HTTPStatus: res.HTTPStatus, Err: errors.New(why),
				OpID: o.ID, Nonce: o.Nonce, SentAt: o.SentAt, Deadline: o.Deadline, StoreKey: c.storeKey}
		}
		switch e := v.Get("error"); {
		case !v.Exists():
			out[i].Missing = true
			out[i].Err = unknown("the answer has no result for this payout")
		case e.Exists() && e.Text() != "ok" && !clearRefusal(e.r, v.Get("id").r):
			out[i].Err = unknown("the answer neither refuses this payout plainly nor says it was made (an empty reason, or a withdrawal id with a refusal)")
		case e.Exists() && e.Text() != "ok":
			out[i].Err = &APIError{Cmd: "create_mass_withdrawal", Message: c.red.text(e.Text()), HTTPStatus: res.HTTPStatus}
		default:
			w := &Withdrawal{ID: v.Get("id").Text(), Status: WithdrawalStatus(v.Get("status").IntOr(0))}
			w.Amount, _ = v.Get("amount").Amount()
			out[i].Withdrawal = w
		}
	}
	return &MassWithdrawal{Results: out, Response: res}, nil
}

// ConvertParams are the fields of convert.
type ConvertParams struct {
	Amount string // required
	From   string // required
	To     string // required
	Extra  Fields
}

// Conversion is the answer of convert.
type Conversion struct {
	ID       string    `json:"id"`
	Response *Response `json:"-"`
}

// Convert calls convert. It moves money: never resent.
func (c *Client) Convert(ctx context.Context, p *ConvertParams) (*Conversion, error) {
	if p == nil {
		return nil, &ValidationError{Field: "params", Problem: "are required"}
	}
	s := newFieldSet()
	s.amount("amount", p.Amount)
	s.ticker("from", p.From)
	s.ticker("to", p.To)
	if s.err == nil && s.f["from"] == s.f["to"] {
		s.fail("to", p.To, "must differ from from")
	}
	s.extra(p.Extra)
	f, err := s.done()
	if err != nil {
		return nil, err
	}
	res, err := c.Call(ctx, "convert", f)
	if err != nil {
		return nil, err
	}
	id := res.Result.Text()
	if res.Result.IsObject() {
		id = res.Result.Get("id").Text()
	}
	return &Conversion{ID: id, Response: res}, nil
}

// WithdrawalInfo is a withdrawal as the history and get_withdrawal_info report it.
type WithdrawalInfo struct {
	ID          string           `json:"id"`
	TimeCreated time.Time        `json:"time_created"`
	Status      WithdrawalStatus `json:"status"`
	StatusText  string           `json:"status_text"`
	Coin        string           `json:"coin"`
	Amount      Amount           `json:"amount"`
	SendAddress string           `json:"send_address"`
	SendTxID    string           `json:"send_txid"` // only meaningful once complete
	Note        string           `json:"note,omitempty"`
}

func decodeWithdrawal(id string, v Value) (WithdrawalInfo, error) {
	w := WithdrawalInfo{
		ID:          id,
		Status:      WithdrawalStatus(v.Get("status").IntOr(0)),
		StatusText:  v.Get("status_text").Text(),
		Coin:        v.Get("coin").Text(),
		SendAddress: v.Get("send_address").Text(),
		SendTxID:    v.Get("send_txid").Text(),
		Note:        v.Get("note").Text(),
	}
	if w.ID == "" {
		w.ID = v.Get("id").Text()
	}
	if t := v.Get("time_created").IntOr(0); t > 0 {
		w.TimeCreated = time.Unix(t, 0).UTC()
	}
	var err error
	w.Amount, err = exactAmount(v, "amount", "amountf")
	return w, err
}

// WithdrawalInfo calls get_withdrawal_info.
func (c *Client) WithdrawalInfo(ctx context.Context, id string) (*WithdrawalInfo, error) {
	if strings.TrimSpace(id) == "" {
		return nil, &ValidationError{Field: "id", Problem: "is required"}
	}
	res, err := c.Call(ctx, "get_withdrawal_info", Fields{"id": id})
	if err != nil {
		return nil, err
	}
	w, err := decodeWithdrawal(id, res.Result)
	if err != nil {
		return nil, &TransportError{Cmd: "get_withdrawal_info", HTTPStatus: res.HTTPStatus, Err: err}
	}
	return &w, nil
}

// WithdrawalHistory iterates over withdrawals, newest first, page by page.
//
//go:noinline
func (c *Client) WithdrawalHistory(ctx context.Context, p *ListParams) iter.Seq2[WithdrawalInfo, error] {
	return paginate(ctx, c, "get_withdrawal_history", p, func(w WithdrawalInfo) string { return w.ID },
		func(v Value) ([]WithdrawalInfo, error) {
			var out []WithdrawalInfo
			var err error
			v.ForEach(func(_ string, x Value) bool {
				var w WithdrawalInfo
				w, err = decodeWithdrawal("", x)
				out = append(out, w)
				return err == nil
			})
			return out, err
		})
}
