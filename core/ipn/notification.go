package ipn

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/core/internal/errtext"
)

// IPN types with a typed view in [Notification].
const (
	TypeAPI        = "api"
	TypeDeposit    = "deposit"
	TypeWithdrawal = "withdrawal"
)

// Amounts in notifications are core.Decimal: the exact decimal text as sent by Wallex, e.g.
// "0.40000000", never a float (Decimal.Amount gives base units). Parse accepts an optional
// leading '-', one or more digits and an optional '.' followed by one or more digits; an absent
// field is the empty Decimal.

// validDecimal reports whether s is -?digits(.digits)?.
func validDecimal(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != '.' || i+1 == len(s) {
		return false
	}
	for _, c := range []byte(s[i+1:]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Notification is one parsed IPN. Fields holds every raw field as received;
// exactly one of API, Deposit and Withdrawal is set for ipn_type api, deposit
// and withdrawal, and none for other types (e.g. "simple", "button"), which
// are read from Fields.
type Notification struct {
	Version    string             // ipn_version, "1.0"
	ID         string             // ipn_id, unique per notification
	Mode       string             // ipn_mode, "hmac"
	Type       string             // ipn_type
	Merchant   string             // merchant ID
	Status     core.PaymentStatus // status; see Paid, Failed, Pending (a withdrawal's 2 is complete)
	StatusText string             // status_text, human readable

	Fields url.Values // all fields, raw

	API        *APIPayment
	Deposit    *Deposit
	Withdrawal *Withdrawal
}

// APIPayment is the typed view of an ipn_type=api notification, sent for a
// transaction made with create_transaction.
type APIPayment struct {
	TxnID            string       `json:"txn_id"`
	Currency1        string       `json:"currency1"` // pricing currency
	Currency2        string       `json:"currency2"` // currency the buyer pays
	Amount1          core.Decimal `json:"amount1"`   // amount in Currency1
	Amount2          core.Decimal `json:"amount2"`   // amount in Currency2
	Fee              core.Decimal `json:"fee"`       // fee in Currency2
	BuyerName        string       `json:"buyer_name"`
	Email            string       `json:"email"`
	ItemName         string       `json:"item_name"`
	ItemNumber       string       `json:"item_number"`
	Invoice          string       `json:"invoice"`
	Custom           string       `json:"custom"`
	ReceivedAmount   core.Decimal `json:"received_amount"` // amount received so far, in Currency2
	ReceivedConfirms int          `json:"received_confirms"`
}

// Deposit is the typed view of an ipn_type=deposit notification, sent for a
// payment to a callback address.
type Deposit struct {
	DepositID string       `json:"deposit_id"`
	TxnID     string       `json:"txn_id"`
	Address   string       `json:"address"`
	DestTag   string       `json:"dest_tag"`
	Currency  string       `json:"currency"`
	Confirms  int          `json:"confirms"`
	Amount    core.Decimal `json:"amount"`
	AmountI   int64        `json:"amounti"` // amount in base units (1e-8)
	Fee       core.Decimal `json:"fee"`
	FeeI      int64        `json:"feei"` // fee in base units (1e-8)
}

// Withdrawal is the typed view of an ipn_type=withdrawal notification.
type Withdrawal struct {
	ID       string       `json:"id"`
	TxnID    string       `json:"txn_id"`
	Address  string       `json:"address"`
	Currency string       `json:"currency"`
	Amount   core.Decimal `json:"amount"`
	AmountI  int64        `json:"amounti"` // amount in base units (1e-8)
}

// Paid reports whether the status means the payment is done: status >= 100 or
// status == 2 (queued for payout; for a withdrawal, complete).
func (n *Notification) Paid() bool { return n != nil && n.Status.Paid() }

// Failed reports whether the status means cancelled or timed out (< 0).
func (n *Notification) Failed() bool { return n != nil && n.Status.Failed() }

// Pending reports whether the payment is neither paid nor failed.
func (n *Notification) Pending() bool { return n != nil && !n.Paid() && !n.Failed() }

// Key returns the identifier of the payment the notification is about, used
// to order notifications of the same payment: txn_id for api, deposit_id (or
// txn_id when absent) for deposit, id for withdrawal. Other types use the
// txn_id field if present; Key returns "" when there is none.
func (n *Notification) Key() string {
	switch {
	case n == nil:
		return ""
	case n.API != nil:
		return n.API.TxnID
	case n.Deposit != nil:
		if n.Deposit.DepositID != "" {
			return n.Deposit.DepositID
		}
		return n.Deposit.TxnID
	case n.Withdrawal != nil:
		return n.Withdrawal.ID
	}
	return n.Fields.Get("txn_id")
}

// fields interpreted by Parse; they must appear at most once.
var knownFields = map[string]bool{
	"ipn_version": true, "ipn_id": true, "ipn_mode": true, "ipn_type": true, "merchant": true,
	"status": true, "status_text": true,
	"txn_id": true, "currency1": true, "currency2": true, "amount1": true, "amount2": true, "fee": true,
	"buyer_name": true, "email": true, "item_name": true, "item_number": true, "invoice": true,
	"custom": true, "received_amount": true, "received_confirms": true,
	"deposit_id": true, "address": true, "dest_tag": true, "currency": true, "confirms": true,
	"amount": true, "amounti": true, "feei": true, "id": true,
}

// Parse reads a form-encoded IPN body without verifying its signature: use it
// only for tools and for bodies already verified. Verifier.Verify calls it
// after the signature check.
//
// It requires ipn_id, ipn_type and an integer status, rejects a field it
// interprets that appears more than once (ambiguous), and for typed
// notifications requires the payment key (see Notification.Key) and validates
// amounts and integers. Errors wrap ErrMalformed.
func Parse(body []byte) (*Notification, error) {
	vals, err := parseForm(string(body))
	if err != nil {
		return nil, errtext.Wrap(ErrMalformed, ErrMalformed.Error()+": form body: "+errtext.Of(err))
	}
	for k, vs := range vals {
		if len(vs) > 1 && knownFields[k] {
			return nil, errtext.Wrap(ErrMalformed, ErrMalformed.Error()+": field "+errtext.Q(k)+" appears "+errtext.D(len(vs))+" times")
		}
	}
	p := parser{vals: vals}
	n := &Notification{
		Version:    vals.Get("ipn_version"),
		ID:         p.required("ipn_id"),
		Mode:       vals.Get("ipn_mode"),
		Type:       p.required("ipn_type"),
		Merchant:   vals.Get("merchant"),
		StatusText: vals.Get("status_text"),
		Fields:     vals,
	}
	if p.err != nil {
		return nil, p.err
	}
	n.Status = core.PaymentStatus(p.integer("status", true))
	switch n.Type {
	case TypeAPI:
		n.API = &APIPayment{
			TxnID:            p.required("txn_id"),
			Currency1:        vals.Get("currency1"),
			Currency2:        vals.Get("currency2"),
			Amount1:          p.amount("amount1"),
			Amount2:          p.amount("amount2"),
			Fee:              p.amount("fee"),
			BuyerName:        vals.Get("buyer_name"),
			Email:            vals.Get("email"),
			ItemName:         vals.Get("item_name"),
			ItemNumber:       vals.Get("item_number"),
			Invoice:          vals.Get("invoice"),
			Custom:           vals.Get("custom"),
			ReceivedAmount:   p.amount("received_amount"),
			ReceivedConfirms: p.integer("received_confirms", false),
		}
	case TypeDeposit:
		d := &Deposit{
			DepositID: vals.Get("deposit_id"),
			TxnID:     vals.Get("txn_id"),
			Address:   vals.Get("address"),
			DestTag:   vals.Get("dest_tag"),
			Currency:  vals.Get("currency"),
			Confirms:  p.integer("confirms", false),
			Amount:    p.amount("amount"),
			AmountI:   p.int64("amounti"),
			Fee:       p.amount("fee"),
			FeeI:      p.int64("feei"),
		}
		if d.DepositID == "" && d.TxnID == "" && p.err == nil {
			p.err = errtext.Wrap(ErrMalformed, ErrMalformed.Error()+": deposit has neither deposit_id nor txn_id")
		}
		n.Deposit = d
	case TypeWithdrawal:
		n.Withdrawal = &Withdrawal{
			ID:       p.required("id"),
			TxnID:    vals.Get("txn_id"),
			Address:  vals.Get("address"),
			Currency: vals.Get("currency"),
			Amount:   p.amount("amount"),
			AmountI:  p.int64("amounti"),
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return n, nil
}

// parser reads fields and keeps the first error.
type parser struct {
	vals url.Values
	err  error
}

func (p *parser) fail(problem string) {
	if p.err == nil {
		p.err = errtext.Wrap(ErrMalformed, ErrMalformed.Error()+": "+problem)
	}
}

func (p *parser) required(key string) string {
	s := p.vals.Get(key)
	if s == "" {
		p.fail("missing field " + errtext.Q(key))
	}
	return s
}

func (p *parser) amount(key string) core.Decimal {
	s := p.vals.Get(key)
	if s != "" && !validDecimal(s) {
		p.fail("field " + errtext.Q(key) + " is not a decimal amount: " + errtext.Q(clip(s)))
	}
	return core.Decimal(s)
}

func (p *parser) integer(key string, required bool) int {
	s := p.vals.Get(key)
	if s == "" {
		if required {
			p.fail("missing field " + errtext.Q(key))
		}
		return 0
	}
	i, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		p.fail("field " + errtext.Q(key) + " is not an integer: " + errtext.Q(clip(s)))
	}
	return int(i)
}

func (p *parser) int64(key string) int64 {
	s := p.vals.Get(key)
	if s == "" {
		return 0
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.fail("field " + errtext.Q(key) + " is not an integer: " + errtext.Q(clip(s)))
	}
	return i
}

// parseForm is url.ParseQuery (the same result and the same first error) without its semicolon
// error, which is made with fmt.
func parseForm(query string) (url.Values, error) {
	m := url.Values{}
	if strings.Count(query, "&")+1 > maxFormFields {
		return m, errors.New("number of URL query parameters exceeded limit")
	}
	var err error
	for query != "" {
		var key string
		key, query, _ = strings.Cut(query, "&")
		if strings.Contains(key, ";") {
			err = errors.New("invalid semicolon separator in query")
			continue
		}
		if key == "" {
			continue
		}
		key, value, _ := strings.Cut(key, "=")
		key, err1 := url.QueryUnescape(key)
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		value, err1 = url.QueryUnescape(value)
		if err1 != nil {
			if err == nil {
				err = err1
			}
			continue
		}
		m[key] = append(m[key], value)
	}
	return m, err
}

// maxFormFields is net/url's default limit on the number of fields.
const maxFormFields = 10000
